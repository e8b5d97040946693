/**
 * `{packet, 1 | 2 | 4}`: each packet is preceded by its length as a
 * big-endian unsigned integer of 1, 2 or 4 bytes. The header is stripped on
 * receive and added on send (`encode.ts`).
 *
 * As in OTP, `packet_size` (when not 0) limits the body, header excluded,
 * and a 4-byte length whose total with its header does not fit in a signed
 * 32-bit int (`16#7FFFFFFC` and up) is invalid whatever `packet_size` says:
 * `packet_get_length` computes `int tlen = hlen + plen` and rejects the
 * wrap-around (checked against OTP 25: `<<16#7FFFFFFB:32>>` gives
 * `{more, 16#7FFFFFFF}`, `<<16#7FFFFFFC:32>>` gives `{error, invalid}`).
 */
import { INVALID, MORE, type PacketFamily } from './family.js';

const INT32_MAX = 0x7fff_ffff;

function lengthPrefixed(size: 1 | 2 | 4): PacketFamily {
  return {
    name: String(size),
    length(bytes, n, limits) {
      if (n < size) return MORE;
      let body = 0;
      for (let i = 0; i < size; i++) body = body * 256 + bytes.byteAt(i);
      if (limits.packetSize !== 0 && body > limits.packetSize) return INVALID;
      const total = size + body;
      return total > INT32_MAX ? INVALID : total;
    },
    payload: (_bytes, total) => [size, total],
    whole(bytes, length, limits, window) {
      // A window smaller than the header takes the general path (it grows or
      // fails there). `length`'s INT32_MAX check cannot fail here: the
      // packet is `length` bytes, a read of at most 64 KiB.
      if (length < size || window < size) return -1;
      let body = 0;
      for (let i = 0; i < size; i++) body = body * 256 + bytes[i]!;
      if (limits.packetSize !== 0 && body > limits.packetSize) return -1;
      return size + body === length ? size : -1;
    },
  };
}

/** `{packet, 1}`: one length byte, bodies of 0..255 bytes. */
export const packet1 = lengthPrefixed(1);
/** `{packet, 2}`: two length bytes, bodies of 0..65535 bytes. */
export const packet2 = lengthPrefixed(2);
/** `{packet, 4}`: four length bytes, bodies up to 2^31 - 5 bytes. */
export const packet4 = lengthPrefixed(4);
