/**
 * What a driver (a socket layer, a port-like resource) needs beyond the
 * process API: to learn when its owner exits, and to move the owner's queued
 * messages elsewhere, and timeouts of any length. gen-tcp builds ownership on these.
 */
import { systemClock } from './clock.js';
import { badarg } from './errors.js';
import { reportHookFailure } from './logger.js';
import { Pid } from './pid.js';
import { procOf, type ExitHook } from './process.js';
import { currentProc } from './scheduler.js';

/**
 * Calls `hook(reason)` when the process exits, like a port linked to its
 * owner. Returns a function that removes the hook. If the process is already
 * dead, the hook is called on a later microtask with reason `noproc`.
 */
export function onExit(pid: Pid, hook: (reason: unknown) => void): () => void {
  if (!(pid instanceof Pid)) badarg('onExit', `not a pid: ${String(pid)}`);
  if (typeof hook !== 'function') badarg('onExit', 'hook must be a function');
  const p = procOf(pid);
  if (p === null) {
    let cancelled = false;
    queueMicrotask(() => {
      if (cancelled) return;
      try {
        hook('noproc');
      } catch (error) {
        // As for a live process's hooks: reported, never thrown into the event loop.
        reportHookFailure(pid, error);
      }
    });
    return () => {
      cancelled = true;
    };
  }
  const entry: ExitHook = (reason) => hook(reason);
  (p.more.exitHooks ??= new Set()).add(entry);
  return () => {
    p.extras?.exitHooks?.delete(entry);
  };
}

/**
 * Removes from the calling process's mailbox, and returns in arrival order,
 * every message `pick` accepts; the others keep their order. Synchronous, so
 * nothing can arrive in between.
 */
export function takeMessages(pick: (message: unknown) => boolean): unknown[] {
  const p = currentProc('takeMessages');
  if (typeof pick !== 'function') badarg('takeMessages', 'pick must be a function');
  return p.mbox === null ? [] : p.mbox.takeAll(pick);
}

/**
 * Calls `fire` after `ms` milliseconds of real time, however long (Node's
 * timers stop at 2^31-1 ms; longer ones are chained, as the runtime's own
 * timers are). Returns a function that cancels it. Driver timeouts (a recv,
 * an accept, a connect) run on the system clock, not a simulated one.
 */
export function driverTimeout(ms: number, fire: () => void): () => void {
  const handle = systemClock.schedule(ms, fire);
  return () => systemClock.cancel(handle);
}
