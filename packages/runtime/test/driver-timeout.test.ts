/**
 * driverTimeout: timeouts longer than Node's timers hold (2^31-1 ms) are
 * chained, so they fire when due, not at once. Fake timers stand in for the
 * 24.8 days; gen-tcp's use of it (recv, accept) is tested in its gen-tcp.test.ts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { driverTimeout } from '../src/index.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('driverTimeout', () => {
  it('fires a timeout past 2^31-1 ms when due, not before', () => {
    vi.useFakeTimers();
    const fired: number[] = [];
    driverTimeout(2 ** 32 + 5, () => fired.push(Date.now()));
    const start = Date.now();
    vi.advanceTimersByTime(2 ** 32 + 4);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([start + 2 ** 32 + 5]);
  });

  it('a cancelled timeout never fires, in any link of the chain', () => {
    vi.useFakeTimers();
    const fired: string[] = [];
    const cancelEarly = driverTimeout(2 ** 31 + 10, () => fired.push('early'));
    const cancelLate = driverTimeout(2 ** 31 + 10, () => fired.push('late'));
    cancelEarly();
    vi.advanceTimersByTime(2 ** 31); // the second link of cancelLate's chain is armed now
    cancelLate();
    vi.advanceTimersByTime(2 ** 32);
    expect(fired).toEqual([]);
  });

  it('a short timeout is one plain timer', () => {
    vi.useFakeTimers();
    let fired = 0;
    driverTimeout(10, () => fired++);
    vi.advanceTimersByTime(9);
    expect(fired).toBe(0);
    vi.advanceTimersByTime(1);
    expect(fired).toBe(1);
  });
});
