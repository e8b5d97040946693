/**
 * Links, monitors, exit signals and `trap_exit`: the calls a process makes
 * to tie its fate to others'. What happens when a process ends is in exit.ts.
 */
import { BeamlineError, ProcessExit, badarg } from './errors.js';
import { exitSignal } from './exit.js';
import { deliver } from './receive.js';
import { downMessage, exitMessage, LOCAL_NODE } from './messages.js';
import { OUTSIDE, Pid, Ref, makeRef } from './pid.js';
import { procOf, type Proc } from './process.js';
import { lookup } from './registry.js';
import { currentOrNull, currentProc } from './scheduler.js';
import { telemetry } from './telemetry.js';

/**
 * `erlang:exit/1`: ends the calling process with `reason`. It throws, so code
 * after it does not run; a `catch` that swallows it is Erlang's `catch exit:_`.
 */
export function exit(reason: unknown): never;
/**
 * `erlang:exit/2`: sends an exit signal to `pid`. `kill` kills it even when
 * it traps exits (its reason becomes `killed`); `normal` is ignored by a
 * process that does not trap exits, unless it is the caller itself.
 * Works outside processes too; the signal then comes from `OUTSIDE`
 * (`<0.0.0>`), the pid that stands for code running in no process.
 */
export function exit(pid: Pid, reason: unknown): true;
export function exit(...args: [unknown] | [Pid, unknown]): true {
  if (args.length === 1) {
    currentProc('exit');
    throw new ProcessExit(args[0]);
  }
  const [pid, reason] = args;
  if (!(pid instanceof Pid)) badarg('exit', `not a pid: ${String(pid)}`);
  const target = procOf(pid);
  const caller = currentOrNull();
  // An exit hook or telemetry listener runs while its process is already exited: it is not unwound.
  const callerWasAlive = caller !== null && caller.status !== 'exited';
  if (target !== null) exitSignal(target, caller?.pid ?? OUTSIDE, reason, false);
  if (callerWasAlive) unwindIfDead(caller);
  return true;
}

/** If a signal just ended the calling process, stop running its code. */
function unwindIfDead(caller: Proc): void {
  if (caller.status === 'exited') throw new ProcessExit(caller.value);
}

/**
 * `erlang:link/1`: a bidirectional link with `pid`. Linking to a dead process
 * raises `noproc`, or, when the caller traps exits, delivers
 * `['EXIT', pid, 'noproc']` instead.
 */
export function link(pid: Pid): true {
  const p = currentProc('link');
  if (!(pid instanceof Pid)) badarg('link', `not a pid: ${String(pid)}`);
  if (pid === p.pid) return true;
  const other = procOf(pid);
  if (other === null) {
    if (p.extras !== null && p.extras.trapExit) {
      deliver(p, exitMessage(pid, 'noproc'));
      return true;
    }
    throw new BeamlineError('noproc', `link: process ${pid} is not alive`);
  }
  linkProcs(p, other);
  return true;
}

export function linkProcs(a: Proc, b: Proc): void {
  const links = (a.more.links ??= new Set());
  if (links.has(b)) return;
  links.add(b);
  (b.more.links ??= new Set()).add(a);
  if (telemetry.listening) telemetry.emit('link', { from: a.pid, to: b.pid });
}

/** `erlang:unlink/1`: removes the link, if any. After it returns, no exit signal from that link arrives. */
export function unlink(pid: Pid): true {
  const p = currentProc('unlink');
  if (!(pid instanceof Pid)) badarg('unlink', `not a pid: ${String(pid)}`);
  const other = procOf(pid);
  if (other !== null && p.extras?.links?.delete(other) === true) {
    other.extras?.links?.delete(p);
    if (telemetry.listening) telemetry.emit('unlink', { from: p.pid, to: pid });
  }
  return true;
}

/**
 * `erlang:monitor(process, Target)`: the caller gets
 * `['DOWN', ref, 'process', pid, reason]` when the target exits, at once with
 * reason `noproc` if it is not alive. Monitoring by registered name reports
 * `[name, node]` as the item, as Erlang does.
 */
export function monitor(target: Pid | string): Ref;
export function monitor(type: 'process', target: Pid | string): Ref;
export function monitor(...args: [Pid | string] | ['process', Pid | string]): Ref {
  const p = currentProc('monitor');
  let target: unknown;
  if (args.length === 2) {
    if (args[0] !== 'process') badarg('monitor', `unsupported monitor type ${String(args[0])}`);
    target = args[1];
  } else {
    target = args[0];
  }
  const ref = makeRef();
  let other: Proc | null;
  let item: Pid | readonly [string, string];
  if (target instanceof Pid) {
    other = procOf(target);
    item = target;
  } else if (typeof target === 'string' && target !== '') {
    other = lookup(target) ?? null;
    item = [target, LOCAL_NODE];
  } else {
    return badarg('monitor', `target must be a pid or a registered name, got ${String(target)}`);
  }
  if (other === null) {
    deliver(p, downMessage(ref, item, 'noproc'));
  } else if (other !== p) {
    (p.more.monitors ??= new Map()).set(ref, other);
    (other.more.watchers ??= new Map()).set(ref, { watcher: p, item });
  }
  if (telemetry.listening) telemetry.emit('monitor', { ref, watcher: p.pid, target: target as Pid | string });
  return ref;
}

export type DemonitorOption = 'flush' | 'info';

/**
 * `erlang:demonitor/1,2`: turns the monitor off. With `'flush'`, a DOWN
 * message of this monitor already queued is removed too. With `'info'`, the
 * result says whether the monitor was still active (true) or had fired or
 * never existed (false).
 */
export function demonitor(ref: Ref, options: readonly DemonitorOption[] = []): boolean {
  const p = currentProc('demonitor');
  if (!(ref instanceof Ref)) badarg('demonitor', `not a reference: ${String(ref)}`);
  if (!Array.isArray(options)) badarg('demonitor', 'options must be a list');
  let flush = false;
  let info = false;
  for (const o of options) {
    if (o === 'flush') flush = true;
    else if (o === 'info') info = true;
    else badarg('demonitor', `unknown option ${String(o)}`);
  }
  const target = p.extras?.monitors?.get(ref);
  const active = target !== undefined;
  if (active) {
    p.extras!.monitors!.delete(ref);
    target.extras?.watchers?.delete(ref);
  }
  if (flush) {
    p.mbox?.takeAll((m) => Array.isArray(m) && m.length === 5 && m[0] === 'DOWN' && m[1] === ref);
  }
  if (active && telemetry.listening) telemetry.emit('demonitor', { ref, watcher: p.pid });
  return info ? active : true;
}

export type ProcessFlag = 'trap_exit';

/** `erlang:process_flag(trap_exit, Bool)`: returns the old value. */
export function processFlag(flag: ProcessFlag, value: boolean): boolean {
  const p = currentProc('processFlag');
  if (flag !== 'trap_exit') badarg('processFlag', `unsupported flag ${String(flag)}`);
  if (typeof value !== 'boolean') badarg('processFlag', `trap_exit takes a boolean, got ${String(value)}`);
  const old = p.extras !== null && p.extras.trapExit;
  if (value || p.extras !== null) p.more.trapExit = value;
  return old;
}
