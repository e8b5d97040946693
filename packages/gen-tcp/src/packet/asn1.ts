/**
 * `{packet, asn1}`: one BER TLV, tag and length octets included in the
 * packet. Nothing is added on send.
 *
 * As `packet_get_length` (TCP_PB_ASN1) reads it, checked against OTP 25:
 * - tag: one byte, or, when its low five bits are all 1 (`16#1F`), followed
 *   by bytes with the top bit set and one without;
 * - length: short form `0..127`; long form `16#80 + k` followed by `k`
 *   big-endian bytes, `k` from 1 to 4; `16#80` alone (the indefinite form)
 *   is a length of 0, so the packet is the header only;
 * - `k > 4` is invalid, but only once `k` bytes are there: before, the
 *   answer is `{more, undefined}` (`<<48,16#85,1>>` → more,
 *   `<<48,16#85,1,2,3,4,5>>` → invalid);
 * - a long tag needs one byte after its last tag byte before anything is
 *   known (`<<31,5>>` → `{more, undefined}`, `<<31,5,1,9>>` → a packet);
 * - `packet_size` limits the contents, tag and length excluded.
 */
import { INVALID, MORE, type PacketFamily } from './family.js';
import { headerTotal, readUIntBE } from './header-length.js';

/** `asn1`: one BER TLV. */
export const asn1: PacketFamily = {
  name: 'asn1',
  length(bytes, n, limits) {
    if (n < 2) return MORE;
    // `at` is where OTP's `tptr` points, `left` its `nn` (bytes from `at` on).
    let at = 1;
    let left = n - 1;
    if ((bytes.byteAt(0) & 0x1f) === 0x1f) {
      while (left > 0 && (bytes.byteAt(at) & 0x80) !== 0) {
        at++;
        left--;
      }
      if (left < 2) return MORE;
      at++;
      left--;
    }
    const first = bytes.byteAt(at);
    let body = first & 0x7f;
    at++;
    left--;
    if ((first & 0x80) !== 0) {
      const size = body;
      if (left < size) return MORE;
      if (size > 4) return INVALID;
      body = readUIntBE(bytes, at, size);
      at += size;
    }
    return headerTotal(at, body, limits);
  },
  payload: (_bytes, total) => [0, total],
};
