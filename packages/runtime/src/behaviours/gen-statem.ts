/**
 * gen_statem: a state machine process. Events come from the mailbox (calls,
 * casts, other messages, timeouts) and from the machine itself (inserted and
 * postponed events); each goes to the state's function (`states[state]`,
 * `state_functions` mode) or to `handleEvent` (`handle_event_function`), and
 * the tuple it returns says the next state, the data and the actions
 * (postpone, next_event, reply, event/state/generic timeouts), as in OTP's
 * gen_statem.erl. Why a gen_statem and not an xstate machine: docs/behaviours.md.
 *
 * Exported as the namespace `genStatem`: `genStatem.call(pid, req)`.
 */
import { badarg } from '../errors.js';
import { takeMessages } from '../driver.js';
import type { Pid, Ref } from '../pid.js';
import { receive } from '../receive.js';
import { exit } from '../signals.js';
import { self } from '../spawn.js';
import { cancelTimer, startTimer } from '../timers.js';
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
import { sameTerm } from './term.js';

export type { From, ServerName, ServerRef, StartOptions, StartResult, Timeout } from './gen.js';

/** Where an event comes from. `['timeout', name]` is a generic timeout. */
export type EventType = readonly ['call', From] | 'cast' | 'info' | 'timeout' | 'state_timeout' | readonly ['timeout', unknown] | 'internal';
export type CallbackMode = 'state_functions' | 'handle_event_function';
/** A mode, or a list of a mode and `'state_enter'` (enter calls on each state change). */
export type CallbackModeResult = CallbackMode | readonly (CallbackMode | 'state_enter')[];
/** Milliseconds (a non-negative integer) or `'infinity'`. */
export type Time = number | 'infinity';

export type ReplyAction = readonly ['reply', From, unknown];
/** The actions an enter call may return. */
export type EnterAction =
  | 'hibernate'
  | readonly ['hibernate', boolean]
  | Time
  | readonly ['timeout', Time, unknown]
  | readonly ['timeout', 'cancel']
  | readonly ['timeout', 'update', unknown]
  | readonly ['state_timeout', Time, unknown]
  | readonly ['state_timeout', 'cancel']
  | readonly ['state_timeout', 'update', unknown]
  | readonly [readonly ['timeout', unknown], Time, unknown]
  | readonly [readonly ['timeout', unknown], 'cancel']
  | readonly [readonly ['timeout', unknown], 'update', unknown]
  | ReplyAction;
export type Action = 'postpone' | readonly ['postpone', boolean] | readonly ['next_event', EventType, unknown] | EnterAction;
/** One action, or a list of them. */
export type Actions<A = Action> = A | readonly A[];

type CommonResult<D, A> =
  | readonly ['keep_state', D]
  | readonly ['keep_state', D, Actions<A>]
  | 'keep_state_and_data'
  | readonly ['keep_state_and_data', Actions<A>]
  | readonly ['repeat_state', D]
  | readonly ['repeat_state', D, Actions<A>]
  | 'repeat_state_and_data'
  | readonly ['repeat_state_and_data', Actions<A>]
  | 'stop'
  | readonly ['stop', unknown]
  | readonly ['stop', unknown, D]
  | readonly ['stop_and_reply', unknown, Actions<ReplyAction>]
  | readonly ['stop_and_reply', unknown, Actions<ReplyAction>, D];

/** What a state function (or handleEvent) returns. An enter call may not change the state, postpone, or insert events. */
export type Result<S, D> = readonly ['next_state', S, D] | readonly ['next_state', S, D, Actions] | CommonResult<D, Action>;

export type InitResult<S, D> = readonly ['ok', S, D] | readonly ['ok', S, D, Actions] | 'ignore' | readonly ['stop', unknown];

type Awaitable<T> = T | PromiseLike<T>;

/** `StateName(EventType, EventContent, Data)`; for an enter call, `('enter', oldState, data)`. */
export type StateFunction<S, D> = (type: EventType | 'enter', content: any, data: D) => Awaitable<Result<S, D>>;

/**
 * A gen_statem callback module. `S` is the state, `D` the data, `A` what
 * `init` takes. In `state_functions` mode every state is a string with a
 * function in `states`; in `handle_event_function` mode `handleEvent` gets
 * every event and states may be any term.
 */
export interface GenStatem<S, D, A = any> {
  /** OTP's `callback_mode/0`: a value, or a function returning it, read once after init. */
  readonly callbackMode: CallbackModeResult | (() => CallbackModeResult);
  init(args: A): Awaitable<InitResult<S, D>>;
  readonly states?: { readonly [K in S & string]: StateFunction<S, D> };
  handleEvent?(type: EventType | 'enter', content: any, state: S, data: D): Awaitable<Result<S, D>>;
  /** Called before the machine exits: a `stop` result, a crash, `stop()`, or (when trapping exits) its parent's exit. */
  terminate?(reason: unknown, state: S, data: D): unknown;
}

/** `gen_statem:start/3,4`: as `genServer.start`. Init errors: `['bad_return_from_init', x]`, init's stop reason, its crash. */
export function start<A>(module: GenStatem<any, any, A>, args: A, options?: StartOptions): Promise<StartResult>;
export function start<A>(name: ServerName, module: GenStatem<any, any, A>, args: A, options?: StartOptions): Promise<StartResult>;
export function start(...all: unknown[]): Promise<StartResult> {
  return begin('genStatem.start', false, all);
}

/** `gen_statem:start_link/3,4`: as `start`, linked to the caller. */
export function startLink<A>(module: GenStatem<any, any, A>, args: A, options?: StartOptions): Promise<StartResult>;
export function startLink<A>(name: ServerName, module: GenStatem<any, any, A>, args: A, options?: StartOptions): Promise<StartResult>;
export function startLink(...all: unknown[]): Promise<StartResult> {
  return begin('genStatem.startLink', true, all);
}

/**
 * `gen_statem:call/2,3`: an event `['call', from]` with `request` as
 * content; waits for the reply (default timeout `'infinity'`, as in OTP).
 * Failures throw `CallExit` with reason `[why, ['gen_statem', 'call', [server, request, timeout]]]`.
 */
export function call<R = unknown>(server: ServerRef, request: unknown, timeout: Timeout = 'infinity'): Promise<R> {
  checkServer('genStatem.call', server);
  const ms = checkTimeout('genStatem.call', timeout);
  return genCall('gen_statem', server, request, ms, [server, request, timeout]) as Promise<R>;
}

/** `gen_statem:cast/2`: a `'cast'` event. Always `'ok'`. */
export function cast(server: ServerRef, request: unknown): 'ok' {
  return genCast('genStatem.cast', server, request);
}

/** `gen_statem:reply/1,2`: `reply(from, value)`, or `reply(['reply', from, value])` / a list of such actions. Returns `'ok'`. */
export function reply(from: From, value: unknown): 'ok';
export function reply(replies: Actions<ReplyAction>): 'ok';
export function reply(...args: [From, unknown] | [Actions<ReplyAction>]): 'ok' {
  if (args.length === 2) return genReply('genStatem.reply', args[0], args[1]);
  const replies = args[0];
  for (const r of isReplyAction(replies) ? [replies] : Array.isArray(replies) ? replies : [replies]) {
    if (!isReplyAction(r)) badarg('genStatem.reply', `not a reply action: ${String(r)}`);
    genReply('genStatem.reply', r[1], r[2]);
  }
  return 'ok';
}

/** `gen_statem:stop/1,3`: as `genServer.stop`; `terminate(reason, state, data)` runs. */
export function stop(server: ServerRef, reason: unknown = 'normal', timeout: Timeout = 'infinity'): Promise<'ok'> {
  return genStop('genStatem.stop', server, reason, timeout);
}

function begin(fn: string, link: boolean, all: unknown[]): Promise<StartResult> {
  const { name, module, args, timeout } = startArgs(fn, all);
  const mod = module as GenStatem<unknown, unknown>;
  if (typeof mod.init !== 'function') badarg(fn, 'the callback module has no init function');
  if (typeof mod.callbackMode !== 'function' && parseMode(mod.callbackMode) === null) {
    badarg(fn, `callbackMode must be 'state_functions' or 'handle_event_function', with 'state_enter' in a list, got ${String(mod.callbackMode)}`);
  }
  return startProcess(link, name, timeout, (parent, ack) => machine(mod, args, parent, ack));
}

// ---------------------------------------------------------------------------
// The machine process

type TimerType = 'timeout' | 'state_timeout' | readonly ['timeout', unknown];

interface Event {
  readonly type: EventType;
  readonly content: unknown;
}

interface Timer {
  readonly type: TimerType;
  readonly ref: Ref;
  content: unknown;
}

/** A timeout action, parsed: start (time), cancel, or update. */
interface TimeoutAction {
  readonly type: TimerType;
  readonly time: number | 'cancel' | 'update';
  readonly content: unknown;
}

interface Machine {
  readonly mod: GenStatem<unknown, unknown>;
  readonly parent: Pid;
  handleEventMode: boolean;
  stateEnter: boolean;
  state: unknown;
  data: unknown;
  /** Events postponed in this state, oldest first; retried after a state change. */
  postponed: Event[];
  /** Events to handle before the next message: inserted, retried, zero-time timeouts. */
  queue: Event[];
  timers: Timer[];
}

function parseMode(mode: unknown): { handleEvent: boolean; enter: boolean } | null {
  const list: readonly unknown[] = Array.isArray(mode) ? mode : [mode];
  let handleEvent: boolean | null = null;
  let enter = false;
  for (const m of list) {
    if (m === 'state_functions') handleEvent = false;
    else if (m === 'handle_event_function') handleEvent = true;
    else if (m === 'state_enter') enter = true;
    else return null;
  }
  return handleEvent === null ? null : { handleEvent, enter };
}

function isTuple(value: unknown, tag: unknown, length: number): value is readonly unknown[] {
  return Array.isArray(value) && value.length === length && value[0] === tag;
}

function isReplyAction(value: unknown): value is ReplyAction {
  return isTuple(value, 'reply', 3) && isFrom((value as readonly unknown[])[1]);
}

function isEventType(type: unknown): type is EventType {
  if (type === 'cast' || type === 'info' || type === 'timeout' || type === 'state_timeout' || type === 'internal') return true;
  return (isTuple(type, 'call', 2) && isFrom((type as readonly unknown[])[1])) || isTuple(type, 'timeout', 2);
}

const isTime = (t: unknown): t is Time => t === 'infinity' || (typeof t === 'number' && Number.isInteger(t) && t >= 0);
const isTimerType = (t: unknown): t is TimerType => t === 'timeout' || t === 'state_timeout' || isTuple(t, 'timeout', 2);

/**
 * Erlang allows one action where a list is expected. Here a tuple is an
 * array too, so an array is one action when it has an action's shape, and a
 * list otherwise; a string or a number is one action.
 */
function listify(actions: unknown): readonly unknown[] {
  if (!Array.isArray(actions)) return [actions];
  const head: unknown = actions[0];
  if (head === 'reply' || head === 'next_event' || head === 'timeout' || head === 'state_timeout') return [actions];
  if ((head === 'postpone' || head === 'hibernate') && actions.length === 2 && typeof actions[1] === 'boolean') return [actions];
  if (isTuple(head, 'timeout', 2)) return [actions];
  return actions;
}

async function machine(mod: GenStatem<unknown, unknown>, args: unknown, parent: Pid, ack: Ack): Promise<void> {
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
  if (!isTuple(result, 'ok', 3) && !isTuple(result, 'ok', 4)) {
    const reason = ['bad_return_from_init', result];
    ack(['error', reason]);
    return exit(reason);
  }
  ack(['ok', self()]);
  const [, state, data, actions] = result as readonly [unknown, unknown, unknown, unknown];
  let mode: unknown = mod.callbackMode;
  if (typeof mode === 'function') mode = (mode as () => unknown).call(mod);
  const parsedMode = parseMode(mode);
  if (parsedMode === null) return exit(['bad_return_from_callback_mode', mode]);
  const m: Machine = {
    mod,
    parent,
    handleEventMode: parsedMode.handleEvent,
    stateEnter: parsedMode.enter,
    state,
    data,
    postponed: [],
    queue: [],
    timers: [],
  };
  // The initial state gets its enter call with itself as the old state, as in OTP.
  await transition(m, undefined, state, data, actions === undefined ? [] : actions, true);
  return loop(m);
}

async function loop(m: Machine): Promise<void> {
  for (;;) {
    let event: Event | undefined = m.queue.shift();
    if (event === undefined) {
      const message: unknown = await receive();
      const request = terminateRequest(message);
      if (request !== undefined) return terminate(m, request.reason);
      if (isTuple(message, 'EXIT', 3) && message[1] === m.parent) return terminate(m, message[2]);
      event = toEvent(m, message);
      // Any event that arrives cancels the event timeout.
      cancel(m, 'timeout');
    }
    await handle(m, event);
  }
}

function toEvent(m: Machine, message: unknown): Event {
  if (isTuple(message, 'timeout', 3)) {
    const i = m.timers.findIndex((t) => t.ref === message[1]);
    if (i >= 0) {
      const timer = m.timers[i]!;
      m.timers.splice(i, 1);
      return { type: timer.type as EventType, content: timer.content };
    }
  }
  if (isTuple(message, '$gen_call', 3) && isFrom(message[1])) return { type: ['call', message[1]], content: message[2] };
  if (isTuple(message, '$gen_cast', 2)) return { type: 'cast', content: message[1] };
  return { type: 'info', content: message };
}

/** Calls the state function (or handleEvent) for one event; a throw ends the machine. */
async function callState(m: Machine, type: EventType | 'enter', content: unknown, state: unknown, data: unknown): Promise<unknown> {
  const mod = m.mod;
  let result: unknown;
  if (m.handleEventMode) {
    if (mod.handleEvent === undefined) throw new Error('genStatem: handle_event_function mode needs a handleEvent function');
    result = mod.handleEvent(type, content, state, data);
  } else {
    const fn: unknown = typeof state === 'string' && mod.states !== undefined ? (mod.states as Record<string, unknown>)[state] : undefined;
    if (typeof fn !== 'function') throw new Error(`genStatem: no state function for state ${String(state)}`);
    result = (fn as StateFunction<unknown, unknown>).call(mod.states, type, content, data);
  }
  return isThenable(result) ? await result : result;
}

type Parsed =
  | { readonly kind: 'next'; readonly state: unknown; readonly data: unknown; readonly actions: unknown; readonly enter: boolean }
  | { readonly kind: 'stop'; readonly reason: unknown; readonly data: unknown; readonly replies: unknown }
  | { readonly kind: 'bad' };

const BAD: Parsed = { kind: 'bad' };
const NO_REPLIES: readonly unknown[] = [];

/** The callback's result; `allowChange` is false for an enter call (it may not go to another state). */
function parseResult(result: unknown, state: unknown, data: unknown, allowChange: boolean): Parsed {
  if (result === 'stop') return { kind: 'stop', reason: 'normal', data, replies: NO_REPLIES };
  if (result === 'keep_state_and_data') return { kind: 'next', state, data, actions: NO_REPLIES, enter: false };
  if (result === 'repeat_state_and_data') return { kind: 'next', state, data, actions: NO_REPLIES, enter: true };
  if (!Array.isArray(result) || result.length < 2) return BAD;
  const r = result as readonly unknown[];
  const [tag] = r;
  switch (tag) {
    case 'next_state':
      if (r.length !== 3 && r.length !== 4) return BAD;
      if (sameTerm(r[1], state)) return { kind: 'next', state, data: r[2], actions: r[3] ?? NO_REPLIES, enter: false };
      return allowChange ? { kind: 'next', state: r[1], data: r[2], actions: r[3] ?? NO_REPLIES, enter: true } : BAD;
    case 'keep_state':
    case 'repeat_state':
      if (r.length !== 2 && r.length !== 3) return BAD;
      return { kind: 'next', state, data: r[1], actions: r[2] ?? NO_REPLIES, enter: tag === 'repeat_state' };
    case 'keep_state_and_data':
    case 'repeat_state_and_data':
      if (r.length !== 2) return BAD;
      return { kind: 'next', state, data, actions: r[1], enter: tag === 'repeat_state_and_data' };
    case 'stop':
      if (r.length !== 2 && r.length !== 3) return BAD;
      return { kind: 'stop', reason: r[1], data: r.length === 3 ? r[2] : data, replies: NO_REPLIES };
    case 'stop_and_reply':
      if (r.length !== 3 && r.length !== 4) return BAD;
      return { kind: 'stop', reason: r[1], data: r.length === 4 ? r[3] : data, replies: r[2] };
  }
  return BAD;
}

interface ParsedActions {
  postpone: boolean;
  readonly nextEvents: Event[];
  readonly timeouts: TimeoutAction[];
}

/**
 * Goes through the actions in order: replies are sent as they come; the
 * others are collected. Returns the first bad action in `bad`. An enter call
 * (`enter`) may not postpone or insert events.
 */
function parseActions(actions: unknown, enter: boolean, into: ParsedActions): { bad: unknown } | undefined {
  for (const a of listify(actions)) {
    if (a === 'postpone' || isTuple(a, 'postpone', 2)) {
      const on = a === 'postpone' ? true : (a as readonly unknown[])[1];
      if (enter || typeof on !== 'boolean') return { bad: a };
      into.postpone = on;
    } else if (a === 'hibernate' || (isTuple(a, 'hibernate', 2) && typeof (a as readonly unknown[])[1] === 'boolean')) {
      // Accepted; a process here has nothing to hibernate.
    } else if (isTuple(a, 'next_event', 3)) {
      const [, type, content] = a as readonly unknown[];
      if (enter || !isEventType(type)) return { bad: a };
      into.nextEvents.push({ type, content });
    } else if (isTuple(a, 'reply', 3)) {
      if (!isFrom((a as readonly unknown[])[1])) return { bad: a };
      genReply('genStatem.reply', (a as ReplyAction)[1], (a as ReplyAction)[2]);
    } else if (isTime(a)) {
      into.timeouts.push({ type: 'timeout', time: a === 'infinity' ? 'cancel' : a, content: a });
    } else if (Array.isArray(a) && isTimerType(a[0]) && (a.length === 2 || a.length === 3)) {
      const [type, time, content] = a as unknown as readonly [TimerType, unknown, unknown];
      if (a.length === 2 && time === 'cancel') into.timeouts.push({ type, time: 'cancel', content: undefined });
      else if (a.length === 3 && time === 'update') into.timeouts.push({ type, time: 'update', content });
      else if (a.length === 3 && isTime(time)) into.timeouts.push({ type, time: time === 'infinity' ? 'cancel' : time, content });
      else return { bad: a };
    } else {
      return { bad: a };
    }
  }
  return undefined;
}

/** Handles one event: the callback, its result, the enter calls, and the transition. */
async function handle(m: Machine, event: Event): Promise<void> {
  let result: unknown;
  try {
    result = await callState(m, event.type, event.content, m.state, m.data);
  } catch (error) {
    if (isUnwinding()) throw error;
    return terminate(m, reasonOf(error));
  }
  const parsed = parseResult(result, m.state, m.data, true);
  if (parsed.kind === 'bad') return terminate(m, ['bad_return_from_state_function', result]);
  if (parsed.kind === 'stop') return stopWith(m, parsed);
  return transition(m, event, parsed.state, parsed.data, parsed.actions, parsed.enter);
}

/** stop / stop_and_reply: the replies first, then terminate. */
function stopWith(m: Machine, parsed: { reason: unknown; data: unknown; replies: unknown }): Promise<never> {
  m.data = parsed.data;
  const replies = parsed.replies;
  for (const r of isReplyAction(replies) ? [replies] : Array.isArray(replies) ? replies : [replies]) {
    if (!isReplyAction(r)) return terminate(m, ['bad_reply_action_from_state_function', r]);
    genReply('genStatem.reply', r[1], r[2]);
  }
  return terminate(m, parsed.reason);
}

/**
 * The state transition after an event (or init, `event` undefined): actions,
 * enter calls (repeated for `repeat_state`), postponing and retrying events,
 * and the timers. Events go to the queue in OTP's order: inserted events,
 * then retried postponed ones, then those already queued, then zero-time
 * timeouts.
 */
async function transition(m: Machine, event: Event | undefined, next: unknown, data: unknown, actions: unknown, enterCall: boolean): Promise<void> {
  // The state the event was handled in (for init, the initial state itself).
  const before = m.state;
  const collected: ParsedActions = { postpone: false, nextEvents: [], timeouts: [] };
  const bad = parseActions(actions, false, collected);
  if (bad !== undefined) return terminate(m, ['bad_action_from_state_function', bad.bad]);
  let enter = enterCall && m.stateEnter;
  while (enter) {
    // A repeat_state from the enter call calls it again, still with the state that was left.
    let result: unknown;
    try {
      result = await callState(m, 'enter', before, next, data);
    } catch (error) {
      if (isUnwinding()) throw error;
      m.state = next;
      m.data = data;
      return terminate(m, reasonOf(error));
    }
    m.state = next;
    const parsed = parseResult(result, next, data, false);
    if (parsed.kind === 'bad') {
      m.data = data;
      return terminate(m, ['bad_state_enter_return_from_state_function', result]);
    }
    if (parsed.kind === 'stop') return stopWith(m, parsed);
    data = parsed.data;
    const badEnter = parseActions(parsed.actions, true, collected);
    if (badEnter !== undefined) {
      m.data = data;
      return terminate(m, ['bad_state_enter_action_from_state_function', badEnter.bad]);
    }
    enter = parsed.enter;
  }

  // Postpone, and retry the postponed events if the state changed.
  if (collected.postpone && event !== undefined) m.postponed.push(event);
  if (!sameTerm(next, before)) {
    m.queue = [...m.postponed, ...m.queue];
    m.postponed = [];
    cancel(m, 'state_timeout');
  }
  m.state = next;
  m.data = data;
  m.queue = [...collected.nextEvents, ...m.queue];
  setTimers(m, collected.timeouts);
}

/**
 * Applies the timeout actions, the last of each type winning. The event
 * timeout is cancelled by every transition; one asked for is started only if
 * no event is queued (a queued event would cancel it on arrival), and a zero
 * time queues the timeout event instead of starting a timer.
 */
function setTimers(m: Machine, timeouts: readonly TimeoutAction[]): void {
  cancel(m, 'timeout');
  const winners: TimeoutAction[] = [];
  for (let i = timeouts.length - 1; i >= 0; i--) {
    const t = timeouts[i]!;
    if (!winners.some((w) => sameTerm(w.type, t.type))) winners.unshift(t);
  }
  for (const t of winners) {
    if (t.type === 'timeout' && m.queue.length > 0) continue;
    if (t.time === 'cancel') {
      cancel(m, t.type);
    } else if (t.time === 'update') {
      const running = m.timers.find((x) => sameTerm(x.type, t.type));
      if (running !== undefined) running.content = t.content;
      else m.queue.push({ type: t.type as EventType, content: t.content });
    } else if (t.time === 0) {
      cancel(m, t.type);
      m.queue.push({ type: t.type as EventType, content: t.content });
    } else {
      cancel(m, t.type);
      m.timers.push({ type: t.type, ref: startTimer(t.time, self(), t.content), content: t.content });
    }
  }
}

/** Cancels the timer of a type; a timeout message it already sent is taken out of the mailbox. */
function cancel(m: Machine, type: TimerType): void {
  const i = m.timers.findIndex((t) => sameTerm(t.type, type));
  if (i < 0) return;
  const { ref } = m.timers[i]!;
  m.timers.splice(i, 1);
  if (cancelTimer(ref) === false) takeMessages((msg) => isTuple(msg, 'timeout', 3) && (msg as readonly unknown[])[1] === ref);
}

/** Runs `terminate(reason, state, data)`, then exits with `reason` (or with terminate's own crash). */
async function terminate(m: Machine, reason: unknown): Promise<never> {
  const mod = m.mod;
  if (mod.terminate !== undefined) {
    try {
      const r = mod.terminate(reason, m.state, m.data);
      if (isThenable(r)) await r;
    } catch (error) {
      if (isUnwinding()) throw error;
      return exit(reasonOf(error));
    }
  }
  return exit(reason);
}
