/**
 * A small seeded PRNG for the property tests (mulberry32), so that a
 * failing case is replayed from the seed in the test's name.
 */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number;
  /** One of `items`. */
  pick<T>(items: readonly T[]): T;
  /** `n` random bytes, each drawn from `alphabet` when given. */
  bytes(n: number, alphabet?: readonly number[]): Buffer;
}

export function seeded(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number): number => lo + Math.floor(next() * (hi - lo + 1));
  return {
    next,
    int,
    pick: <T>(items: readonly T[]): T => items[int(0, items.length - 1)] as T,
    bytes(n, alphabet) {
      const out = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i++) out[i] = alphabet === undefined ? int(0, 255) : (alphabet[int(0, alphabet.length - 1)] ?? 0);
      return out;
    },
  };
}

/** `stream` cut into consecutive chunks of 1..`max` bytes (each a copy, as a socket would give). */
export function cut(random: Random, stream: Buffer, max: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0; at < stream.length; ) {
    const size = random.int(1, max);
    chunks.push(Buffer.from(stream.subarray(at, at + size)));
    at += size;
  }
  return chunks;
}
