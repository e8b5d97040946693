/**
 * The end of `packet_get_length` shared by every family whose header gives
 * the body length (`asn1`, `cdr`, `sunrm`, `fcgi`, `tpkt`), as OTP 25
 * computes it: the body `plen` is a C `int`, the total `hlen + plen` too,
 * and the packet is invalid when the body is over `packet_size` (unsigned
 * comparison, 0 for no limit) or the total wraps below the header size.
 * In JavaScript numbers: a negative body (`tpkt` length < 4), a body over
 * `packetSize`, or a total over 2^31 - 1 are invalid. Checked against OTP 25:
 * `decode_packet(cdr, <<"GIOP",1,0,0,0,16#7FFFFFF3:32>>, [])` is
 * `{more, 16#7FFFFFFF}`, `…16#7FFFFFF4:32…` is `{error, invalid}`, and so is
 * any length of 2^31 and up even with `{packet_size, 16#FFFFFFFF}`.
 */
import { INVALID, type Limits } from './family.js';

const INT32_MAX = 0x7fff_ffff;

/** The total size of a packet with a `header`-byte header and a `body`-byte body, or `INVALID`. */
export function headerTotal(header: number, body: number, limits: Limits): number {
  if (body < 0) return INVALID;
  if (limits.packetSize !== 0 && body > limits.packetSize) return INVALID;
  const total = header + body;
  return total > INT32_MAX ? INVALID : total;
}

/** The big-endian unsigned integer of `size` bytes at `at`. */
export function readUIntBE(bytes: { byteAt(index: number): number }, at: number, size: number): number {
  let value = 0;
  for (let i = 0; i < size; i++) value = value * 256 + bytes.byteAt(at + i);
  return value;
}
