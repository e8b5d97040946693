/**
 * Starting processes and talking to them: `spawn`, `spawnLink`,
 * `spawnMonitor`, `run`, `self`, `send`.
 */
import { badarg, formatReason } from './errors.js';
import { awaitPromise, deliver } from './receive.js';
import { Pid, type Ref } from './pid.js';
import { Proc, newProc, procOf } from './process.js';
import { lookup } from './registry.js';
import { currentOrNull, currentProc, makeRunnable } from './scheduler.js';
import { linkProcs, monitor } from './signals.js';
import { telemetry } from './telemetry.js';

/** A process body: any function; a returned promise is awaited. */
export type ProcessBody<A extends unknown[]> = (...args: A) => unknown;

function start<A extends unknown[]>(fn: string, body: ProcessBody<A>, args: A, parent: Proc | null): Proc {
  if (typeof body !== 'function') badarg(fn, `the process body must be a function, got ${String(body)}`);
  const p = newProc(body as (...a: unknown[]) => unknown, args.length === 0 ? null : args);
  if (telemetry.listening) telemetry.emit('spawn', { pid: p.pid, parent: parent?.pid });
  return p;
}

/**
 * `erlang:spawn/1,3`: starts `body(...args)` as a new process and returns its
 * pid at once; the body starts on a later turn.
 */
export function spawn<A extends unknown[]>(body: ProcessBody<A>, ...args: A): Pid {
  const p = start('spawn', body, args, currentOrNull());
  makeRunnable(p);
  return p.pid;
}

/** `erlang:spawn_link`: spawn, atomically linked to the caller. */
export function spawnLink<A extends unknown[]>(body: ProcessBody<A>, ...args: A): Pid {
  const parent = currentProc('spawnLink');
  const p = start('spawnLink', body, args, parent);
  linkProcs(parent, p);
  makeRunnable(p);
  return p.pid;
}

/** `erlang:spawn_monitor`: spawn, atomically monitored by the caller. Returns `[pid, ref]`. */
export function spawnMonitor<A extends unknown[]>(body: ProcessBody<A>, ...args: A): [Pid, Ref] {
  const parent = currentProc('spawnMonitor');
  const p = start('spawnMonitor', body, args, parent);
  const ref = monitor(p.pid);
  makeRunnable(p);
  return [p.pid, ref];
}

/**
 * Runs `body` as a process, for `main` and tests: resolves with what the body
 * returns once the process exits `normal`; rejects if it exits with any other
 * reason (with the reason itself when it is an Error). Such a crash is not
 * also logged. Called inside a process, it blocks the caller like
 * `awaitPromise` (await it at once); throws `badarg` if `body` is not a function.
 */
export function run<T>(body: () => T | PromiseLike<T>): Promise<Awaited<T>> {
  const parent = currentOrNull();
  const p = start('run', body, [], parent);
  const done = new Promise<Awaited<T>>((resolve, reject) => {
    const x = p.more;
    x.quietCrash = true;
    x.exitHooks = new Set([
      (reason, result) => {
        if (reason === 'normal') resolve(result as Awaited<T>);
        else reject(reason instanceof Error ? reason : new ProcessExitError(p, reason));
      },
    ]);
  });
  makeRunnable(p);
  // Inside a process, the caller blocks on it like on any other runtime operation.
  return parent === null ? done : awaitPromise(done);
}

/** The rejection of `run` when the process exits with a reason that is not an Error. */
export class ProcessExitError extends Error {
  readonly pid: Pid;
  readonly reason: unknown;
  constructor(pid: Pid, reason: unknown) {
    super(`process ${pid} exited: ${formatReason(reason)}`);
    this.name = 'ProcessExitError';
    this.pid = pid;
    this.reason = reason;
  }
}

/** `erlang:self/0`: the calling process's pid. Throws `not_in_process` outside processes. */
export function self(): Pid {
  // A killed process still unwinding its code (finally blocks) is still itself.
  return (currentOrNull() ?? currentProc('self')).pid;
}

/**
 * `Dest ! Message`: queues `message` for `dest`, a pid or a registered name,
 * and returns it. To a dead pid it is silently dropped; to a name nobody holds
 * it throws `badarg`. Never runs the receiver's code. Works outside processes.
 */
export function send<M>(dest: Pid | string, message: M): M {
  let p: Proc | null | undefined;
  if (dest instanceof Proc) {
    // The common case first: a process's pid is its record.
    p = dest.status === 'exited' ? null : dest;
  } else if (dest instanceof Pid) {
    p = null;
  } else if (typeof dest === 'string') {
    p = lookup(dest);
    if (p === undefined) badarg('send', `no process is registered as '${dest}'`);
  } else {
    badarg('send', `destination must be a pid or a registered name, got ${String(dest)}`);
  }
  if (message === undefined) badarg('send', 'undefined is not a message (use null or an atom)');
  if (p !== null) deliver(p, message);
  return message;
}

/** `erlang:is_process_alive/1`. */
export function isProcessAlive(pid: Pid): boolean {
  if (!(pid instanceof Pid)) badarg('isProcessAlive', `not a pid: ${String(pid)}`);
  return procOf(pid) !== null;
}

