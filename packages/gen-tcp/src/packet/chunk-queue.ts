/**
 * The bytes a socket has received and not yet delivered, kept as the chunks
 * Node handed over, never joined on arrival.
 *
 * Contract: taking a packet copies its bytes at most once. A packet that
 * lies within one chunk is returned as a `subarray` of it, or the chunk
 * itself when it is the whole chunk (no copy); one
 * that spans chunks is joined by a single `Buffer.concat` of the pieces when
 * it is taken. Pushing never copies.
 */
import type { ByteView } from './byte-view.js';

const EMPTY = Buffer.alloc(0);

/** A FIFO of byte chunks that reads like one contiguous `ByteView`. */
export class ChunkQueue implements ByteView {
  /**
   * Chunks in arrival order; the slots before `#head` are consumed and
   * cleared at once, so a read buffer dies young (see `#consume`).
   */
  #chunks: (Buffer | undefined)[] = [];
  /** Where the next chunk goes: the slots from here on are empty. */
  #tail = 0;
  #head = 0;
  /** Bytes of `#chunks[#head]` already consumed. */
  #offset = 0;
  #length = 0;
  /** Cursor for `#seek`: chunk `#cursorChunk` starts at stream position `#cursorPos`. */
  #cursorChunk = 0;
  #cursorPos = 0;
  /**
   * The last search in one chunk: `#found` is where the first
   * `#foundByte` at or after `#foundFrom` lies in `#foundChunk`, -1 for
   * none up to its end.
   */
  #foundChunk: Buffer = EMPTY;
  #foundByte = -1;
  #foundFrom = 0;
  #found = -1;

  /** Bytes held. */
  get length(): number {
    return this.#length;
  }

  /** Bytes held in the first chunk. */
  headLength(): number {
    const head = this.#chunks[this.#head];
    return head === undefined ? 0 : head.length - this.#offset;
  }

  /** Appends a chunk (kept as is, not copied). Empty chunks are ignored. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    // Into a slot of the reused array: no new array each time the queue empties.
    this.#chunks[this.#tail++] = chunk;
    this.#length += chunk.length;
  }

  byteAt(index: number): number {
    // Headers are read byte by byte, nearly always from the first chunk.
    const head = this.#chunks[this.#head];
    if (head !== undefined && index + this.#offset < head.length) return head[index + this.#offset] ?? 0;
    this.#seek(index);
    return this.#chunks[this.#cursorChunk]?.[index - this.#cursorPos] ?? 0;
  }

  indexOf(byte: number, from: number, to: number): number {
    if (to > this.#length) to = this.#length;
    if (from >= to) return -1;
    // The common case, a line inside the first chunk: no walk over the chunks.
    const head = this.#chunks[this.#head];
    const offset = this.#offset;
    if (head !== undefined && to + offset <= head.length) {
      const found = this.#find(head, byte, from + offset);
      return found >= 0 && found < to + offset ? found - offset : -1;
    }
    this.#seek(from);
    let i = this.#cursorChunk;
    let start = this.#cursorPos;
    let chunk = this.#chunks[i] ?? EMPTY;
    for (;;) {
      const lo = Math.max(from - start, 0);
      const hi = Math.min(to - start, chunk.length);
      const found = this.#find(chunk, byte, lo);
      if (found >= 0 && found < hi) return start + found;
      start += chunk.length;
      if (start >= to) return -1;
      i += 1;
      chunk = this.#chunks[i] ?? EMPTY;
      // Advancing the cursor keeps a scan that resumes where this one
      // stopped from walking the chunks again.
      this.#cursorChunk = i;
      this.#cursorPos = start;
    }
  }

  /**
   * The first `byte` at or after `from` in `chunk`, up to its end, or -1.
   * Not bounded by the range asked for: a `subarray` to bound it would
   * allocate on every search, one per line. What a search finds is kept, so
   * searching further in the same chunk (a line cut in buffer-sized pieces)
   * does not scan the same bytes again.
   */
  #find(chunk: Buffer, byte: number, from: number): number {
    if (chunk !== this.#foundChunk || byte !== this.#foundByte || from < this.#foundFrom || (this.#found >= 0 && from > this.#found)) {
      this.#foundChunk = chunk;
      this.#foundByte = byte;
      this.#foundFrom = from;
      this.#found = chunk.indexOf(byte, from);
    }
    return this.#found;
  }

  /** Drops the first `n` bytes (`n <= length`). */
  skip(n: number): void {
    this.#consume(n, undefined);
  }

  /**
   * Removes and returns the first `n` bytes (`n <= length`): a view into the
   * chunk when they lie in one (the chunk itself when they are all of it),
   * else one new Buffer.
   */
  take(n: number): Buffer {
    const head = this.#chunks[this.#head];
    if (head === undefined) return EMPTY;
    const available = head.length - this.#offset;
    if (available > n) {
      // The common case, one packet of many in a read: no loop, the chunk stays.
      const out = head.subarray(this.#offset, this.#offset + n);
      this.#offset += n;
      this.#length -= n;
      this.#resetCursor();
      return out;
    }
    if (available === n) {
      // A whole chunk (a raw read) goes out as it came: no new view.
      const out = this.#offset === 0 ? head : head.subarray(this.#offset, this.#offset + n);
      this.#consume(n, undefined);
      return out;
    }
    const pieces: Buffer[] = [];
    this.#consume(n, pieces);
    return Buffer.concat(pieces, n);
  }

  /** Removes and returns everything in the first chunk (no copy). */
  takeHead(): Buffer {
    return this.take(this.headLength());
  }

  /** Drops everything; returns how many bytes were dropped. */
  clear(): number {
    const dropped = this.#length;
    this.#chunks = [];
    this.#tail = 0;
    this.#head = 0;
    this.#offset = 0;
    this.#length = 0;
    this.#foundChunk = EMPTY;
    this.#resetCursor();
    return dropped;
  }

  /**
   * Moves the cursor to the chunk holding stream position `pos < length`.
   * (It sets fields rather than return the pair: no allocation per byte read.)
   */
  #seek(pos: number): void {
    let i = this.#cursorChunk;
    let start = this.#cursorPos;
    if (start > pos) {
      i = this.#head;
      start = -this.#offset;
    }
    let chunk = this.#chunks[i] ?? EMPTY;
    while (start + chunk.length <= pos && i + 1 < this.#tail) {
      start += chunk.length;
      i += 1;
      chunk = this.#chunks[i] ?? EMPTY;
    }
    this.#cursorChunk = i;
    this.#cursorPos = start;
  }

  /** Consumes `n` bytes from the front, collecting them into `pieces` when given. */
  #consume(n: number, pieces: Buffer[] | undefined): void {
    this.#length -= n;
    while (n > 0) {
      const head = this.#chunks[this.#head];
      if (head === undefined) break;
      const available = head.length - this.#offset;
      if (available > n) {
        pieces?.push(head.subarray(this.#offset, this.#offset + n));
        this.#offset += n;
        break;
      }
      pieces?.push(this.#offset === 0 ? head : head.subarray(this.#offset));
      n -= available;
      // Kept until compaction, a consumed 64 KiB read buffer would outlive
      // the young generation and be freed in old-space batches, which made
      // the allocator hand pages back and fault them in again (bulk recv).
      this.#chunks[this.#head] = undefined;
      this.#head += 1;
      this.#offset = 0;
    }
    this.#compact();
    this.#resetCursor();
  }

  /** Reuses the array from its start once every chunk is consumed; else drops the consumed slots once they are most of it. */
  #compact(): void {
    if (this.#head === this.#tail) {
      // Every slot up to the tail was cleared as it was consumed; an array
      // grown long by one big packet is not kept, nor the last chunk searched.
      if (this.#chunks.length > 64) this.#chunks = [];
      this.#head = 0;
      this.#tail = 0;
      this.#foundChunk = EMPTY;
    } else if (this.#head >= 64 && this.#head * 2 >= this.#tail) {
      this.#chunks = this.#chunks.slice(this.#head, this.#tail);
      this.#tail -= this.#head;
      this.#head = 0;
    }
  }

  #resetCursor(): void {
    this.#cursorChunk = this.#head;
    this.#cursorPos = -this.#offset;
  }
}
