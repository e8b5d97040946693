/**
 * gen_server: a generic server process. The callback module is an object
 * with `init`, `handleCall`, `handleCast`, `handleInfo`, `handleContinue` and
 * `terminate`; the loop here receives requests, calls the callbacks and acts
 * on the tuples they return, as OTP's gen_server.erl does. Callbacks may be
 * async (awaiting only Beamline operations, like any process code).
 *
 * Exported as the namespace `genServer`: `genServer.call(pid, req)`.
 */
import { badarg } from '../errors.js';
import { _ } from '../patterns.js';
import type { Pid } from '../pid.js';
import { after, receive } from '../receive.js';
import { exit } from '../signals.js';
import { self } from '../spawn.js';
import {
  checkServer,
  checkTimeout,
  genCall,
  genCast,
  genReply,
  genStop,
  isFrom,
  isThenable,
  isUnwinding,
  reasonOf,
  startArgs,
  startProcess,
  terminateRequest,
  type Ack,
  type From,
  type ServerName,
  type ServerRef,
  type StartOptions,
  type StartResult,
  type Timeout,
} from './gen.js';

export type { From, ServerName, ServerRef, StartOptions, StartResult, Timeout } from './gen.js';

/**
 * What may follow the state in a callback result: a timeout (no message for
 * that long gives `handleInfo('timeout', state)`), `'hibernate'` (accepted,
 * waits like `'infinity'`), or `['continue', c]` (`handleContinue(c, state)`
 * runs before the next message).
 */
export type Action = Timeout | 'hibernate' | readonly ['continue', unknown];

/** What `init` returns. */
export type InitResult<S> = readonly ['ok', S] | readonly ['ok', S, Action] | 'ignore' | readonly ['stop', unknown];

/** What `handleCall` returns. `['stop', reason, reply, state]` replies after `terminate` has run. */
export type CallResult<S, R = unknown> =
  | readonly ['reply', R, S]
  | readonly ['reply', R, S, Action]
  | readonly ['noreply', S]
  | readonly ['noreply', S, Action]
  | readonly ['stop', unknown, R, S]
  | readonly ['stop', unknown, S];

/** What `handleCast`, `handleInfo` and `handleContinue` return. */
export type NoReplyResult<S> = readonly ['noreply', S] | readonly ['noreply', S, Action] | readonly ['stop', unknown, S];

type Awaitable<T> = T | PromiseLike<T>;

/**
 * A gen_server callback module. `S` is the state, `A` what `init` takes,
 * `Call`/`Cast` the requests, `R` the replies. Only `init` is required; a
 * request whose callback is missing crashes the server (OTP's `undef`), an
 * info message without `handleInfo` is dropped.
 */
export interface GenServer<S, A = any, Call = any, Cast = any, R = unknown> {
  init(args: A): Awaitable<InitResult<S>>;
  handleCall?(request: Call, from: From, state: S): Awaitable<CallResult<S, R>>;
  handleCast?(request: Cast, state: S): Awaitable<NoReplyResult<S>>;
  handleInfo?(message: any, state: S): Awaitable<NoReplyResult<S>>;
  handleContinue?(info: any, state: S): Awaitable<NoReplyResult<S>>;
  /** Called before the server exits: after a `stop` result, a callback crash, `stop()`, or (when trapping exits) its parent's exit. */
  terminate?(reason: unknown, state: S): unknown;
}

/**
 * `gen_server:start/3,4`: starts a server, not linked, and waits until its
 * `init` has returned. Resolves with `['ok', pid]`, `'ignore'`, or
 * `['error', reason]`: init's `['stop', reason]`, its crash, 
 * `['bad_return_value', x]`, `['already_started', pid]` for a taken name,
 * `'timeout'` for the `timeout` option. Inside a process only.
 */
export function start<A>(module: GenServer<any, A>, args: A, options?: StartOptions): Promise<StartResult>;
export function start<A>(name: ServerName, module: GenServer<any, A>, args: A, options?: StartOptions): Promise<StartResult>;
export function start(...all: unknown[]): Promise<StartResult> {
  return begin('genServer.start', false, all);
}

/**
 * `gen_server:start_link/3,4`: like `start`, linked to the caller. If init
 * fails, the server exits with the reason, which kills a caller that does not
 * trap exits (as in OTP).
 */
export function startLink<A>(module: GenServer<any, A>, args: A, options?: StartOptions): Promise<StartResult>;
export function startLink<A>(name: ServerName, module: GenServer<any, A>, args: A, options?: StartOptions): Promise<StartResult>;
export function startLink(...all: unknown[]): Promise<StartResult> {
  return begin('genServer.startLink', true, all);
}

function begin(fn: string, link: boolean, all: unknown[]): Promise<StartResult> {
  const { name, module, args, timeout } = startArgs(fn, all);
  const mod = module as GenServer<unknown>;
  if (typeof mod.init !== 'function') badarg(fn, 'the callback module has no init function');
  for (const key of ['handleCall', 'handleCast', 'handleInfo', 'handleContinue', 'terminate'] as const) {
    if (mod[key] !== undefined && typeof mod[key] !== 'function') badarg(fn, `${key} must be a function`);
  }
  return startProcess(link, name, timeout, (parent, ack) => serve(mod, args, parent, ack));
}

/**
 * `gen_server:call/2,3`: sends `request` and waits for the reply (default
 * timeout 5000 ms). Failures throw a `CallExit` whose reason is OTP's
 * `[why, ['gen_server', 'call', [server, request]]]` (with the timeout as a
 * third argument when one was given): `noproc` (no such process or name),
 * `timeout`, `calling_self`, or the reason the server died with. A reply
 * that comes after the timeout is dropped. Inside a process only.
 */
export function call<R = unknown>(server: ServerRef, request: unknown, timeout?: Timeout): Promise<R> {
  checkServer('genServer.call', server);
  const ms = checkTimeout('genServer.call', timeout ?? 5000);
  const args = timeout === undefined ? [server, request] : [server, request, timeout];
  return genCall('gen_server', server, request, ms, args) as Promise<R>;
}

/** `gen_server:cast/2`: sends `request` to `handleCast`. Always `'ok'`, even if the server does not exist. */
export function cast(server: ServerRef, request: unknown): 'ok' {
  return genCast('genServer.cast', server, request);
}

/** `gen_server:reply/2`: replies to a call the server answered with `noreply`. Returns `'ok'`. */
export function reply(from: From, value: unknown): 'ok' {
  return genReply('genServer.reply', from, value);
}

/**
 * `gen_server:stop/1,3`: makes the server run `terminate(reason, state)` and
 * exit with `reason` (default `'normal'`), and waits (default `'infinity'`).
 * Exits the caller with `noproc` if there is no such server, `timeout` if it
 * is still alive after the timeout, or the server's reason if it exited with
 * another one. Inside a process only.
 */
export function stop(server: ServerRef, reason: unknown = 'normal', timeout: Timeout = 'infinity'): Promise<'ok'> {
  return genStop('genServer.stop', server, reason, timeout);
}

// ---------------------------------------------------------------------------
// The server process

const NONE: unique symbol = Symbol('none');

function isTuple(value: unknown, tag: string, length: number): value is readonly unknown[] {
  return Array.isArray(value) && value.length === length && value[0] === tag;
}

/** The timeout and continuation an action sets, or null for a value that is no action. */
function parseAction(action: unknown): { timeout: number; cont: unknown } | null {
  if (action === 'infinity' || action === 'hibernate') return { timeout: Infinity, cont: NONE };
  if (typeof action === 'number' && Number.isInteger(action) && action >= 0) return { timeout: action, cont: NONE };
  if (isTuple(action, 'continue', 2)) return { timeout: Infinity, cont: action[1] };
  return null;
}

async function serve(mod: GenServer<unknown>, args: unknown, parent: Pid, ack: Ack): Promise<void> {
  let result: unknown;
  try {
    result = mod.init(args);
    if (isThenable(result)) result = await result;
  } catch (error) {
    if (isUnwinding()) throw error;
    const reason = reasonOf(error);
    ack(['error', reason]);
    return exit(reason);
  }
  if (result === 'ignore') {
    ack('ignore');
    return;
  }
  if (isTuple(result, 'stop', 2)) {
    ack(['error', result[1]]);
    return exit(result[1]);
  }
  const action = isTuple(result, 'ok', 2) ? 'infinity' : isTuple(result, 'ok', 3) ? result[2] : NONE;
  const next = parseAction(action);
  if (next === null) {
    const reason = ['bad_return_value', result];
    ack(['error', reason]);
    return exit(reason);
  }
  ack(['ok', self()]);
  return loop(mod, parent, (result as readonly unknown[])[1], next.timeout, next.cont);
}

const missing = (name: string): Error => new Error(`genServer: the callback module has no ${name} function`);

/** The server loop: one message (or continuation) per turn, a callback, and what its result says. */
async function loop(mod: GenServer<unknown>, parent: Pid, state: unknown, timeout: number, cont: unknown): Promise<void> {
  for (;;) {
    let result: unknown;
    let from: From | undefined;
    let failure: unknown = NONE;
    try {
      if (cont !== NONE) {
        const info = cont;
        cont = NONE;
        if (mod.handleContinue === undefined) throw missing('handleContinue');
        result = mod.handleContinue(info, state);
      } else {
        const m: unknown = timeout === Infinity ? await receive() : await receive(_, after(timeout));
        const message = m === undefined ? 'timeout' : m;
        if (isTuple(message, '$gen_call', 3) && isFrom(message[1])) {
          from = message[1];
          if (mod.handleCall === undefined) throw missing('handleCall');
          result = mod.handleCall(message[2], from, state);
        } else if (isTuple(message, '$gen_cast', 2)) {
          if (mod.handleCast === undefined) throw missing('handleCast');
          result = mod.handleCast(message[1], state);
        } else {
          const request = terminateRequest(message);
          if (request !== undefined) return terminate(mod, request.reason, state);
          if (isTuple(message, 'EXIT', 3) && message[1] === parent) return terminate(mod, message[2], state);
          if (mod.handleInfo === undefined) {
            // Dropped, as OTP does (it also logs it): like ['noreply', state], so a timeout set before is gone.
            timeout = Infinity;
            continue;
          }
          result = mod.handleInfo(message, state);
        }
      }
      if (isThenable(result)) result = await result;
    } catch (error) {
      if (isUnwinding()) throw error;
      failure = reasonOf(error);
    }
    if (failure !== NONE) return terminate(mod, failure, state);

    // What the callback said.
    const r = result as readonly unknown[];
    let next: { timeout: number; cont: unknown } | null = null;
    if (from !== undefined && Array.isArray(r) && r[0] === 'reply' && (r.length === 3 || r.length === 4)) {
      next = r.length === 3 ? { timeout: Infinity, cont: NONE } : parseAction(r[3]);
      if (next !== null) {
        genReply('genServer.reply', from, r[1]);
        state = r[2];
      }
    } else if (Array.isArray(r) && r[0] === 'noreply' && (r.length === 2 || r.length === 3)) {
      next = r.length === 2 ? { timeout: Infinity, cont: NONE } : parseAction(r[2]);
      if (next !== null) state = r[1];
    } else if (isTuple(r, 'stop', 3)) {
      return terminate(mod, r[1], r[2]);
    } else if (from !== undefined && isTuple(r, 'stop', 4)) {
      const replyTo = from;
      return terminate(mod, r[1], r[3], () => genReply('genServer.reply', replyTo, r[2]));
    }
    if (next === null) return terminate(mod, ['bad_return_value', result], state);
    timeout = next.timeout;
    cont = next.cont;
  }
}

/**
 * Runs the module's `terminate(reason, state)`, then `afterwards` (the reply
 * of `['stop', reason, reply, state]`, sent even if terminate crashes, as in
 * OTP), then exits with `reason`, or with terminate's own crash.
 */
async function terminate(mod: GenServer<unknown>, reason: unknown, state: unknown, afterwards?: () => void): Promise<never> {
  let failure: unknown = NONE;
  if (mod.terminate !== undefined) {
    try {
      const r = mod.terminate(reason, state);
      if (isThenable(r)) await r;
    } catch (error) {
      if (isUnwinding()) throw error;
      failure = reasonOf(error);
    }
  }
  afterwards?.();
  return exit(failure === NONE ? reason : failure);
}
