/**
 * Packet framing, shared by sockets and `decodePacket`: OTP's
 * `packet_parser.c` in TypeScript.
 *
 * - `decodePacket` is `erlang:decode_packet/3`.
 * - `createFramer` frames a socket's input incrementally (`framer.ts`).
 * - `encodePacket` is what `gen_tcp:send/2` adds to the data (`encode.ts`).
 * - `flattenIodata` turns iodata into Buffers for `writev` (`iodata.ts`).
 *
 * Each packet family has its own file and is registered in `families.ts`;
 * this file only dispatches on the type.
 */
import { badarg } from '@beamline/runtime';
import { bufferView } from './byte-view.js';
import { describe } from './describe.js';
import { INVALID, MORE, newScanState } from './family.js';
import { familyOf, type PacketType } from './families.js';
import { line } from './line.js';
import { HTTP_MODES } from './http-line.js';
import { parseHttp, type HttpPacket } from './http.js';
import { decodeLimits, type DecodeOptions } from './options.js';

export { isPacketType } from './families.js';
export type { PacketType } from './families.js';

/** The packet types `decodePacket` answers with a term (`HttpPacket`), not a Buffer. */
export type HttpType = 'http' | 'http_bin' | 'httph' | 'httph_bin';
/** The packet types whose packets are Buffers. */
export type BytePacketType = Exclude<PacketType, HttpType>;
export type { DecodeOption, DecodeOptions, DecodeOptionsObject } from './options.js';
export { createFramer, Framer, DEFAULT_BUFFER_SIZE } from './framer.js';
export type { FramerOptions, FramerChanges, FramerState, FramerError } from './framer.js';
export { encodeJoined, encodePacket } from './encode.js';
export { flattenIodata, byteLength } from './iodata.js';
export type { IoData } from './iodata.js';
export { HTTP_HEADERS } from './http.js';
export type { HttpPacket, HttpUri, HttpMethod, HttpHeaderName, HttpString } from './http.js';

/**
 * What `decodePacket` answers; the packet is a Buffer, or for the HTTP
 * types a term (`HttpPacket`, strings `number[]` for `http`/`httph`,
 * Buffers for `http_bin`/`httph_bin`; see `http.ts`).
 */
export type DecodeResult<P = Buffer> =
  | readonly ['ok', packet: P, rest: Buffer]
  | readonly ['more', length: number | undefined]
  | readonly ['error', reason: 'invalid'];

/**
 * `erlang:decode_packet/3` for every OTP 25 packet type (`raw`/`0`, `1`,
 * `2`, `4`, `line`, `asn1`, `cdr`, `sunrm`, `fcgi`, `tpkt`, and the HTTP
 * types, which answer terms): the first packet of `data`.
 *
 * - `['ok', packet, rest]`: the packet (1/2/4 without their header, `line`
 *   with its delimiter, `raw` all of `data`) and the bytes after it; both
 *   share `data`'s memory.
 * - `['more', length]`: `data` is the start of a packet of `length` bytes,
 *   header included; `['more', undefined]` when that is not known yet
 *   (empty input, a partial header, a line without its delimiter).
 * - `['error', 'invalid']`: over `packet_size`, or a 4-byte length of
 *   `16#7FFFFFFC` or more. (A socket says `emsgsize` for the same thing.)
 *
 * Options, the last one winning when repeated: `packet_size` (0..2^32-1,
 * 0 = no limit), `line_length` (`line` cuts longer lines at that length,
 * 0 = no cut), `line_delimiter` (0..255, `line` only), in Erlang style
 * `[['packet_size', 10]]` or as `{ packetSize: 10 }`.
 *
 * `badarg` naming the culprit for an unknown type, `data` not a
 * Buffer/Uint8Array, or an unknown option or bad value.
 */
export function decodePacket(type: 'http' | 'httph', data: Buffer | Uint8Array, options?: DecodeOptions): DecodeResult<HttpPacket<number[]>>;
export function decodePacket(type: 'http_bin' | 'httph_bin', data: Buffer | Uint8Array, options?: DecodeOptions): DecodeResult<HttpPacket<Buffer>>;
export function decodePacket(type: BytePacketType, data: Buffer | Uint8Array, options?: DecodeOptions): DecodeResult;
export function decodePacket(type: PacketType, data: Buffer | Uint8Array, options?: DecodeOptions): DecodeResult<Buffer | HttpPacket>;
export function decodePacket(type: PacketType, data: Buffer | Uint8Array, options?: DecodeOptions): DecodeResult<Buffer | HttpPacket> {
  const fn = 'decodePacket';
  const family = familyOf(type, fn);
  if (!(data instanceof Uint8Array)) badarg(fn, `data must be a Buffer, got ${describe(data)}`);
  const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const limits = decodeLimits(options, family === line, fn);
  const view = bufferView(bytes);
  const total = family.length(view, bytes.length, limits, newScanState());
  if (total === INVALID) return ['error', 'invalid'];
  if (total === MORE) return ['more', undefined];
  if (total > bytes.length) return ['more', total];
  const http = HTTP_MODES.get(family);
  if (http !== undefined) return ['ok', parseHttp(bytes.subarray(0, total), http), bytes.subarray(total)];
  const [start, end] = family.payload(view, total);
  return ['ok', bytes.subarray(start, end), bytes.subarray(total)];
}
