/**
 * The mailbox ring buffer (mailbox.ts) on its own: positions, removal from
 * anywhere, growth, wrap-around, and a long random run against a plain array.
 */
import { describe, expect, it } from 'vitest';
import { Mailbox } from '../src/mailbox.ts';

function filled(...messages: unknown[]): Mailbox {
  const box = new Mailbox();
  for (const m of messages) box.push(m);
  return box;
}

/** A mailbox whose head has moved `shift` places, so that its contents wrap around the 4-slot buffer. */
function wrapped(shift: number, ...messages: unknown[]): Mailbox {
  const box = new Mailbox();
  for (let i = 0; i < shift; i++) box.push(`old${i}`);
  for (let i = 0; i < shift; i++) box.take(0);
  for (const m of messages) box.push(m);
  return box;
}

/** Mulberry32: a small seeded PRNG, so a failing run can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('Mailbox', () => {
  it('starts empty', () => {
    const box = new Mailbox();
    expect(box.size).toBe(0);
    expect(box.toArray()).toEqual([]);
    expect(box.takeAll(() => true)).toEqual([]);
  });

  it('push appends at the tail; at(i) reads from the oldest', () => {
    const box = filled('a', 'b', 'c');
    expect(box.size).toBe(3);
    expect([box.at(0), box.at(1), box.at(2)]).toEqual(['a', 'b', 'c']);
  });

  it('keeps falsy messages as they are', () => {
    const box = filled(0, '', null, false);
    expect(box.toArray()).toEqual([0, '', null, false]);
    expect(box.take(2)).toBe(null);
    expect(box.toArray()).toEqual([0, '', false]);
  });

  it('take(0) removes the head', () => {
    const box = filled('a', 'b', 'c', 'd');
    expect(box.take(0)).toBe('a');
    expect(box.size).toBe(3);
    expect(box.toArray()).toEqual(['b', 'c', 'd']);
  });

  it('take(size - 1) removes the tail', () => {
    const box = filled('a', 'b', 'c', 'd');
    expect(box.take(3)).toBe('d');
    expect(box.toArray()).toEqual(['a', 'b', 'c']);
  });

  it('take from the middle keeps the others in order, on both halves', () => {
    const box = filled(1, 2, 3, 4, 5, 6, 7);
    expect(box.take(1)).toBe(2); // nearer the head
    expect(box.toArray()).toEqual([1, 3, 4, 5, 6, 7]);
    expect(box.take(4)).toBe(6); // nearer the tail
    expect(box.toArray()).toEqual([1, 3, 4, 5, 7]);
    expect(box.take(2)).toBe(4);
    expect(box.toArray()).toEqual([1, 3, 5, 7]);
  });

  it('the last take leaves an empty mailbox that accepts pushes again', () => {
    const box = filled('only');
    expect(box.take(0)).toBe('only');
    expect(box.size).toBe(0);
    box.push('next');
    expect(box.toArray()).toEqual(['next']);
  });

  it('grows past its first buffer and keeps order', () => {
    const box = new Mailbox();
    for (let i = 0; i < 100; i++) box.push(i);
    expect(box.size).toBe(100);
    expect(box.toArray()).toEqual(Array.from({ length: 100 }, (_v, i) => i));
  });

  it('grows while wrapped around and keeps order', () => {
    const box = wrapped(3, 'a', 'b', 'c', 'd'); // full 4-slot buffer, head at slot 3
    expect(box.toArray()).toEqual(['a', 'b', 'c', 'd']);
    box.push('e'); // grows
    box.push('f');
    expect(box.toArray()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(box.take(0)).toBe('a');
    expect(box.take(4)).toBe('f');
    expect(box.toArray()).toEqual(['b', 'c', 'd', 'e']);
  });

  it('take at head, middle and tail works when the contents wrap around', () => {
    for (let shift = 0; shift < 4; shift++) {
      for (let i = 0; i < 4; i++) {
        const box = wrapped(shift, 'a', 'b', 'c', 'd');
        const model = ['a', 'b', 'c', 'd'];
        expect(box.take(i)).toBe(model[i]);
        model.splice(i, 1);
        expect(box.toArray()).toEqual(model);
        box.push('e');
        model.push('e');
        expect(box.toArray()).toEqual(model);
      }
    }
  });

  it('takeAll removes and returns the accepted messages in order; the rest keep theirs', () => {
    const box = wrapped(2, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    expect(box.takeAll((m) => (m as number) % 3 === 0)).toEqual([3, 6, 9]);
    expect(box.toArray()).toEqual([1, 2, 4, 5, 7, 8]);
    box.push(10);
    expect(box.toArray()).toEqual([1, 2, 4, 5, 7, 8, 10]);
  });

  it('takeAll accepting nothing leaves the mailbox as it was', () => {
    const box = filled('a', 'b');
    expect(box.takeAll(() => false)).toEqual([]);
    expect(box.toArray()).toEqual(['a', 'b']);
  });

  it('takeAll accepting everything empties it', () => {
    const box = filled('a', 'b', 'c');
    expect(box.takeAll(() => true)).toEqual(['a', 'b', 'c']);
    expect(box.size).toBe(0);
    expect(box.toArray()).toEqual([]);
  });

  it('clear empties it', () => {
    const box = filled(1, 2, 3);
    box.clear();
    expect(box.size).toBe(0);
    box.push(4);
    expect(box.toArray()).toEqual([4]);
  });

  it('behaves like a plain array over thousands of random operations', () => {
    for (const seed of [1, 42, 20240601]) {
      const random = prng(seed);
      const box = new Mailbox();
      const model: number[] = [];
      let next = 0;
      let maxSize = 0;
      let emptiedAfterGrowth = 0;
      for (let step = 0; step < 6000; step++) {
        // Phases of 500 steps that favour pushes, then takes: the buffer grows, wraps, drains to empty.
        const pushChance = Math.floor(step / 500) % 2 === 0 ? 0.45 : 0.2;
        const r = random();
        let op: string;
        if (model.length === 0 || r < pushChance) {
          op = 'push';
          const burst = 1 + Math.floor(random() * 3);
          for (let k = 0; k < burst; k++) {
            box.push(next);
            model.push(next++);
          }
        } else if (r < pushChance + 0.2) {
          op = 'take head';
          expect(box.take(0)).toBe(model.shift());
        } else if (r < pushChance + 0.35) {
          op = 'take tail';
          expect(box.take(model.length - 1)).toBe(model.pop());
        } else if (r < 0.98) {
          op = 'take middle';
          const i = Math.floor(random() * model.length);
          expect(box.take(i)).toBe(model.splice(i, 1)[0]);
        } else {
          op = 'takeAll';
          const modulus = 2 + Math.floor(random() * 5);
          const taken = box.takeAll((m) => (m as number) % modulus === 0);
          expect(taken).toEqual(model.filter((m) => m % modulus === 0));
          model.splice(0, model.length, ...model.filter((m) => m % modulus !== 0));
        }
        if (model.length === 0 && maxSize > 16) emptiedAfterGrowth++;
        maxSize = Math.max(maxSize, model.length);
        if (box.size !== model.length) expect({ seed, step, op, size: box.size }).toEqual({ seed, step, op, size: model.length });
        for (let i = 0; i < model.length; i++) {
          if (box.at(i) !== model[i]) expect({ seed, step, op, i, at: box.at(i) }).toEqual({ seed, step, op, i, at: model[i] });
        }
      }
      expect(box.toArray()).toEqual(model);
      // The run did exercise growth well past the first 4-slot buffer, and draining back to empty.
      expect(maxSize).toBeGreaterThan(64);
      expect(emptiedAfterGrowth).toBeGreaterThan(0);
    }
  });
});
