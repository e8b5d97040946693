/**
 * The exit path: how a process ends, and how its end reaches the processes
 * linked to it, the ones monitoring it, and the drivers (sockets) it owns.
 *
 * Exit signals are delivered through one queue drained in a loop, so a chain
 * of 100,000 linked processes dies without deep recursion.
 */
import { ProcessExit, isQuietReason } from './errors.js';
import { downMessage, exitMessage } from './messages.js';
import { removeProc, type Extras, type Proc } from './process.js';
import { abandonWait, deliver } from './receive.js';
import { released } from './scheduler.js';
import { unregisterProc } from './registry.js';
import { cancelTimersOf } from './timers.js';
import { reportCrash, reportHookFailure } from './logger.js';
import { telemetry } from './telemetry.js';
import type { Pid } from './pid.js';

/** The body returned: the process exits `normal`. */
export function onBodyReturned(p: Proc, value: unknown): void {
  // Already exited (killed while running): its code is done unwinding; the next process may run.
  if (p.status !== 'exited') terminate(p, 'normal', value);
  released(p, false);
}

/** The body threw (or `exit(reason)` was called): the process exits with that reason. */
export function onBodyFailed(p: Proc, error: unknown): void {
  if (p.status !== 'exited') terminate(p, error instanceof ProcessExit ? error.reason : error);
  released(p, false);
}

type Signal = { target: Proc; from: Pid; reason: unknown; viaLink: boolean };
const signals: Signal[] = [];
let draining = false;

/**
 * An exit signal from `from` reaches `target`, as in Erlang:
 * `kill` sent with exit/2 kills it (reason `killed`) even when trapping;
 * a trapping process gets `['EXIT', from, reason]`; otherwise `normal` is
 * ignored (unless a process sent it to itself) and any other reason kills it.
 */
export function exitSignal(target: Proc, from: Pid, reason: unknown, viaLink: boolean): void {
  signals.push({ target, from, reason, viaLink });
  if (draining) return;
  draining = true;
  try {
    for (let i = 0; i < signals.length; i++) {
      const s = signals[i]!;
      handleSignal(s.target, s.from, s.reason, s.viaLink);
    }
  } finally {
    signals.length = 0;
    draining = false;
  }
}

function handleSignal(target: Proc, from: Pid, reason: unknown, viaLink: boolean): void {
  if (target.status === 'exited') return;
  if (reason === 'kill' && !viaLink) {
    killFromOutside(target, 'killed');
  } else if (target.extras !== null && target.extras.trapExit) {
    deliver(target, exitMessage(from, reason));
  } else if (reason !== 'normal') {
    killFromOutside(target, reason);
  } else if (!viaLink && from === target) {
    killFromOutside(target, 'normal');
  }
}

/** Ends a process from a signal: it never resumes; if its code is on the stack it unwinds on return. */
function killFromOutside(p: Proc, reason: unknown): void {
  // As in Erlang, a death by exit signal is no crash of the process's own code: not reported.
  p.more.quietCrash = true;
  terminate(p, reason);
  released(p, true);
}

/**
 * Ends `p` with `reason` and tells everyone who needs to know. `result` is
 * what the body returned (for `run`). Afterwards `p.value` holds the reason.
 */
export function terminate(p: Proc, reason: unknown, result?: unknown): void {
  if (p.status === 'exited') return;
  p.status = 'exited';
  abandonWait(p);
  p.value = reason;
  p.mbox = null;
  p.body = null;
  removeProc(p);
  const x = p.extras;
  if (x === null) {
    if (telemetry.listening) telemetry.emit('exit', { pid: p, reason });
    if (!isQuietReason(reason)) reportCrash(p, reason);
    return;
  }
  if (x.name !== undefined) unregisterProc(p);
  if (x.timers !== null) cancelTimersOf(p);
  if (telemetry.listening) telemetry.emit('exit', { pid: p, reason });

  const told = x.quietCrash || someoneIsTold(x);
  if (x.monitors !== null) {
    for (const [ref, target] of x.monitors) target.extras?.watchers?.delete(ref);
    x.monitors = null;
  }
  if (x.watchers !== null) {
    const watchers = x.watchers;
    x.watchers = null;
    for (const [ref, w] of watchers) {
      w.watcher.extras?.monitors?.delete(ref);
      deliver(w.watcher, downMessage(ref, w.item, reason));
    }
  }
  if (x.exitHooks !== null) {
    // The set stays in place while the hooks run, so that a hook removed by an earlier one is skipped.
    for (const hook of x.exitHooks) {
      try {
        hook(reason, result);
      } catch (error) {
        reportHookFailure(p, error);
      }
    }
    x.exitHooks = null;
  }
  if (!told && !isQuietReason(reason)) reportCrash(p, reason);
  if (x.links !== null) {
    const links = x.links;
    x.links = null;
    for (const other of links) {
      other.extras?.links?.delete(p);
      exitSignal(other, p, reason, true);
    }
  }
}

/**
 * Will anyone hear of this exit: a monitor (DOWN) or a linked process that
 * traps exits (an EXIT message)? A linked process that does not trap just
 * dies too, knowing nothing, so the crash is still reported.
 */
function someoneIsTold(x: Extras): boolean {
  if (x.watchers !== null && x.watchers.size > 0) return true;
  if (x.links !== null) {
    for (const other of x.links) if (other.extras !== null && other.extras.trapExit) return true;
  }
  return false;
}
