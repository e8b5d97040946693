/**
 * @beamline/runtime/testing: helpers for deterministic tests.
 * - `useSimulatedClock()` swaps the runtime's clock for one that moves only
 *   when `advance(ms)` is called, so `after` and timer tests need no waiting.
 * - `settle()` waits until every process is blocked or gone.
 */
import { type Clock, setClock } from '../clock.js';
import { ProcessExit } from '../errors.js';
import { setLogger } from '../logger.js';
import { liveProcs } from '../process.js';
import { exit } from '../signals.js';
import { isIdle } from '../scheduler.js';

interface SimTimer {
  readonly due: number;
  readonly seq: number;
  readonly fn: () => void;
}

export class SimulatedClock implements Clock {
  private time = 0;
  private seq = 0;
  private timers = new Set<SimTimer>();

  now(): number {
    return this.time;
  }

  schedule(ms: number, fn: () => void): unknown {
    const timer: SimTimer = { due: this.time + ms, seq: this.seq++, fn };
    this.timers.add(timer);
    return timer;
  }

  cancel(handle: unknown): void {
    this.timers.delete(handle as SimTimer);
  }

  /** Pending timers. */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, firing due timers in deadline order, then lets processes run. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    for (;;) {
      let next: SimTimer | undefined;
      for (const t of this.timers) {
        if (t.due <= target && (next === undefined || t.due < next.due || (t.due === next.due && t.seq < next.seq))) next = t;
      }
      if (next === undefined) break;
      this.timers.delete(next);
      this.time = Math.max(this.time, next.due);
      next.fn();
      await settle();
    }
    this.time = target;
    await settle();
  }
}

/** Installs a simulated clock; call `restore()` afterwards. */
export function useSimulatedClock(): SimulatedClock & { restore(): void } {
  const sim = new SimulatedClock();
  const previous = setClock(sim);
  return Object.assign(sim, {
    restore: () => {
      setClock(previous);
    },
  });
}

/** Resolves once no process is running or runnable (bounded to `maxTurns` event-loop turns). */
export async function settle(maxTurns = 1000): Promise<void> {
  for (let i = 0; i < maxTurns; i++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (isIdle()) return;
  }
  throw new Error(`settle: processes still runnable after ${maxTurns} turns`);
}

/**
 * Kills every live process without crash reports and waits until the runtime
 * is idle: what a test's `afterEach` wants after it left processes running.
 */
export async function killAll(): Promise<void> {
  const previous = setLogger(() => {});
  try {
    for (const p of liveProcs()) {
      try {
        exit(p, 'kill');
      } catch (error) {
        // Called between a running process's microtasks, exit() acts for that
        // process, and killing it throws its ProcessExit here: it is dead, go on.
        if (!(error instanceof ProcessExit)) throw error;
      }
    }
  } finally {
    setLogger(previous);
  }
  await settle();
}
