/**
 * `{packet, cdr}`: a CORBA GIOP message, its 12-byte header kept in the
 * packet: `"GIOP"`, version (2 bytes), flags, message type, then the body
 * size as a 32-bit unsigned integer, little-endian when bit 0 of the flags
 * is set, big-endian otherwise. Nothing is added on send.
 *
 * Checked against OTP 25: another magic is invalid (`"giop"` too) once the
 * 12 bytes are there, `{more, undefined}` before; `packet_size` limits the
 * body, header excluded; a size whose total does not fit a signed 32-bit
 * int is invalid (see `header-length.ts`).
 */
import { INVALID, MORE, type PacketFamily } from './family.js';
import { headerTotal, readUIntBE } from './header-length.js';

const HEADER = 12;
const MAGIC = [0x47, 0x49, 0x4f, 0x50]; // "GIOP"

/** `cdr`: a GIOP message. */
export const cdr: PacketFamily = {
  name: 'cdr',
  length(bytes, n, limits) {
    if (n < HEADER) return MORE;
    for (let i = 0; i < MAGIC.length; i++) if (bytes.byteAt(i) !== MAGIC[i]) return INVALID;
    const body =
      (bytes.byteAt(6) & 0x01) !== 0
        ? bytes.byteAt(8) + bytes.byteAt(9) * 0x100 + bytes.byteAt(10) * 0x1_0000 + bytes.byteAt(11) * 0x100_0000
        : readUIntBE(bytes, 8, 4);
    return headerTotal(HEADER, body, limits);
  },
  payload: (_bytes, total) => [0, total],
};
