/**
 * Timeouts of any length. Node's timers hold at most 2^31-1 ms and fire at
 * once (after a warning) past that; OTP's recv, accept and connect wait as
 * long as they are told (checked with OTP 25: recv and accept with 2^31 ms
 * wait), so a longer timeout is chained.
 */
const MAX_DELAY = 0x7fffffff;

/** Calls `fire` after `ms` milliseconds; returns a function that cancels it. */
export function startTimeout(ms: number, fire: () => void): () => void {
  let timer: ReturnType<typeof setTimeout>;
  const arm = (left: number): void => {
    timer = left > MAX_DELAY ? setTimeout(() => arm(left - MAX_DELAY), MAX_DELAY) : setTimeout(fire, left);
  };
  arm(ms);
  return () => clearTimeout(timer);
}
