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

/**
 * A `ByteView` over one Buffer (no copy). A class, not an object of
 * closures: `decodePacket` makes one per call, and closures made per call
 * cost an order of magnitude under tsx (it names each one as it is made).
 */
class BufferView implements ByteView {
  readonly length: number;
  constructor(private readonly buffer: Buffer) {
    this.length = buffer.length;
  }
  byteAt(index: number): number {
    return this.buffer[index] ?? 0;
  }
  indexOf(byte: number, from: number, to: number): number {
    if (from >= to) return -1;
    const found = this.buffer.indexOf(byte, from);
    return found < 0 || found >= to ? -1 : found;
  }
}

/** A `ByteView` over one Buffer (no copy). */
export function bufferView(buffer: Buffer): ByteView {
  return new BufferView(buffer);
}
