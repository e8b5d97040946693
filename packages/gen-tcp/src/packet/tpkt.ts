/**
 * `{packet, tpkt}`: an RFC 1006 TPKT, its 4-byte header kept in the
 * packet: version (must be 3), a reserved byte, then the packet length as a
 * 16-bit big-endian integer that counts the header. Nothing is added on
 * send.
 *
 * Checked against OTP 25: a version other than 3 is invalid once the 4
 * bytes are there; a length under 4 is invalid (`<<3,0,0,4>>` is a packet
 * of the header alone, `<<3,0,0,3>>` is `{error, invalid}`); `packet_size`
 * limits the length minus 4 (`<<3,0,0,9>>` is `{more, 9}` with
 * `{packet_size, 5}`, invalid with 4). The reserved byte is not checked.
 */
import { INVALID, MORE, type PacketFamily } from './family.js';
import { headerTotal } from './header-length.js';

const HEADER = 4;
const VERSION = 3;

/** `tpkt`: one TPKT packet. */
export const tpkt: PacketFamily = {
  name: 'tpkt',
  length(bytes, n, limits) {
    if (n < HEADER) return MORE;
    if (bytes.byteAt(0) !== VERSION) return INVALID;
    return headerTotal(HEADER, bytes.byteAt(2) * 256 + bytes.byteAt(3) - HEADER, limits);
  },
  payload: (_bytes, total) => [0, total],
};
