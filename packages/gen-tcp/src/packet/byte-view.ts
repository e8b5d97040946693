/**
 * Read-only access to the first bytes of a stream, whether they sit in one
 * Buffer (`decodePacket`) or in a queue of received chunks (the framer), so
 * that the packet families are written once for both.
 */

/** The bytes a packet family may look at. */
export interface ByteView {
  /** How many bytes there are. */
  readonly length: number;
  /** The byte at `index`, `0 <= index < length`. */
  byteAt(index: number): number;
  /** The index of the first `byte` in `[from, to)`, or -1. */
  indexOf(byte: number, from: number, to: number): number;
}

/** A `ByteView` over one Buffer (no copy). */
export function bufferView(buffer: Buffer): ByteView {
  return {
    length: buffer.length,
    byteAt: (index) => buffer[index] ?? 0,
    indexOf: (byte, from, to) => {
      if (from >= to) return -1;
      const found = buffer.subarray(from, to).indexOf(byte);
      return found < 0 ? -1 : from + found;
    },
  };
}
