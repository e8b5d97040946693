/**
 * `{packet, sunrm}`: a Sun RPC record mark, 4 bytes big-endian whose top
 * bit is the last-fragment flag and whose other 31 bits are the fragment
 * length. The mark is kept in the packet and nothing is added on send.
 *
 * Checked against OTP 25: the flag is ignored (`<<128,0,0,3,"abc">>` and
 * `<<0,0,0,3,"abc">>` are both packets of 7 bytes), `packet_size` limits
 * the fragment, mark excluded, and lengths of `16#7FFFFFFC` and up are
 * invalid (the total must fit a signed 32-bit int).
 */
import { MORE, type PacketFamily } from './family.js';
import { headerTotal, readUIntBE } from './header-length.js';

const HEADER = 4;

/** `sunrm`: one record-marked fragment. */
export const sunrm: PacketFamily = {
  name: 'sunrm',
  length(bytes, n, limits) {
    if (n < HEADER) return MORE;
    const body = readUIntBE(bytes, 0, HEADER) % 0x8000_0000;
    return headerTotal(HEADER, body, limits);
  },
  payload: (_bytes, total) => [0, total],
};
