/**
 * The process record. A process is an async function run by the scheduler;
 * this record holds what the runtime knows of it: its mailbox, what it is
 * blocked on, its links and monitors, and how it ended.
 *
 * Link and monitor tables are created on first use, so an idle process costs
 * only this record, its mailbox and its suspended function.
 */
import { Mailbox } from './mailbox.js';
import { Pid, type Ref } from './pid.js';
import type { ReceiveArg } from './receive.js';

/**
 * Where a process stands. Exactly one process is `running` at a time.
 * - `runnable`: in the run queue, `wake` says what to do when it is picked.
 * - `running`: its code is executing (or its next microtask is queued).
 * - `waiting`: blocked in `receive`; a new message or the `after` timer wakes it.
 * - `awaiting`: blocked in `awaitPromise` (or a driver call built on it).
 * - `detached`: found awaiting a promise the runtime does not know of.
 * - `exited`: gone; only its pid remains.
 */
export type ProcessStatus = 'runnable' | 'running' | 'waiting' | 'awaiting' | 'detached' | 'exited';

/** What the scheduler does when it picks a runnable process. */
export const enum Wake {
  /** Call the body for the first time. */
  Start,
  /** Look for a matching message (or honour a timeout) for the blocked receive. */
  Receive,
  /** Resolve the pending promise with `value`. */
  Value,
  /** Reject the pending promise with `value`. */
  Throw,
}

export type ExitHook = (reason: unknown, proc: Proc) => void;

export interface Watcher {
  readonly watcher: Proc;
  /** What the DOWN message names: the pid, or `[name, node]` when monitored by name. */
  readonly item: Pid | readonly [string, string];
}

export const PROC = Symbol('beamline.proc');

declare module './pid.js' {
  interface Pid {
    /** @internal the live process behind this pid, or null once it has exited */
    [PROC]: Proc | null;
  }
}

export class Proc {
  readonly pid: Pid;
  status: ProcessStatus = 'runnable';
  wake: Wake = Wake.Start;
  readonly mailbox = new Mailbox();

  /** The function to start, until it is started. */
  body: ((...args: any[]) => unknown) | null;
  args: readonly unknown[] | null;

  // A blocked receive or awaitPromise.
  /** Resolves the promise the process awaits; doubles as the identity of the wait. */
  resolve: ((value: unknown) => void) | null = null;
  /** The receive's patterns and clauses (`null` while not receiving). */
  receiving: readonly ReceiveArg[] | null = null;
  /** Mailbox position from which the blocked receive still has to look. */
  scanFrom = 0;
  timer: unknown = undefined;
  timedOut = false;
  /** The clause that matched, when the receive has clause bodies to run. */
  matched: unknown = null;
  /** Value for `Wake.Value` / `Wake.Throw`. */
  value: unknown = undefined;
  /** Receives done without blocking in this slice. */
  reductions = 0;

  trapExit = false;
  name: string | undefined = undefined;
  links: Set<Proc> | null = null;
  /** Monitors this process holds: ref → monitored process. */
  monitors: Map<Ref, Proc> | null = null;
  /** Monitors others hold on this process. */
  watchers: Map<Ref, Watcher> | null = null;
  exitHooks: Set<ExitHook> | null = null;
  /** Timers whose destination is this process; cancelled when it exits. */
  timers: Set<Ref> | null = null;
  /** A crash is not logged when someone else reports it (run()) or an exit signal caused it. */
  quietCrash = false;
  exitReason: unknown = undefined;
  result: unknown = undefined;

  constructor(id: number, body: (...args: any[]) => unknown, args: readonly unknown[] | null) {
    this.pid = new Pid(id);
    this.pid[PROC] = this;
    this.body = body;
    this.args = args;
  }
}

let nextPid = 80;
/** Every live process. */
export const table = new Set<Proc>();

export function newProc(body: (...args: any[]) => unknown, args: readonly unknown[] | null): Proc {
  const proc = new Proc(nextPid++, body, args);
  table.add(proc);
  return proc;
}

/** The live process behind a pid, or null. */
export function procOf(pid: Pid): Proc | null {
  return pid[PROC] ?? null;
}
