/**
 * What `gen_tcp:send/2` adds to the data for each packet type: a big-endian
 * length header for 1/2/4, nothing for the others (the application writes
 * `line`, `asn1`, `cdr`, `sunrm`, `fcgi`, `tpkt`, `http`… framing itself).
 */
import { familyOf, type PacketType } from './families.js';
import { byteLength, flattenIodata, type IoData } from './iodata.js';

/**
 * The largest body each header can describe; for 4, the largest an OTP
 * receiver accepts (it rejects lengths from `16#7FFFFFFC` up, see
 * `length-prefixed.ts`), so that nothing is sent that the peer must refuse.
 */
const MAX_BODY = { 1: 0xff, 2: 0xffff, 4: 0x7fff_fffb } as const;

/**
 * The Buffers to write for one `send` of `data` with `{packet, type}`,
 * ready for `writev` (nothing is joined): `[header, ...data]` for 1/2/4,
 * the data alone for `raw`, `line`, `asn1`, `cdr`, `sunrm`, `fcgi` and
 * `tpkt` (their headers are the application's to write: OTP 25 sockets send
 * the data as is). An empty send gives `[]` for those (nothing to write)
 * and a header alone for 1/2/4, as in OTP.
 *
 * A body too long for its header is `['error', 'emsgsize']`. This is where
 * the port departs from OTP on purpose: OTP (both backends, checked on OTP
 * 25) writes the length modulo 2^8/2^16 and sends the whole body, so the
 * peer reads a wrong length and the stream is corrupt from then on, with no
 * error anywhere. An error value rather than a throw, because the size of
 * data is a runtime fact and `send` already answers `['error', reason]`;
 * `emsgsize` because it is the POSIX "message too long" and the reason
 * gen_tcp already gives for oversized packets on receive.
 *
 * `badarg` naming the culprit when `type` is not a packet type or `data`
 * is not iodata.
 */
export function encodePacket(type: PacketType, data: IoData): readonly ['ok', Buffer[]] | readonly ['error', 'emsgsize'] {
  familyOf(type, 'encodePacket');
  const body = flattenIodata(data, 'encodePacket');
  switch (type) {
    case 'raw':
    case 0:
    case 'line':
    // The application writes these headers itself (OTP 25 sends the data as is).
    case 'asn1':
    case 'cdr':
    case 'sunrm':
    case 'fcgi':
    case 'tpkt':
    case 'http':
    case 'http_bin':
    case 'httph':
    case 'httph_bin':
      return ['ok', body];
    case 1:
    case 2:
    case 4: {
      const size = byteLength(body);
      if (size > MAX_BODY[type]) return ['error', 'emsgsize'];
      const header = Buffer.allocUnsafe(type);
      header.writeUIntBE(size, 0, type);
      // A new array rather than unshift, which V8 runs in its C++ runtime (a tenth of this function's time).
      return ['ok', body.length === 1 ? [header, body[0]!] : [header, ...body]];
    }
    default:
      // A new packet type must say here what send adds for it.
      return type satisfies never;
  }
}

/**
 * The common send, one Buffer with a 1/2/4 header, framed into one new
 * Buffer: what `encodePacket` and joining its pieces give, without the
 * pieces (one allocation, one copy). Undefined when it does not apply: another
 * packet type, a body too long for its header, or a frame over `limit`
 * bytes (large sends are written as pieces).
 */
export function encodeJoined(type: PacketType, body: Buffer, limit: number): Buffer | undefined {
  if (type !== 4 && type !== 2 && type !== 1) return undefined;
  const size = body.length;
  if (size > MAX_BODY[type] || size + type > limit) return undefined;
  const framed = Buffer.allocUnsafe(type + size);
  framed.writeUIntBE(size, 0, type);
  framed.set(body, type);
  return framed;
}
