/**
 * `{packet, fcgi}`: a FastCGI record, with its 8-byte header: version
 * (must be 1), type, request id (2 bytes), content length (2 bytes,
 * big-endian), padding length, reserved. Nothing is added on send.
 *
 * The record is content length + padding bytes after the header, and that
 * is what `packet_size` limits and what `{more, N}` counts; but the
 * delivered packet is the header and the content only: the padding is
 * skipped, as OTP's `packet_get_body` does. Checked against OTP 25:
 * `decode_packet(fcgi, <<1,1,0,1,0,3,2,0,"abcPPrest">>, [])` is
 * `{ok, <<1,1,0,1,0,3,2,0,"abc">>, <<"rest">>}`, `<<1,1,0,1,0,3,2,0,"abcP">>`
 * is `{more, 13}`, and `{packet_size, 4}` makes it `{error, invalid}`.
 */
import { INVALID, MORE, type PacketFamily } from './family.js';
import { headerTotal } from './header-length.js';

const HEADER = 8;
const VERSION_1 = 1;

/** `fcgi`: one FastCGI record, padding stripped. */
export const fcgi: PacketFamily = {
  name: 'fcgi',
  length(bytes, n, limits) {
    if (n < HEADER) return MORE;
    if (bytes.byteAt(0) !== VERSION_1) return INVALID;
    const body = bytes.byteAt(4) * 256 + bytes.byteAt(5) + bytes.byteAt(6);
    return headerTotal(HEADER, body, limits);
  },
  payload: (bytes, total) => [0, total - bytes.byteAt(6)],
};
