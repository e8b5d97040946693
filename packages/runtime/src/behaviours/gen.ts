/**
 * What the behaviours share, as OTP's gen.erl and proc_lib share it between
 * gen_server, gen_statem and supervisor: a synchronous start (the starter
 * waits until the new process has run its init), calls with a monitor and a
 * timeout, replies, casts, and stopping through a system message.
 *
 * Built on the public primitives only. A failed call throws `CallExit`, a
 * `ProcessExit` whose reason is OTP's `{Reason, {Module, call, Args}}`.
 */
import { ProcessExit, badarg } from '../errors.js';
import { _ } from '../patterns.js';
import { Pid, Ref, isPid, isRef, makeRef } from '../pid.js';
import { after, on, receive } from '../receive.js';
import { register, whereis } from '../registry.js';
import { demonitor, exit, monitor, unlink } from '../signals.js';
import { isProcessAlive, self, send, spawn, spawnLink } from '../spawn.js';
import { sameTerm } from './term.js';

/** A server: its pid, or the name it is registered under. */
export type ServerRef = Pid | string;
/** `{local, Name}`: the name a server registers at start. */
export type ServerName = readonly ['local', string];
/** What `start`/`startLink` resolve to, as in OTP. */
export type StartResult = readonly ['ok', Pid] | 'ignore' | readonly ['error', unknown];
/** `{Pid, Tag}`: who made a call, for `reply`. Treat it as opaque. */
export type From = readonly [pid: Pid, tag: Ref];
/** Milliseconds (a non-negative integer) or `'infinity'`. */
export type Timeout = number | 'infinity';
/** Start options: Erlang's list `[['timeout', ms]]` or `{ timeout: ms }`. */
export type StartOptions = { readonly timeout?: Timeout } | readonly (readonly ['timeout', Timeout])[];

/**
 * What a failed `call` throws: a `ProcessExit` (uncaught, the caller exits
 * with it, as in Erlang) whose `reason` is OTP's
 * `[why, [module, 'call', args]]`, e.g.
 * `['noproc', ['gen_server', 'call', [pid, 'ping']]]`. `why` is the inner
 * reason: `'noproc'`, `'timeout'`, `'calling_self'`, or the server's exit reason.
 */
export class CallExit extends ProcessExit {
  /** The inner reason, OTP's `Reason` in `{Reason, {gen_server, call, Args}}`. */
  readonly why: unknown;
  constructor(module: 'gen_server' | 'gen_statem', why: unknown, args: readonly unknown[]) {
    super([why, [module, 'call', args]]);
    this.why = why;
  }
}

/** Milliseconds for `receive … after`: Infinity for 'infinity'. Throws badarg otherwise. */
export function checkTimeout(fn: string, timeout: unknown): number {
  if (timeout === 'infinity' || timeout === Infinity) return Infinity;
  if (typeof timeout === 'number' && Number.isInteger(timeout) && timeout >= 0) return timeout;
  return badarg(fn, `timeout must be a non-negative integer of milliseconds or 'infinity', got ${String(timeout)}`);
}

export function checkServer(fn: string, server: unknown): asserts server is ServerRef {
  if (!(server instanceof Pid) && (typeof server !== 'string' || server === '')) {
    badarg(fn, `server must be a pid or a registered name, got ${String(server)}`);
  }
}

export function isServerName(value: unknown): value is ServerName {
  return Array.isArray(value) && value.length === 2 && value[0] === 'local' && typeof value[1] === 'string';
}

function checkName(fn: string, name: unknown): ServerName {
  if (!isServerName(name) || name[1] === '' || name[1] === 'undefined') {
    badarg(fn, `a server name is ['local', name] with a non-empty name, got ${String(name)}`);
  }
  return name;
}

function startTimeout(fn: string, options: unknown): number {
  if (options === undefined) return Infinity;
  if (Array.isArray(options)) {
    let ms = Infinity;
    for (const o of options) {
      if (!Array.isArray(o) || o.length !== 2 || o[0] !== 'timeout') {
        badarg(fn, `unsupported start option ${String(o)} (only ['timeout', ms])`);
      }
      ms = checkTimeout(fn, o[1]);
    }
    return ms;
  }
  if (typeof options === 'object' && options !== null) {
    for (const key of Object.keys(options)) {
      if (key !== 'timeout') badarg(fn, `unsupported start option '${key}' (only timeout)`);
    }
    const t = (options as { timeout?: unknown }).timeout;
    return t === undefined ? Infinity : checkTimeout(fn, t);
  }
  return badarg(fn, `options must be a list or an object, got ${String(options)}`);
}

/**
 * Splits the arguments of `start(name?, module, args, options?)`: the name is
 * there when the first argument is an array.
 */
export function startArgs(
  fn: string,
  all: readonly unknown[],
): { name: ServerName | undefined; module: unknown; args: unknown; timeout: number } {
  const named = Array.isArray(all[0]);
  const name = named ? checkName(fn, all[0]) : undefined;
  const rest = named ? all.slice(1) : all;
  if (typeof rest[0] !== 'object' || rest[0] === null) badarg(fn, `the callback module must be an object, got ${String(rest[0])}`);
  return { name, module: rest[0], args: rest[1], timeout: startTimeout(fn, rest[2]) };
}

/** Tells the starter how init went. Called once by the new process. */
export type Ack = (result: StartResult) => void;

const TIMED_OUT: unique symbol = Symbol('timed out');
/** The new process died before it acked (killed from outside). */
type DiedFirst = { readonly died: unknown };
const isDiedFirst = (r: StartResult | DiedFirst): r is DiedFirst => typeof r === 'object' && 'died' in r;

/**
 * proc_lib's synchronous start: spawns (and links, for `link`) a process that
 * registers `name` if given, then runs `body(parent, ack)`. Resolves with what
 * the process acks; with `['error', 'timeout']` (after killing it) if it does
 * not ack within `timeout`; with `['error', reason]` if it dies first.
 * A name already taken acks `['error', ['already_started', pid]]` and the new
 * process exits `normal`.
 */
export async function startProcess(
  link: boolean,
  name: ServerName | undefined,
  timeout: number,
  body: (parent: Pid, ack: Ack) => unknown,
): Promise<StartResult> {
  const starter = self();
  const tag = makeRef();
  const child = (): unknown => {
    const me = self();
    const ack: Ack = (result) => {
      send(starter, ['$ack', tag, result]);
    };
    if (name !== undefined) {
      const holder = whereis(name[1]);
      if (holder !== undefined) {
        ack(['error', ['already_started', holder]]);
        return undefined;
      }
      register(name[1], me);
    }
    return body(link ? starter : me, ack);
  };
  const pid = link ? spawnLink(child) : spawn(child);
  const ref = monitor(pid);
  const result = await receive(
    on(['$ack', tag, _], ([, , r]) => r as StartResult),
    on(['DOWN', ref, 'process', pid, _], ([, , , , reason]): DiedFirst => ({ died: reason })),
    after(timeout, (): typeof TIMED_OUT => TIMED_OUT),
  );
  demonitor(ref, ['flush']);
  if (result === TIMED_OUT) {
    if (link) unlink(pid);
    exit(pid, 'kill');
    return ['error', 'timeout'];
  }
  if (isDiedFirst(result)) {
    // A linked starter that traps exits takes the EXIT too, as proc_lib does.
    if (link) await receive(['EXIT', pid, _], after(0));
    return ['error', result.died];
  }
  return result;
}

/** Tags of calls that gave up (timeout): a late reply to them is dropped, as OTP's aliases do. */
const expiredTags = new WeakSet<Ref>();

/**
 * gen:call: monitors the server, sends `['$gen_call', [self(), ref], request]`
 * and waits for `[ref, reply]`, the server's death, or the timeout. Failures
 * throw `CallExit(module, why, mfaArgs)`.
 */
export async function genCall(
  module: 'gen_server' | 'gen_statem',
  server: ServerRef,
  request: unknown,
  ms: number,
  mfaArgs: readonly unknown[],
): Promise<unknown> {
  const me = self();
  const pid = server instanceof Pid ? server : whereis(server);
  if (pid === undefined) throw new CallExit(module, 'noproc', mfaArgs);
  if (pid === me) throw new CallExit(module, 'calling_self', mfaArgs);
  const ref = monitor(pid);
  send(pid, ['$gen_call', [me, ref], request]);
  const answer = await receive([ref, _] as const, ['DOWN', ref, 'process', _, _] as const, after(ms));
  if (answer === undefined) {
    demonitor(ref, ['flush']);
    expiredTags.add(ref);
    throw new CallExit(module, 'timeout', mfaArgs);
  }
  if (answer.length === 2) {
    demonitor(ref, ['flush']);
    return answer[1];
  }
  throw new CallExit(module, answer[4], mfaArgs);
}

export function isFrom(value: unknown): value is From {
  return Array.isArray(value) && value.length === 2 && isPid(value[0]) && isRef(value[1]);
}

/** gen:reply: sends `[tag, reply]` to the caller. Returns `'ok'`. */
export function genReply(fn: string, from: From, reply: unknown): 'ok' {
  if (!isFrom(from)) badarg(fn, `not a From ([pid, tag]) of a call: ${String(from)}`);
  const [pid, tag] = from;
  if (!expiredTags.has(tag)) send(pid, [tag, reply]);
  return 'ok';
}

/** gen_server:cast: sends `['$gen_cast', message]`; never fails, even for a name nobody holds. */
export function genCast(fn: string, server: ServerRef, message: unknown): 'ok' {
  checkServer(fn, server);
  if (server instanceof Pid || whereis(server) !== undefined) send(server, ['$gen_cast', message]);
  return 'ok';
}

/**
 * gen:stop (proc_lib:stop): asks the server to terminate with `reason`
 * (its `terminate` callback runs) and waits until it is gone. Exits
 * `noproc` if there is no such server, `timeout` if it is not gone in time
 * (it is left running, as in OTP 25), or with the server's exit reason if it
 * is not `reason`.
 */
export async function genStop(fn: string, server: ServerRef, reason: unknown, timeout: Timeout): Promise<'ok'> {
  checkServer(fn, server);
  const ms = checkTimeout(fn, timeout);
  const me = self();
  const pid = server instanceof Pid ? server : whereis(server);
  if (pid === undefined) return exit('noproc');
  const ref = monitor(pid);
  send(pid, ['system', [me, ref], ['terminate', reason]]);
  const down = await receive(['DOWN', ref, 'process', _, _] as const, after(ms));
  if (down === undefined) {
    demonitor(ref, ['flush']);
    return exit('timeout');
  }
  if (sameTerm(down[4], reason)) return 'ok';
  return exit(down[4]);
}

/** A system message asking the process to terminate: `['system', from, ['terminate', reason]]`. */
export function terminateRequest(message: unknown): { reason: unknown } | undefined {
  if (!Array.isArray(message) || message.length !== 3 || message[0] !== 'system') return undefined;
  const request: unknown = message[2];
  if (!Array.isArray(request) || request.length !== 2 || request[0] !== 'terminate') return undefined;
  return { reason: request[1] };
}

/** The reason a callback's throw ends the process with: `exit(r)` gives r, anything else itself. */
export function reasonOf(thrown: unknown): unknown {
  return thrown instanceof ProcessExit ? thrown.reason : thrown;
}

/**
 * True when the calling process is already dead (killed while its code ran):
 * whatever it threw, its code only unwinds, and no callback may run.
 */
export function isUnwinding(): boolean {
  return !isProcessAlive(self());
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function';
}
