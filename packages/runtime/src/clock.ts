/**
 * Time, injected: `receive … after`, `sleep` and the timers all read the
 * clock through this module, so tests can swap in a simulated one
 * (`@beamline/runtime/testing`).
 */

export interface Clock {
  /** Milliseconds on a monotonic scale. */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds; returns a handle for `cancel`. */
  schedule(ms: number, fn: () => void): unknown;
  cancel(handle: unknown): void;
}

/** Node's timers stop at 2^31 - 1 ms; Erlang's go to 2^32 - 1, so longer ones are chained. */
const NODE_MAX_DELAY = 0x7fffffff;

class LongTimer {
  handle: NodeJS.Timeout | undefined;
  constructor(
    private readonly due: number,
    private readonly fn: () => void,
  ) {
    this.arm();
  }
  private arm(): void {
    const left = this.due - performance.now();
    this.handle = left <= NODE_MAX_DELAY ? setTimeout(this.fn, Math.max(0, left)) : setTimeout(() => this.arm(), NODE_MAX_DELAY);
  }
}

export const systemClock: Clock = {
  now: () => performance.now(),
  schedule: (ms, fn) => (ms <= NODE_MAX_DELAY ? setTimeout(fn, ms) : new LongTimer(performance.now() + ms, fn)),
  cancel: (handle) => clearTimeout(handle instanceof LongTimer ? handle.handle : (handle as NodeJS.Timeout)),
};

let active: Clock = systemClock;

export function clock(): Clock {
  return active;
}

/** Replaces the clock; returns the previous one. Used by the testing helpers. */
export function setClock(next: Clock): Clock {
  const previous = active;
  active = next;
  return previous;
}
