/**
 * `{packet, line}`: a packet is a line ending with the delimiter (default
 * `\n`), which is kept in the packet.
 *
 * Straight from `packet_get_length` (TCP_PB_LINE_LF), checked against OTP 25:
 * - the delimiter ends the packet at length `len`: over `packetSize` is
 *   invalid, over `truncLen` is cut to `truncLen` bytes (the rest stays for
 *   the next packet);
 * - no delimiter in the `n` bytes: more than `packetSize` is invalid, at
 *   least `truncLen` gives a packet of `truncLen` bytes, else more is needed.
 * `packetSize` is checked before `truncLen`, so with both set a long line is
 * an error, not a cut (`decode_packet(line, <<"abcdef\n">>,
 * [{packet_size,5},{line_length,3}])` is `{error, invalid}`).
 *
 * `truncLen` is `line_length` for `decodePacket` and the receive buffer size
 * on a socket, which is how a socket splits long lines into buffer-sized
 * pieces (otp-semantics §3.8).
 */
import { INVALID, MORE, type PacketFamily } from './family.js';

/** `line`: up to and including the delimiter. */
export const line: PacketFamily = {
  name: 'line',
  length(bytes, n, limits, state) {
    const { packetSize, truncLen, delimiter } = limits;
    const at = bytes.indexOf(delimiter, Math.min(state.scanned, n), n);
    if (at < 0) {
      state.scanned = n;
      if (packetSize !== 0 && n > packetSize) return INVALID;
      if (truncLen !== 0 && n >= truncLen) return truncLen;
      return MORE;
    }
    const len = at + 1;
    if (packetSize !== 0 && len > packetSize) return INVALID;
    if (truncLen !== 0 && len > truncLen) return truncLen;
    return len;
  },
  payload: (_bytes, total) => [0, total],
};
