/**
 * Erlang's timers: `sendAfter`, `startTimer`, `cancelTimer`, `readTimer`.
 * A timer belongs to nobody: it fires even if the process that started it
 * has exited. A timer aimed at a pid is cancelled when that pid exits, as in
 * Erlang (aimed at a name, it is looked up when it fires).
 */
import { clock } from './clock.js';
import { badarg } from './errors.js';
import { deliver } from './receive.js';
import { timeoutMessage } from './messages.js';
import { Pid, Ref, makeRef } from './pid.js';
import { procOf, type Proc } from './process.js';
import { lookup } from './registry.js';

/**
 * The longest timer: what fits in a signed 64-bit count of nanoseconds, about
 * 292 years. OTP 25 refuses times a little above this (its exact bound moves
 * with the monotonic clock); 2^32 ms and 2^40 ms are accepted there and here.
 */
export const MAX_TIME = 9_223_372_036_854;

interface Timer {
  readonly dest: Proc | string;
  readonly message: unknown;
  readonly deadline: number;
  handle: unknown;
}

const timers = new Map<Ref, Timer>();

function checkArgs(fn: string, ms: number, dest: Pid | string): Proc | string | null {
  if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0 || ms > MAX_TIME) {
    badarg(fn, `time must be an integer from 0 to ${MAX_TIME} ms, got ${String(ms)}`);
  }
  if (dest instanceof Pid) return procOf(dest);
  if (typeof dest === 'string' && dest !== '') return dest;
  return badarg(fn, `destination must be a pid or a registered name, got ${String(dest)}`);
}

function start(fn: string, ms: number, dest: Pid | string, message: (ref: Ref) => unknown): Ref {
  const target = checkArgs(fn, ms, dest);
  const ref = makeRef();
  // A timer aimed at a dead pid is born cancelled.
  if (target === null) return ref;
  const timer: Timer = { dest: target, message: message(ref), deadline: clock().now() + ms, handle: undefined };
  timers.set(ref, timer);
  if (typeof target !== 'string') (target.more.timers ??= new Set()).add(ref);
  timer.handle = clock().schedule(ms, () => fire(ref));
  return ref;
}

function fire(ref: Ref): void {
  const timer = timers.get(ref);
  if (timer === undefined) return;
  timers.delete(ref);
  const target = typeof timer.dest === 'string' ? lookup(timer.dest) : timer.dest;
  if (target === undefined || target.status === 'exited') return;
  target.extras?.timers?.delete(ref);
  deliver(target, timer.message);
}

/** `erlang:send_after/3`: sends `message` to `dest` after `ms` milliseconds. */
export function sendAfter(ms: number, dest: Pid | string, message: unknown): Ref {
  if (message === undefined) badarg('sendAfter', 'undefined is not a message');
  return start('sendAfter', ms, dest, () => message);
}

/** `erlang:start_timer/3`: sends `['timeout', ref, message]` to `dest` after `ms` milliseconds. */
export function startTimer(ms: number, dest: Pid | string, message: unknown): Ref {
  if (message === undefined) badarg('startTimer', 'undefined is not a message');
  return start('startTimer', ms, dest, (ref) => timeoutMessage(ref, message));
}

function remaining(timer: Timer): number {
  return Math.max(0, Math.round(timer.deadline - clock().now()));
}

/** `erlang:cancel_timer/1`: the milliseconds that were left, or `false` if the timer had fired or was cancelled. */
export function cancelTimer(ref: Ref): number | false {
  if (!(ref instanceof Ref)) badarg('cancelTimer', `not a timer reference: ${String(ref)}`);
  const timer = timers.get(ref);
  if (timer === undefined) return false;
  timers.delete(ref);
  clock().cancel(timer.handle);
  if (typeof timer.dest !== 'string') timer.dest.extras?.timers?.delete(ref);
  return remaining(timer);
}

/** `erlang:read_timer/1`: the milliseconds left, or `false`. */
export function readTimer(ref: Ref): number | false {
  if (!(ref instanceof Ref)) badarg('readTimer', `not a timer reference: ${String(ref)}`);
  const timer = timers.get(ref);
  return timer === undefined ? false : remaining(timer);
}

/** The process exited: the timers aimed at it are cancelled. */
export function cancelTimersOf(p: Proc): void {
  const x = p.extras;
  const refs = x === null ? null : x.timers;
  if (x === null || refs === null) return;
  x.timers = null;
  for (const ref of refs) {
    const timer = timers.get(ref);
    if (timer === undefined) continue;
    timers.delete(ref);
    clock().cancel(timer.handle);
  }
}
