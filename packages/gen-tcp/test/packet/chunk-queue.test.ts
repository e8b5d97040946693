/** `ChunkQueue`: received chunks read as one stream, taken with at most one copy. */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ChunkQueue } from '../../src/packet/chunk-queue.js';

function queueOf(...chunks: string[]): ChunkQueue {
  const queue = new ChunkQueue();
  for (const chunk of chunks) queue.push(Buffer.from(chunk, 'latin1'));
  return queue;
}

describe('ChunkQueue', () => {
  it('reads bytes across chunks', () => {
    const queue = queueOf('ab', '', 'c', 'def');
    expect(queue.length).toBe(6);
    expect([0, 1, 2, 3, 5].map((i) => String.fromCharCode(queue.byteAt(i)))).toEqual(['a', 'b', 'c', 'd', 'f']);
    expect(queue.byteAt(0)).toBe(97);
  });

  it('finds a byte within [from, to) across chunks', () => {
    const queue = queueOf('ab', 'cX', 'dXe');
    const X = 88;
    expect(queue.indexOf(X, 0, 7)).toBe(3);
    expect(queue.indexOf(X, 4, 7)).toBe(5);
    expect(queue.indexOf(X, 0, 3)).toBe(-1);
    expect(queue.indexOf(X, 6, 7)).toBe(-1);
    expect(queue.indexOf(X, 0, 100)).toBe(3);
    expect(queue.indexOf(X, 2, 2)).toBe(-1);
    // Searching backwards after a forward search still works.
    expect(queue.indexOf(97, 0, 7)).toBe(0);
  });

  it('answers searches of one chunk in successive ranges, before and after the byte, and for another byte', () => {
    // A search scans to the end of the chunk and remembers what it found: the next ones must still honour their range.
    const queue = queueOf('aaaa\nbbbb\ncc', 'c\n');
    const NL = 10;
    expect(queue.indexOf(NL, 0, 2)).toBe(-1);
    expect(queue.indexOf(NL, 2, 4)).toBe(-1);
    expect(queue.indexOf(NL, 2, 5)).toBe(4);
    expect(queue.indexOf(NL, 4, 5)).toBe(4);
    expect(queue.indexOf(NL, 5, 9)).toBe(-1);
    expect(queue.indexOf(NL, 7, 10)).toBe(9);
    expect(queue.indexOf(98, 0, 5)).toBe(-1);
    expect(queue.indexOf(98, 0, 7)).toBe(5);
    expect(queue.indexOf(NL, 10, 14)).toBe(13);
    expect(queue.indexOf(NL, 0, 14)).toBe(4);
    queue.skip(5);
    expect(queue.indexOf(NL, 0, 9)).toBe(4);
    expect(queue.take(5).toString()).toBe('bbbb\n');
    expect(queue.indexOf(NL, 0, 4)).toBe(3);
  });

  it('takes from one chunk without copying, and across chunks with one copy', () => {
    // Buffer.alloc, unlike Buffer.from, never hands out the shared pool.
    const first = Buffer.alloc(3, 'abc');
    const second = Buffer.alloc(4, 'defg');
    const queue = new ChunkQueue();
    queue.push(first);
    queue.push(second);
    const ab = queue.take(2);
    expect(ab.toString()).toBe('ab');
    expect(ab.buffer).toBe(first.buffer);
    expect(ab.byteOffset).toBe(first.byteOffset);
    const cde = queue.take(3);
    expect(cde.toString()).toBe('cde');
    expect(cde.buffer).not.toBe(first.buffer);
    expect(cde.buffer).not.toBe(second.buffer);
    expect(queue.length).toBe(2);
    expect(queue.byteAt(0)).toBe(0x66);
    expect(queue.takeHead().toString()).toBe('fg');
    expect(queue.length).toBe(0);
    expect(queue.take(0).length).toBe(0);
  });

  it('skips and clears', () => {
    const queue = queueOf('abc', 'def');
    queue.skip(4);
    expect(queue.length).toBe(2);
    expect(queue.headLength()).toBe(2);
    expect(queue.take(2).toString()).toBe('ef');
    queue.push(Buffer.from('xyz'));
    expect(queue.clear()).toBe(3);
    expect(queue.length).toBe(0);
    expect(queue.headLength()).toBe(0);
  });

  it('stays correct over many small chunks consumed in pieces', () => {
    const queue = new ChunkQueue();
    const text = 'the quick brown fox jumps over the lazy dog '.repeat(50);
    for (const ch of text) queue.push(Buffer.from(ch));
    let out = '';
    let size = 1;
    while (queue.length > 0) {
      const n = Math.min(size, queue.length);
      expect(String.fromCharCode(queue.byteAt(n - 1))).toBe(text[out.length + n - 1]);
      out += queue.take(n).toString();
      size = (size % 97) + 1;
    }
    expect(out).toBe(text);
  });

  it('lets go of a consumed chunk at once, while later chunks stay queued', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const queue = new ChunkQueue();
    const pushed: WeakRef<Buffer>[] = [];
    const push = (): void => {
      const chunk = Buffer.alloc(1024, pushed.length);
      pushed.push(new WeakRef(chunk));
      queue.push(chunk);
    };
    // A reader that is always one chunk behind, as a passive socket reading ahead is.
    push();
    for (let i = 0; i < 8; i++) {
      push();
      expect(queue.takeHead()[0]).toBe(i);
      expect(queue.length).toBe(1024);
    }
    // WeakRef targets live until the current job ends.
    await new Promise((resolve) => setTimeout(resolve, 0));
    gc();
    // Kept until compaction (64 chunks), consumed chunks outlived the young generation (bulk recv: page faults).
    expect(pushed.map((ref) => ref.deref() !== undefined)).toEqual([...Array<boolean>(8).fill(false), true]);
  });
});
