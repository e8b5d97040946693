/**
 * The process record. A process is an async function run by the scheduler;
 * this record holds what the runtime knows of it: its mailbox, what it is
 * blocked on, and (in a side table made on first use) its links, monitors,
 * name and flags.
 *
 * The record *is* the process's pid (`Proc extends Pid`), and everything an
 * idle process does not need is allocated lazily, so that a process blocked
 * in `receive` costs little more than its suspended async function.
 */
import { Mailbox } from './mailbox.js';
import { Pid, type Ref } from './pid.js';
import type { Wait } from './receive.js';

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

/**
 * What the scheduler does when it picks a runnable process. Plain numeric
 * constants (not an enum) so that every loader inlines them.
 */
/** Call the body for the first time. */
export const WAKE_START = 0;
/** Look for a matching message (or honour a timeout) for the blocked receive. */
export const WAKE_RECEIVE = 1;
/** Resolve the pending promise with `value`. */
export const WAKE_VALUE = 2;
/** Reject the pending promise with `value`. */
export const WAKE_THROW = 3;
/** Resolve a bare `receive()` with `value`, a message handed over without the mailbox. */
export const WAKE_HANDOFF = 4;
export type Wake = typeof WAKE_START | typeof WAKE_RECEIVE | typeof WAKE_VALUE | typeof WAKE_THROW | typeof WAKE_HANDOFF;

export type ExitHook = (reason: unknown, result: unknown) => void;

export interface Watcher {
  readonly watcher: Proc;
  /** What the DOWN message names: the pid, or `[name, node]` when monitored by name. */
  readonly item: Pid | readonly [string, string];
}

/** What most processes never need, allocated on first use. */
export class Extras {
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
  /** Not crash-reported: someone else reports it (run()), or it died by a signal. */
  quietCrash = false;
}

export class Proc extends Pid {
  status: ProcessStatus = 'runnable';
  wake: Wake = WAKE_START;
  /** The mailbox, made on the first message that has to wait in it. */
  mbox: Mailbox | null = null;
  /** The function to start, until it is started. */
  body: ((...args: any[]) => unknown) | null;
  /** Resolves the promise the process awaits; doubles as the identity of the wait. */
  resolve: ((value: unknown) => void) | null = null;
  /** The blocked receive, if any. */
  wait: Wait | null = null;
  /**
   * Before the start: the body's arguments (or null). While runnable with
   * `Value`/`Throw`/`Handoff`: what to resolve with. After exit: the exit reason.
   */
  value: unknown;
  extras: Extras | null = null;
  /** The table of live processes is a list through these two fields. */
  prev: Proc | null = null;
  next: Proc | null = null;

  constructor(id: number, body: (...args: any[]) => unknown, args: readonly unknown[] | null) {
    super(id);
    this.body = body;
    this.value = args;
  }

  /** The pid: the record itself, seen through the public type. */
  get pid(): Pid {
    return this;
  }

  get mailbox(): Mailbox {
    return (this.mbox ??= new Mailbox());
  }

  /** Messages waiting in the mailbox. */
  get queued(): number {
    return this.mbox === null ? 0 : this.mbox.size;
  }

  get more(): Extras {
    return (this.extras ??= new Extras());
  }
}

let nextPid = 80;
/** The head of the list of live processes (newest first). */
let first: Proc | null = null;

export function newProc(body: (...args: any[]) => unknown, args: readonly unknown[] | null): Proc {
  const p = new Proc(nextPid++, body, args);
  p.next = first;
  if (first !== null) first.prev = p;
  first = p;
  return p;
}

/** Takes an exited process off the list of live ones. */
export function removeProc(p: Proc): void {
  if (p.prev !== null) p.prev.next = p.next;
  else if (first === p) first = p.next;
  if (p.next !== null) p.next.prev = p.prev;
  p.prev = null;
  p.next = null;
}

/** Every live process, oldest first. */
export function liveProcs(): Proc[] {
  const out: Proc[] = [];
  for (let p = first; p !== null; p = p.next) out.push(p);
  return out.reverse();
}


/** The live process behind a pid, or null (a dead one, or a pid no process ever had). */
export function procOf(pid: Pid): Proc | null {
  const status = (pid as Proc).status;
  return status === undefined || status === 'exited' ? null : (pid as Proc);
}
