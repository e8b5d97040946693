/**
 * A process's mailbox: a FIFO on a growable ring buffer. Taking from the head
 * is O(1) and allocates nothing; selective receive can remove a message from
 * the middle while every other message keeps its place. The buffer is made on
 * the first message, so an idle process with an empty mailbox holds none.
 */
export class Mailbox {
  private buf: unknown[] | null = null;
  private head = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(message: unknown): void {
    let buf = this.buf;
    if (buf === null) {
      buf = this.buf = new Array<unknown>(4);
    } else if (this.count === buf.length) {
      buf = this.grow(buf);
    }
    buf[(this.head + this.count) & (buf.length - 1)] = message;
    this.count++;
  }

  /** The message at position `i` (0 = oldest). */
  at(i: number): unknown {
    const buf = this.buf!;
    return buf[(this.head + i) & (buf.length - 1)];
  }

  /** Removes and returns the message at position `i`; the others keep their order. */
  take(i: number): unknown {
    const buf = this.buf!;
    const mask = buf.length - 1;
    const head = this.head;
    const message = buf[(head + i) & mask];
    if (i < this.count >> 1) {
      // Closer to the head: move the older messages one place towards the tail.
      for (let k = i; k > 0; k--) buf[(head + k) & mask] = buf[(head + k - 1) & mask];
      buf[head] = undefined;
      this.head = (head + 1) & mask;
    } else {
      // Closer to the tail: move the newer messages one place towards the head.
      for (let k = i; k < this.count - 1; k++) buf[(head + k) & mask] = buf[(head + k + 1) & mask];
      buf[(head + this.count - 1) & mask] = undefined;
    }
    this.count--;
    return message;
  }

  /** Removes and returns, in order, every message `pick` accepts; the rest keep their order. */
  takeAll(pick: (message: unknown) => boolean): unknown[] {
    const taken: unknown[] = [];
    if (this.count === 0) return taken;
    const kept: unknown[] = [];
    for (let i = 0; i < this.count; i++) {
      const m = this.at(i);
      if (pick(m)) taken.push(m);
      else kept.push(m);
    }
    if (taken.length > 0) {
      this.clear();
      for (const m of kept) this.push(m);
    }
    return taken;
  }

  clear(): void {
    this.buf = null;
    this.head = 0;
    this.count = 0;
  }

  toArray(): unknown[] {
    const out: unknown[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.at(i));
    return out;
  }

  private grow(buf: unknown[]): unknown[] {
    const next = new Array<unknown>(buf.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = buf[(this.head + i) & (buf.length - 1)];
    this.head = 0;
    this.buf = next;
    return next;
  }
}
