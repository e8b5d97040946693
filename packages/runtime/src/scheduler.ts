/**
 * The scheduler: a run queue of processes, one process running at a time.
 *
 * A process runs until it blocks in a runtime operation (`receive`, `sleep`,
 * `awaitPromise`, a socket call) or ends; then the next runnable process is
 * resumed. Because only one process's code is in flight at a time, `self()` is
 * a plain variable read, valid across `await`s, with no async context tracking.
 *
 * Fairness: each macrotask runs at most `BATCH` steps (resumptions and
 * non-blocking receives); then the scheduler yields to the event loop with one
 * `setImmediate`, so timers and sockets are served however busy processes are.
 * A process that keeps finding messages yields its slice after `SLICE`
 * receives so the others get their turn.
 */
import { WAKE_HANDOFF, WAKE_RECEIVE, WAKE_START, WAKE_THROW, WAKE_VALUE, type Proc } from './process.js';
import { BeamlineError, ProcessExit } from './errors.js';
import { onBodyReturned, onBodyFailed } from './exit.js';
import { reportDetached } from './logger.js';
import { resumeReceive } from './receive.js';

/** Steps per macrotask before the event loop gets its turn. */
export const BATCH = 2000;
/** Receives one process may do without blocking before it yields. */
export const SLICE = 200;

/** A FIFO of processes on a growable ring buffer: O(1) at both ends, no allocation in steady state. */
class RunQueue {
  private buf: (Proc | undefined)[] = new Array<Proc | undefined>(1024);
  private head = 0;
  private count = 0;
  get length(): number {
    return this.count;
  }
  push(p: Proc): void {
    let buf = this.buf;
    if (this.count === buf.length) {
      const next = new Array<Proc | undefined>(buf.length * 2);
      for (let i = 0; i < this.count; i++) next[i] = buf[(this.head + i) & (buf.length - 1)];
      this.buf = buf = next;
      this.head = 0;
    }
    buf[(this.head + this.count) & (buf.length - 1)] = p;
    this.count++;
  }
  shift(): Proc | undefined {
    if (this.count === 0) return undefined;
    const buf = this.buf;
    const p = buf[this.head];
    buf[this.head] = undefined;
    this.head = (this.head + 1) & (buf.length - 1);
    this.count--;
    return p;
  }
}

const runQueue = new RunQueue();
/** The process whose code is in flight, if any: what `self()` answers. */
let running: Proc | null = null;
let budget = BATCH;
/** Receives the running process has done without blocking in its slice. */
let sliceReceives = 0;
let dispatching = false;
let microtaskArmed = false;
let immediateArmed = false;
/** The process left running by the last dispatch, followed through the microtask queue (watchRunning). */
let watched: Proc | null = null;
let watchHops = 0;
let watchArmed = false;
/** Microtask hops a resumed process may take before it blocks, ends or is handed to the next macrotask's check. */
const WATCH_HOPS = 16;
/** Watches since the scheduler was last idle: a long burst (a ring of processes) gets one setImmediate instead. */
let watchesSinceIdle = 0;
const WATCHES_PER_BURST = 64;

/**
 * The calling process, or a `not_in_process` error naming the function. A
 * process killed while its code runs is still unwinding (its `finally`
 * blocks): every runtime call it makes throws its exit again.
 */
export function currentProc(fn: string): Proc {
  const p = running;
  if (p === null) {
    throw new BeamlineError(
      'not_in_process',
      `${fn}() must be called inside a process (spawn or run); after a bare await of a promise the runtime does not know, wrap it in awaitPromise()`,
    );
  }
  if (p.status === 'exited') throw new ProcessExit(p.value);
  return p;
}

/** The calling process, or null outside processes. */
export function currentOrNull(): Proc | null {
  return running;
}

/** Puts a process in the run queue, to be woken as `p.wake` says. */
export function makeRunnable(p: Proc): void {
  // A process killed before it was first queued (by a telemetry listener of spawn) stays dead.
  if (p.status === 'exited') return;
  p.status = 'runnable';
  runQueue.push(p);
  if (running === null && !dispatching) armMicrotask();
}

/**
 * The running process blocks: the next runnable process is resumed at once.
 * Its code is already done with this turn (it only awaits the promise it got),
 * so resuming the next one here never runs code under live user frames.
 */
export function blocked(p: Proc): void {
  if (running === p) {
    running = null;
    dispatch();
  }
}

/**
 * The running process ended. `fromOwnStack` is true when its own code may
 * still be on the stack (a kill delivered during its call): it stays the
 * running process while that code unwinds, through `await`s and `finally`
 * blocks, so that no other process runs meanwhile and `self()` stays right;
 * the next process starts when its body settles (exit.ts) or, if it never
 * does, on the next macrotask (onImmediate).
 */
export function released(p: Proc, fromOwnStack: boolean): void {
  if (running !== p || fromOwnStack) return;
  running = null;
  dispatch();
}

/** A receive that found its message: may the process go on, or must it yield? */
export function spendReduction(): boolean {
  return --budget > 0 && ++sliceReceives < SLICE;
}

export function isIdle(): boolean {
  return running === null && runQueue.length === 0;
}

/**
 * Reactions on a settled promise are plain microtasks: Node's
 * `queueMicrotask` also makes an async resource and a bound function per
 * call, paid on every wake from I/O. `dispatch` never throws, so nothing
 * can turn into an unhandled rejection.
 */
const settled = Promise.resolve();

function armMicrotask(): void {
  if (microtaskArmed) return;
  microtaskArmed = true;
  void settled.then(onMicrotask);
}

function onMicrotask(): void {
  microtaskArmed = false;
  dispatch();
}

function armImmediate(): void {
  if (immediateArmed) return;
  immediateArmed = true;
  setImmediate(onImmediate);
}

/**
 * A new macrotask: the budget is renewed. A process still marked running here
 * has no work left in the microtask queue, so it is blocked on a promise the
 * runtime does not know of: it is detached so the others can go on.
 */
function onImmediate(): void {
  immediateArmed = false;
  budget = BATCH;
  const p = running;
  if (p !== null) {
    running = null;
    // A killed process whose unwinding awaits a foreign promise is dead, not detached.
    if (p.status !== 'exited') {
      p.status = 'detached';
      reportDetached(p);
    }
  }
  dispatch();
}

function dispatch(): void {
  if (dispatching || running !== null) return;
  // step() never throws (a failure becomes the process's crash), so no try/finally.
  dispatching = true;
  while (running === null) {
    if (budget <= 0) {
      armImmediate();
      break;
    }
    const p = runQueue.shift();
    if (p === undefined) break;
    if (p.status !== 'runnable') continue;
    budget--;
    running = p;
    p.status = 'running';
    sliceReceives = 0;
    step(p);
  }
  dispatching = false;
  if (running === null) {
    if (runQueue.length === 0) watchesSinceIdle = 0;
  } else if (!immediateArmed) {
    if (++watchesSinceIdle > WATCHES_PER_BURST) armImmediate();
    else watchRunning(running);
  }
}

/**
 * A resumed process normally blocks or ends within a few microtasks. Follow
 * it that far on the microtask queue, which costs far less than a
 * setImmediate per wake (measured: about 5 µs of CPU per echo round trip);
 * if it is still running after WATCH_HOPS hops, it may be waiting on a
 * promise the runtime does not know, and it gets until the next macrotask
 * (onImmediate). In a long burst (many wakes without the scheduler going
 * idle) the one setImmediate of the macrotask is cheaper than a microtask
 * per wake, so dispatch arms that instead.
 */
function watchRunning(p: Proc): void {
  watched = p;
  watchHops = 0;
  if (watchArmed) return;
  watchArmed = true;
  void settled.then(onWatch);
}

function onWatch(): void {
  watchArmed = false;
  const p = watched;
  if (p === null || running !== p) {
    watched = null;
    return;
  }
  if (++watchHops < WATCH_HOPS) {
    watchArmed = true;
    void settled.then(onWatch);
    return;
  }
  watched = null;
  armImmediate();
}

/** Resumes `p` as its `wake` says. Never throws: a failure becomes p's crash. */
function step(p: Proc): void {
  switch (p.wake) {
    case WAKE_START:
      startBody(p);
      return;
    case WAKE_RECEIVE:
      resumeReceive(p);
      return;
    case WAKE_VALUE:
    case WAKE_HANDOFF:
    case WAKE_THROW: {
      const resolve = p.resolve!;
      const value = p.value;
      p.resolve = null;
      p.value = undefined;
      resolve(p.wake === WAKE_THROW ? Promise.reject(value) : value);
      return;
    }
  }
}

function startBody(p: Proc): void {
  const body = p.body!;
  const args = p.value as unknown[] | null;
  p.body = null;
  p.value = undefined;
  let result: unknown;
  try {
    result = args === null ? body() : body(...args);
  } catch (error) {
    onBodyFailed(p, error);
    return;
  }
  if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
    // Closures, not Function#bind: bound functions cost about 500 more bytes per process here.
    (result as PromiseLike<unknown>).then((v) => onBodyReturned(p, v), (e: unknown) => onBodyFailed(p, e));
  } else {
    onBodyReturned(p, result);
  }
}
