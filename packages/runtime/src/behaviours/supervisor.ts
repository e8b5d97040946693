/**
 * supervisor: a process that starts children from child specs, restarts them
 * by its strategy (`one_for_one`, `one_for_all`, `rest_for_one`,
 * `simple_one_for_one`) when they exit, gives up and exits `shutdown` when
 * restarts exceed its intensity, and stops its children in reverse start
 * order. As in OTP's supervisor.erl, it is a gen_server (`server` below)
 * that traps exits; the API functions are calls to it.
 *
 * Exported as the namespace `supervisor`: `supervisor.startChild(sup, spec)`.
 */
import { clock } from '../clock.js';
import { badarg } from '../errors.js';
import { reportSupervisor } from '../logger.js';
import { _ } from '../patterns.js';
import { Pid, isPid } from '../pid.js';
import { after, receive } from '../receive.js';
import { cancelTimer, startTimer } from '../timers.js';
import { exit, monitor, processFlag, unlink } from '../signals.js';
import { isProcessAlive, self } from '../spawn.js';
import * as genServer from './gen-server.js';
import { checkServer, isServerName, isThenable, isUnwinding, reasonOf, type ServerName, type ServerRef, type StartResult } from './gen.js';
import { sameTerm } from './term.js';

export type { ServerName, ServerRef, StartResult } from './gen.js';

export type Strategy = 'one_for_one' | 'one_for_all' | 'rest_for_one' | 'simple_one_for_one';
/** `permanent`: always restarted; `transient`: only after an abnormal exit; `temporary`: never. */
export type RestartType = 'permanent' | 'transient' | 'temporary';
/** How a child is stopped: killed at once, `shutdown` then kill after so many ms, or `shutdown` and wait. */
export type Shutdown = 'brutal_kill' | number | 'infinity';
export type ChildType = 'worker' | 'supervisor';
export type AutoShutdown = 'never' | 'any_significant' | 'all_significant';

type Awaitable<T> = T | PromiseLike<T>;

/** What a child's start function returns: it must start the child linked to the caller (the supervisor). */
export type StartFunctionResult = readonly ['ok', Pid] | readonly ['ok', Pid, unknown] | 'ignore' | readonly ['error', unknown];
export type StartFunction = (...args: any[]) => Awaitable<StartFunctionResult>;
/** OTP's `{M, F, A}`: the function and its arguments. */
export type StartMfa = readonly [fn: StartFunction, args: readonly unknown[]];

/** A child specification (OTP's child_spec() map). A bare function as `start` is `[fn, []]`. */
export interface ChildSpec {
  readonly id: unknown;
  readonly start: StartMfa | StartFunction;
  /** @default 'permanent' */
  readonly restart?: RestartType;
  /** @default 5000 for a worker, 'infinity' for a supervisor */
  readonly shutdown?: Shutdown;
  /** @default 'worker' */
  readonly type?: ChildType;
  /** @default [] */
  readonly modules?: readonly string[] | 'dynamic';
  /** @default false */
  readonly significant?: boolean;
}
/** The old tuple form: `[id, start, restart, shutdown, type, modules]`. */
export type ChildSpecTuple = readonly [unknown, StartMfa | StartFunction, RestartType, Shutdown, ChildType, readonly string[] | 'dynamic'];
/** A child spec with every field, as `getChildspec` returns it. */
export interface FullChildSpec {
  readonly id: unknown;
  readonly start: StartMfa;
  readonly restart: RestartType;
  readonly shutdown: Shutdown;
  readonly type: ChildType;
  readonly modules: readonly string[] | 'dynamic';
  readonly significant: boolean;
}

/** Supervisor flags (OTP's sup_flags() map); `autoShutdown` is also accepted as `auto_shutdown`. */
export interface SupFlags {
  /** @default 'one_for_one' */
  readonly strategy?: Strategy;
  /** Most restarts allowed within `period`. @default 1 */
  readonly intensity?: number;
  /** Seconds. @default 5 */
  readonly period?: number;
  /** @default 'never' */
  readonly autoShutdown?: AutoShutdown;
  readonly auto_shutdown?: AutoShutdown;
}
/** The old tuple form: `[strategy, intensity, period]`. */
export type SupFlagsTuple = readonly [Strategy, number, number];

export type InitResult = readonly ['ok', readonly [SupFlags | SupFlagsTuple, readonly (ChildSpec | ChildSpecTuple)[]]] | 'ignore';

/** A supervisor callback module: `init(args)` returns the flags and the child specs. */
export interface Supervisor<A = any> {
  init(args: A): Awaitable<InitResult>;
}

export type StartChildResult = readonly ['ok', Pid | undefined] | readonly ['ok', Pid, unknown] | readonly ['error', unknown];
/** `[id, child, type, modules]`; id is `undefined` under simple_one_for_one. */
export type ChildInfo = readonly [id: unknown, child: Pid | 'restarting' | undefined, type: ChildType, modules: readonly string[] | 'dynamic'];
export type ChildCounts = readonly [
  readonly ['specs', number],
  readonly ['active', number],
  readonly ['supervisors', number],
  readonly ['workers', number],
];

// ---------------------------------------------------------------------------
// API

/**
 * `supervisor:start_link/2,3`: starts a supervisor linked to the caller and
 * waits until `init` has run and every child has started. Resolves with
 * `['ok', pid]`, `'ignore'`, or `['error', reason]` (see docs/behaviours.md
 * for the reasons). Inside a process only.
 */
export function startLink<A>(module: Supervisor<A>, args: A): Promise<StartResult>;
export function startLink<A>(name: ServerName, module: Supervisor<A>, args: A): Promise<StartResult>;
export function startLink(...all: unknown[]): Promise<StartResult> {
  const named = Array.isArray(all[0]);
  const module = (named ? all[1] : all[0]) as Supervisor;
  const args = named ? all[2] : all[1];
  if (typeof module !== 'object' || module === null || typeof module.init !== 'function') {
    badarg('supervisor.startLink', 'the callback module must be an object with an init function');
  }
  if (named) {
    if (!isServerName(all[0])) badarg('supervisor.startLink', `a name is ['local', name], got ${String(all[0])}`);
    return genServer.startLink(all[0], server, [module, args] as const);
  }
  return genServer.startLink(server, [module, args] as const);
}

const callSup = <R>(fn: string, sup: ServerRef, request: unknown): Promise<R> => {
  checkServer(fn, sup);
  return genServer.call<R>(sup, request, 'infinity');
};

/**
 * `supervisor:start_child/2`: adds a child spec and starts it, or, under
 * simple_one_for_one, starts a child with `extraArgs` appended to the spec's
 * arguments. Errors: `already_present`, `['already_started', pid]`, a spec
 * error (`missing_id`, `['invalid_restart_type', x]`, …), `[reason, spec]`
 * when the start function fails.
 */
export function startChild(sup: ServerRef, specOrExtraArgs: ChildSpec | ChildSpecTuple | readonly unknown[]): Promise<StartChildResult> {
  return callSup('supervisor.startChild', sup, ['start_child', specOrExtraArgs]);
}

/** `supervisor:restart_child/2`: starts a stopped child again. Errors: `running`, `restarting`, `not_found`, `simple_one_for_one`, or the start error. */
export function restartChild(sup: ServerRef, id: unknown): Promise<StartChildResult> {
  return callSup('supervisor.restartChild', sup, ['restart_child', id]);
}

/** `supervisor:delete_child/2`: forgets a stopped child's spec. Errors: `running`, `restarting`, `not_found`, `simple_one_for_one`. */
export function deleteChild(sup: ServerRef, id: unknown): Promise<'ok' | readonly ['error', 'running' | 'restarting' | 'not_found' | 'simple_one_for_one']> {
  return callSup('supervisor.deleteChild', sup, ['delete_child', id]);
}

/**
 * `supervisor:terminate_child/2`: stops a child (as the supervisor would at
 * shutdown) and keeps its spec, unless temporary. Under simple_one_for_one,
 * `id` is the child's pid. Errors: `not_found`, `simple_one_for_one` (an id
 * given to a simple_one_for_one supervisor).
 */
export function terminateChild(sup: ServerRef, id: unknown): Promise<'ok' | readonly ['error', 'not_found' | 'simple_one_for_one']> {
  return callSup('supervisor.terminateChild', sup, ['terminate_child', id]);
}

/** `supervisor:which_children/1`: `[id, pid | 'restarting' | undefined, type, modules]`, newest first. */
export function whichChildren(sup: ServerRef): Promise<ChildInfo[]> {
  return callSup('supervisor.whichChildren', sup, 'which_children');
}

/** `supervisor:count_children/1`: `[['specs', n], ['active', n], ['supervisors', n], ['workers', n]]`. */
export function countChildren(sup: ServerRef): Promise<ChildCounts> {
  return callSup('supervisor.countChildren', sup, 'count_children');
}

/** `supervisor:get_childspec/2`: the full spec of a child (by id, or by pid under simple_one_for_one). */
export function getChildspec(sup: ServerRef, id: unknown): Promise<readonly ['ok', FullChildSpec] | readonly ['error', 'not_found']> {
  return callSup('supervisor.getChildspec', sup, ['get_childspec', id]);
}

/** `supervisor:check_childspecs/1,2`: `'ok'` if every spec is valid, else `['error', what]`. Works outside processes. */
export function checkChildspecs(specs: readonly (ChildSpec | ChildSpecTuple)[], autoShutdown?: AutoShutdown): 'ok' | readonly ['error', unknown] {
  if (!Array.isArray(specs)) return ['error', ['badarg', specs]];
  if (autoShutdown !== undefined && !AUTO_SHUTDOWNS.includes(autoShutdown)) return ['error', ['badarg', autoShutdown]];
  const checked = checkStartspec(specs, autoShutdown);
  return checked instanceof Invalid ? ['error', checked.what] : 'ok';
}

// ---------------------------------------------------------------------------
// Child specs

const STRATEGIES: readonly unknown[] = ['one_for_one', 'one_for_all', 'rest_for_one', 'simple_one_for_one'];
const RESTARTS: readonly unknown[] = ['permanent', 'transient', 'temporary'];
const AUTO_SHUTDOWNS: readonly unknown[] = ['never', 'any_significant', 'all_significant'];
const SPEC_KEYS: readonly string[] = ['id', 'start', 'restart', 'shutdown', 'type', 'modules', 'significant'];
const FLAG_KEYS: readonly string[] = ['strategy', 'intensity', 'period', 'autoShutdown', 'auto_shutdown'];

/** A check that failed, carrying OTP's error term. */
class Invalid {
  constructor(readonly what: unknown) {}
}

/** A child pid slot while a restart that failed is retried: OTP's `{restarting, OldPid}`. */
class Restarting {
  constructor(readonly old: Pid | undefined) {}
}

interface Child {
  readonly id: unknown;
  start: StartMfa;
  readonly restart: RestartType;
  readonly shutdown: Shutdown;
  readonly type: ChildType;
  readonly modules: readonly string[] | 'dynamic';
  readonly significant: boolean;
  pid: Pid | Restarting | undefined;
}

function isShutdown(value: unknown): value is Shutdown {
  return value === 'brutal_kill' || value === 'infinity' || (typeof value === 'number' && Number.isInteger(value) && value >= 0);
}

/** check_childspec: a Child, or Invalid with OTP's error term. */
function checkChildspec(spec: unknown, autoShutdown: AutoShutdown | undefined): Child | Invalid {
  if (Array.isArray(spec)) {
    if (spec.length !== 6) return new Invalid(['invalid_child_spec', spec]);
    const [id, start, restart, shutdown, type, modules] = spec as unknown[];
    return checkChildspec({ id, start, restart, shutdown, type, modules }, autoShutdown);
  }
  if (typeof spec !== 'object' || spec === null || spec instanceof Pid) return new Invalid(['invalid_child_spec', spec]);
  const s = spec as Record<string, unknown>;
  for (const key of Object.keys(s)) if (!SPEC_KEYS.includes(key)) return new Invalid(['invalid_child_spec', spec]);
  if (!('id' in s)) return new Invalid('missing_id');
  if (s['start'] === undefined) return new Invalid('missing_start');
  const start = s['start'];
  let mfa: StartMfa;
  if (typeof start === 'function') mfa = [start as StartFunction, []];
  else if (Array.isArray(start) && start.length === 2 && typeof start[0] === 'function' && Array.isArray(start[1])) mfa = start as unknown as StartMfa;
  else return new Invalid(['invalid_mfa', start]);
  const restart = s['restart'] ?? 'permanent';
  if (!RESTARTS.includes(restart)) return new Invalid(['invalid_restart_type', restart]);
  const significant = s['significant'] ?? false;
  if (significant === true && autoShutdown === 'never') {
    return new Invalid(['bad_combination', [['auto_shutdown', 'never'], ['significant', true]]]);
  }
  if (significant === true && restart === 'permanent') {
    return new Invalid(['bad_combination', [['restart', 'permanent'], ['significant', true]]]);
  }
  if (typeof significant !== 'boolean') return new Invalid(['invalid_significant', significant]);
  const type = s['type'] ?? 'worker';
  if (type !== 'worker' && type !== 'supervisor') return new Invalid(['invalid_child_type', type]);
  const shutdown = s['shutdown'] ?? (type === 'worker' ? 5000 : 'infinity');
  if (!isShutdown(shutdown)) return new Invalid(['invalid_shutdown', shutdown]);
  const modules = s['modules'] ?? [];
  if (modules !== 'dynamic') {
    if (!Array.isArray(modules)) return new Invalid(['invalid_modules', modules]);
    for (const m of modules) if (typeof m !== 'string') return new Invalid(['invalid_module', m]);
  }
  return {
    id: s['id'],
    start: mfa,
    restart: restart as RestartType,
    shutdown,
    type,
    modules: modules as readonly string[] | 'dynamic',
    significant,
    pid: undefined,
  };
}

/** check_startspec: the children in start order, or the first error (`['duplicate_child_name', id]` for a repeated id). */
function checkStartspec(specs: readonly unknown[], autoShutdown: AutoShutdown | undefined): Child[] | Invalid {
  const children: Child[] = [];
  for (const spec of specs) {
    const child = checkChildspec(spec, autoShutdown);
    if (child instanceof Invalid) return child;
    if (children.some((c) => sameTerm(c.id, child.id))) return new Invalid(['duplicate_child_name', child.id]);
    children.push(child);
  }
  return children;
}

interface Flags {
  strategy: Strategy;
  intensity: number;
  period: number;
  autoShutdown: AutoShutdown;
}

function checkFlags(flags: unknown): Flags | Invalid {
  let f: Record<string, unknown>;
  if (Array.isArray(flags) && flags.length === 3) {
    f = { strategy: flags[0], intensity: flags[1], period: flags[2] };
  } else if (typeof flags === 'object' && flags !== null && !Array.isArray(flags) && !(flags instanceof Pid)) {
    f = flags as Record<string, unknown>;
    for (const key of Object.keys(f)) if (!FLAG_KEYS.includes(key)) return new Invalid(['invalid_type', flags]);
  } else {
    return new Invalid(['invalid_type', flags]);
  }
  const strategy = f['strategy'] ?? 'one_for_one';
  if (!STRATEGIES.includes(strategy)) return new Invalid(['invalid_strategy', strategy]);
  const intensity = f['intensity'] ?? 1;
  if (typeof intensity !== 'number' || !Number.isInteger(intensity) || intensity < 0) return new Invalid(['invalid_intensity', intensity]);
  const period = f['period'] ?? 5;
  if (typeof period !== 'number' || !Number.isInteger(period) || period <= 0) return new Invalid(['invalid_period', period]);
  const autoShutdown = f['autoShutdown'] ?? f['auto_shutdown'] ?? 'never';
  if (!AUTO_SHUTDOWNS.includes(autoShutdown)) return new Invalid(['invalid_auto_shutdown', autoShutdown]);
  return { strategy: strategy as Strategy, intensity, period, autoShutdown: autoShutdown as AutoShutdown };
}

function fullSpec(child: Child): FullChildSpec {
  const { id, start, restart, shutdown, type, modules, significant } = child;
  return { id, start, restart, shutdown, type, modules, significant };
}

// ---------------------------------------------------------------------------
// The supervisor process: a gen_server

interface Dynamic {
  /** The one child spec; its `pid` stays undefined. */
  readonly spec: Child;
  /** Each child (or a `Restarting` slot) → its start arguments ([] for temporary children, never restarted). */
  readonly children: Map<Pid | Restarting, readonly unknown[]>;
  /** Slots waiting for a retried restart (count_children does not count them active). */
  restarting: number;
}

interface State extends Flags {
  readonly module: Supervisor;
  /** Static children, in start order. */
  children: Child[];
  readonly dynamic: Dynamic | undefined;
  /** Times (ms) of the restarts within the period, newest first. */
  restarts: number[];
}

const STOP_SHUTDOWN = (state: State) => ['stop', 'shutdown', state] as const;

const server: genServer.GenServer<State, readonly [Supervisor, unknown]> = {
  async init([module, args]) {
    processFlag('trap_exit', true);
    let result: unknown = module.init(args);
    if (isThenable(result)) result = await result;
    if (result === 'ignore') return 'ignore';
    if (!Array.isArray(result) || result.length !== 2 || result[0] !== 'ok' || !Array.isArray(result[1]) || result[1].length !== 2) {
      return ['stop', ['bad_return', [module, 'init', result]]];
    }
    const [flagsArg, specs] = result[1] as [unknown, unknown];
    const flags = checkFlags(flagsArg);
    if (flags instanceof Invalid) return ['stop', ['supervisor_data', flags.what]];
    if (!Array.isArray(specs)) return ['stop', ['start_spec', ['invalid_child_spec', specs]]];
    if (flags.strategy === 'simple_one_for_one') {
      if (specs.length !== 1) return ['stop', ['bad_start_spec', specs]];
      const spec = checkStartspec(specs, flags.autoShutdown);
      if (spec instanceof Invalid) return ['stop', ['start_spec', spec.what]];
      const dynamic: Dynamic = { spec: spec[0]!, children: new Map(), restarting: 0 };
      return ['ok', { ...flags, module, children: [], dynamic, restarts: [] }];
    }
    const children = checkStartspec(specs, flags.autoShutdown);
    if (children instanceof Invalid) return ['stop', ['start_spec', children.what]];
    const state: State = { ...flags, module, children, dynamic: undefined, restarts: [] };
    const failed = await startChildren(state, children);
    if (failed !== undefined) {
      await terminateChildren(state, state.children);
      return ['stop', ['shutdown', failed]];
    }
    return ['ok', state];
  },

  async handleCall(request: unknown, _from, state) {
    const [tag, arg] = Array.isArray(request) ? (request as [unknown, unknown]) : [request, undefined];
    const dynamic = state.dynamic;
    switch (tag) {
      case 'start_child':
        return ['reply', dynamic !== undefined ? await startDynamicChild(dynamic, arg) : await handleStartChild(state, arg), state];
      case 'terminate_child': {
        if (dynamic !== undefined && !isPid(arg)) return ['reply', ['error', 'simple_one_for_one'], state];
        const child = findChild(state, arg);
        if (child === undefined) return ['reply', ['error', 'not_found'], state];
        await doTerminate(child);
        delChild(state, child);
        return ['reply', 'ok', state];
      }
      case 'restart_child': {
        if (dynamic !== undefined) return ['reply', ['error', 'simple_one_for_one'], state];
        const child = findChild(state, arg);
        if (child === undefined) return ['reply', ['error', 'not_found'], state];
        if (child.pid instanceof Restarting) return ['reply', ['error', 'restarting'], state];
        if (child.pid !== undefined) return ['reply', ['error', 'running'], state];
        const result = await startFunction(child.start);
        if (result[0] === 'ok') child.pid = result[1];
        return ['reply', result, state];
      }
      case 'delete_child': {
        if (dynamic !== undefined) return ['reply', ['error', 'simple_one_for_one'], state];
        const child = findChild(state, arg);
        if (child === undefined) return ['reply', ['error', 'not_found'], state];
        if (child.pid instanceof Restarting) return ['reply', ['error', 'restarting'], state];
        if (child.pid !== undefined) return ['reply', ['error', 'running'], state];
        state.children = state.children.filter((c) => c !== child);
        return ['reply', 'ok', state];
      }
      case 'get_childspec': {
        const child = findChild(state, arg);
        return ['reply', child === undefined ? ['error', 'not_found'] : ['ok', fullSpec(child)], state];
      }
      case 'which_children':
        return ['reply', whichChildrenOf(state), state];
      case 'count_children':
        return ['reply', countChildrenOf(state), state];
    }
    // OTP's supervisor has no clause for anything else either: it crashes.
    throw new Error(`supervisor: unexpected call ${String(request)}`);
  },

  async handleCast(request: unknown, state) {
    if (Array.isArray(request) && request.length === 2 && request[0] === 'try_again_restart') {
      const child = findChildToRetry(state, request[1]);
      if (child !== undefined && child.pid instanceof Restarting) {
        if ((await restart(state, child)) === 'shutdown') return STOP_SHUTDOWN(state);
      }
    }
    return ['noreply', state];
  },

  async handleInfo(message: unknown, state) {
    if (Array.isArray(message) && message.length === 3 && message[0] === 'EXIT' && isPid(message[1])) {
      const child = findChildByPid(state, message[1]);
      if (child !== undefined && (await childExited(state, child, message[2])) === 'shutdown') return STOP_SHUTDOWN(state);
    }
    // Anything else: OTP logs "unexpected message" and goes on.
    return ['noreply', state];
  },

  async terminate(_reason, state) {
    if (state.dynamic !== undefined) await terminateDynamicChildren(state.dynamic);
    else await terminateChildren(state, state.children);
  },
};

// ---------------------------------------------------------------------------
// Finding children

/** find_child: by id; under simple_one_for_one by pid (a dead pid finds the spec, as in OTP). */
function findChild(state: State, idOrPid: unknown): Child | undefined {
  const dynamic = state.dynamic;
  if (dynamic === undefined) return state.children.find((c) => sameTerm(c.id, idOrPid));
  if (!isPid(idOrPid)) return sameTerm(dynamic.spec.id, idOrPid) ? dynamic.spec : undefined;
  const slot = dynamicSlot(dynamic, idOrPid);
  if (slot !== undefined) return { ...dynamic.spec, pid: slot };
  return isProcessAlive(idOrPid) ? undefined : dynamic.spec;
}

function dynamicSlot(dynamic: Dynamic, pid: Pid): Pid | Restarting | undefined {
  if (dynamic.children.has(pid)) return pid;
  for (const key of dynamic.children.keys()) if (key instanceof Restarting && key.old === pid) return key;
  return undefined;
}

/** The child an EXIT comes from, with its start arguments (under simple_one_for_one). */
function findChildByPid(state: State, pid: Pid): Child | undefined {
  const dynamic = state.dynamic;
  if (dynamic === undefined) return state.children.find((c) => c.pid === pid);
  const args = dynamic.children.get(pid);
  if (args === undefined) return undefined;
  return { ...dynamic.spec, start: [dynamic.spec.start[0], args], pid };
}

function findChildToRetry(state: State, key: unknown): Child | undefined {
  const dynamic = state.dynamic;
  if (dynamic === undefined) return state.children.find((c) => sameTerm(c.id, key));
  if (!(key instanceof Restarting)) return undefined;
  const args = dynamic.children.get(key);
  return args === undefined ? undefined : { ...dynamic.spec, start: [dynamic.spec.start[0], args], pid: key };
}

/** del_child: a temporary child is forgotten; another keeps its spec, with no pid. */
function delChild(state: State, child: Child): void {
  const dynamic = state.dynamic;
  if (dynamic !== undefined) {
    if (child.pid instanceof Restarting && dynamic.children.has(child.pid)) dynamic.restarting--;
    if (child.pid !== undefined) dynamic.children.delete(child.pid);
    return;
  }
  if (child.restart === 'temporary') state.children = state.children.filter((c) => c !== child);
  else child.pid = undefined;
}

function whichChildrenOf(state: State): ChildInfo[] {
  const dynamic = state.dynamic;
  if (dynamic !== undefined) {
    const { type, modules } = dynamic.spec;
    return [...dynamic.children.keys()].map((key) => [undefined, key instanceof Restarting ? 'restarting' : key, type, modules]);
  }
  return state.children
    .map((c): ChildInfo => [c.id, c.pid instanceof Restarting ? 'restarting' : c.pid, c.type, c.modules])
    .reverse();
}

function countChildrenOf(state: State): ChildCounts {
  const dynamic = state.dynamic;
  if (dynamic !== undefined) {
    const size = dynamic.children.size;
    const supervisors = dynamic.spec.type === 'supervisor' ? size : 0;
    return [['specs', 1], ['active', size - dynamic.restarting], ['supervisors', supervisors], ['workers', size - supervisors]];
  }
  let active = 0;
  let supervisors = 0;
  for (const c of state.children) {
    if (isPid(c.pid) && isProcessAlive(c.pid)) active++;
    if (c.type === 'supervisor') supervisors++;
  }
  return [['specs', state.children.length], ['active', active], ['supervisors', supervisors], ['workers', state.children.length - supervisors]];
}

// ---------------------------------------------------------------------------
// Starting children

type Started = readonly ['ok', Pid | undefined] | readonly ['ok', Pid, unknown] | readonly ['error', unknown];

/** do_start_child_i: calls the start function; a throw is `['error', ['EXIT', reason]]`, a bad result `['error', result]`. */
async function startFunction(mfa: StartMfa, extra?: unknown): Promise<Started> {
  let result: unknown;
  try {
    const [fn, args] = mfa;
    if (extra !== undefined && !Array.isArray(extra)) badarg('supervisor.startChild', `extra arguments must be a list, got ${String(extra)}`);
    result = extra === undefined ? fn(...args) : fn(...args, ...(extra as unknown[]));
    if (isThenable(result)) result = await result;
  } catch (error) {
    if (isUnwinding()) throw error;
    return ['error', ['EXIT', reasonOf(error)]];
  }
  if (Array.isArray(result) && result[0] === 'ok' && isPid(result[1])) {
    if (result.length === 2) return ['ok', result[1]];
    if (result.length === 3) return ['ok', result[1], result[2]];
  }
  if (result === 'ignore') return ['ok', undefined];
  if (Array.isArray(result) && result.length === 2 && result[0] === 'error') return ['error', result[1]];
  return ['error', result];
}

async function handleStartChild(state: State, spec: unknown): Promise<StartChildResult> {
  const child = checkChildspec(spec, state.autoShutdown);
  if (child instanceof Invalid) return ['error', child.what];
  const old = state.children.find((c) => sameTerm(c.id, child.id));
  if (old !== undefined) return isPid(old.pid) ? ['error', ['already_started', old.pid]] : ['error', 'already_present'];
  const result = await startFunction(child.start);
  if (result[0] === 'error') {
    const what = result[1];
    if (Array.isArray(what) && what.length === 2 && what[0] === 'already_started') return result;
    return ['error', [what, fullSpec(child)]];
  }
  if (result[1] === undefined && child.restart === 'temporary') return result;
  child.pid = result[1];
  state.children.push(child);
  return result;
}

async function startDynamicChild(dynamic: Dynamic, extra: unknown): Promise<StartChildResult> {
  const [fn, base] = dynamic.spec.start;
  const args = Array.isArray(extra) ? [...base, ...(extra as unknown[])] : base;
  const result = await startFunction([fn, base], extra);
  if (result[0] === 'ok' && result[1] !== undefined) {
    dynamic.children.set(result[1], dynamic.spec.restart === 'temporary' ? [] : args);
  }
  return result;
}

/**
 * start_children: starts `children` in order (a temporary child that answers
 * `ignore` is dropped). Returns `['failed_to_start_child', id, reason]` for
 * the first that fails; the ones after it are left stopped.
 */
async function startChildren(state: State, children: readonly Child[]): Promise<unknown> {
  for (const child of children) {
    const result = await startFunction(child.start);
    if (result[0] === 'error') {
      report('start_error', result[1], child);
      return ['failed_to_start_child', child.id, result[1]];
    }
    if (result[1] === undefined && child.restart === 'temporary') state.children = state.children.filter((c) => c !== child);
    else child.pid = result[1];
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// Restarting

const isNormalExit = (reason: unknown): boolean =>
  reason === 'normal' || reason === 'shutdown' || (Array.isArray(reason) && reason.length === 2 && reason[0] === 'shutdown');

/** do_restart: a child exited; restart it or not by its restart type. */
async function childExited(state: State, child: Child, reason: unknown): Promise<'ok' | 'shutdown'> {
  if (child.restart === 'permanent' || (child.restart === 'transient' && !isNormalExit(reason))) {
    report('child_terminated', reason, child);
    return restart(state, child);
  }
  if (child.restart === 'temporary' && !isNormalExit(reason)) report('child_terminated', reason, child);
  delChild(state, child);
  return autoShutdown(state, child);
}

function autoShutdown(state: State, child: Child): 'ok' | 'shutdown' {
  if (state.autoShutdown === 'never' || !child.significant) return 'ok';
  if (state.autoShutdown === 'any_significant') return 'shutdown';
  if (state.dynamic !== undefined) return state.dynamic.children.size === 0 ? 'shutdown' : 'ok';
  return state.children.some((c) => c.significant && c.pid !== undefined) ? 'ok' : 'shutdown';
}

/** add_restart: records a restart; false when there were more than `intensity` within `period` seconds. */
function addRestart(state: State): boolean {
  const now = clock().now();
  const window = state.period * 1000;
  state.restarts = [now, ...state.restarts.filter((t) => now - t <= window)];
  return state.restarts.length <= state.intensity;
}

/** restart/2: counts the restart against the intensity, then restarts by the strategy. */
async function restart(state: State, child: Child): Promise<'ok' | 'shutdown'> {
  if (!addRestart(state)) {
    report('shutdown', 'reached_max_restart_intensity', child);
    delChild(state, child);
    return 'shutdown';
  }
  const dynamic = state.dynamic;
  if (dynamic !== undefined) {
    if (child.pid instanceof Restarting) dynamic.restarting--;
    if (child.pid !== undefined) dynamic.children.delete(child.pid);
    const args = child.start[1];
    const result = await startFunction(child.start);
    if (result[0] === 'ok') {
      if (result[1] !== undefined) dynamic.children.set(result[1], args);
      return 'ok';
    }
    const slot = child.pid instanceof Restarting ? child.pid : new Restarting(child.pid);
    dynamic.restarting++;
    dynamic.children.set(slot, args);
    report('start_error', result[1], child);
    tryAgain(slot);
    return 'ok';
  }
  switch (state.strategy) {
    case 'one_for_one': {
      const result = await startFunction(child.start);
      if (result[0] === 'ok') {
        child.pid = result[1];
      } else {
        child.pid = child.pid instanceof Restarting ? child.pid : new Restarting(child.pid);
        report('start_error', result[1], child);
        tryAgain(child.id);
      }
      return 'ok';
    }
    case 'rest_for_one': {
      const at = state.children.indexOf(child);
      return restartMultiple(state, child, state.children.slice(at));
    }
    default:
      return restartMultiple(state, child, state.children.slice());
  }
}

/**
 * restart_multiple_children: stops `group` (in reverse start order; the
 * crashed child is already gone) and starts it again in order. If a start
 * fails, that child is marked restarting and retried later.
 */
async function restartMultiple(state: State, child: Child, group: Child[]): Promise<'ok'> {
  const oldPid = child.pid;
  child.pid = undefined;
  await terminateChildren(state, group);
  const remaining = group.filter((c) => state.children.includes(c));
  for (const c of remaining) {
    const result = await startFunction(c.start);
    if (result[0] === 'error') {
      report('start_error', result[1], c);
      c.pid = c !== child ? new Restarting(undefined) : oldPid instanceof Restarting ? oldPid : new Restarting(oldPid);
      tryAgain(c.id);
      return 'ok';
    }
    if (result[1] === undefined && c.restart === 'temporary') state.children = state.children.filter((x) => x !== c);
    else c.pid = result[1];
  }
  return 'ok';
}

/** Retries a failed restart after the supervisor has looked at its mailbox, as OTP does with a cast to itself. */
function tryAgain(key: unknown): void {
  genServer.cast(self(), ['try_again_restart', key]);
}

// ---------------------------------------------------------------------------
// Stopping children

/** terminate_children: stops `group` in reverse start order; temporary children are forgotten. */
async function terminateChildren(state: State, group: readonly Child[]): Promise<void> {
  for (let i = group.length - 1; i >= 0; i--) {
    const child = group[i]!;
    await doTerminate(child);
    if (child.restart === 'temporary') state.children = state.children.filter((c) => c !== child);
    else child.pid = undefined;
  }
}

async function doTerminate(child: Child): Promise<void> {
  const pid = child.pid;
  if (!isPid(pid)) return;
  const reason = await shutdown(child, pid);
  if (reason !== undefined) report('shutdown_error', reason[0], child);
}

/**
 * Stops one child by its `shutdown`: `brutal_kill` kills it; a time sends
 * `shutdown` and kills it if it is not gone in time; `infinity` waits. A
 * monitor (not the link) tells when it is gone. Returns `[reason]` if it
 * exited with a reason other than the one asked for (killed after the
 * timeout included), for the report.
 */
async function shutdown(child: Child, pid: Pid): Promise<[unknown] | undefined> {
  const ref = monitor(pid);
  const down = ['DOWN', ref, 'process', pid, _] as const;
  const permanent = child.restart === 'permanent';
  let reason: unknown;
  if (child.shutdown === 'brutal_kill') {
    exit(pid, 'kill');
    reason = await unlinkFlush(pid, (await receive(down))[4]);
    if (reason === 'killed' || (!permanent && isNormalExit(reason))) return undefined;
    return [reason];
  }
  exit(pid, 'shutdown');
  const ms = child.shutdown === 'infinity' ? Infinity : child.shutdown;
  let message = await receive(down, after(ms));
  if (message === undefined) {
    exit(pid, 'kill');
    message = await receive(down);
  }
  reason = await unlinkFlush(pid, message[4]);
  if (reason === 'shutdown' || (!permanent && isNormalExit(reason))) return undefined;
  return [reason];
}

/** Unlinks and takes the child's EXIT message if it came: its reason is the one to judge by. */
async function unlinkFlush(pid: Pid, otherwise: unknown): Promise<unknown> {
  unlink(pid);
  const m = await receive(['EXIT', pid, _] as const, after(0));
  return m === undefined ? otherwise : m[2];
}

/**
 * terminate_dynamic_children: a simple_one_for_one supervisor stops all its
 * children at once (their order is not defined), with one timer for all.
 */
async function terminateDynamicChildren(dynamic: Dynamic): Promise<void> {
  const spec = dynamic.spec;
  const pending = new Map<unknown, Pid>();
  for (const key of dynamic.children.keys()) {
    if (key instanceof Restarting) continue;
    pending.set(monitor(key), key);
    exit(key, spec.shutdown === 'brutal_kill' ? 'kill' : 'shutdown');
  }
  const timer = typeof spec.shutdown === 'number' ? startTimer(spec.shutdown, self(), 'kill') : undefined;
  const failures = new Map<unknown, Pid[]>();
  const isOurDown = (m: unknown): m is readonly ['DOWN', unknown, 'process', Pid, unknown] =>
    Array.isArray(m) && m.length === 5 && m[0] === 'DOWN' && pending.has(m[1]);
  while (pending.size > 0) {
    const m = timer === undefined ? await receive(isOurDown) : await receive(isOurDown, ['timeout', timer, 'kill'] as const);
    if (m[0] === 'timeout') {
      for (const pid of pending.values()) exit(pid, 'kill');
      continue;
    }
    pending.delete(m[1]);
    const reason = await unlinkFlush(m[3], m[4]);
    const expected = spec.shutdown === 'brutal_kill' ? reason === 'killed' : reason === 'shutdown';
    if (!expected && !(spec.restart !== 'permanent' && isNormalExit(reason))) {
      const same = [...failures.keys()].find((r) => sameTerm(r, reason));
      if (same === undefined) failures.set(reason, [m[3]]);
      else failures.get(same)!.push(m[3]);
    }
  }
  if (timer !== undefined && cancelTimer(timer) === false) await receive(['timeout', timer, 'kill'] as const, after(0));
  for (const [reason, pids] of failures) report('shutdown_error', reason, { ...spec, pid: undefined }, pids);
}

// ---------------------------------------------------------------------------
// Reports

function report(context: 'child_terminated' | 'start_error' | 'shutdown_error' | 'shutdown', reason: unknown, child: Child, pids?: Pid[]): void {
  const { id, start, restart: restartType, shutdown: shutdownSpec, type } = child;
  const who = pids !== undefined ? { pids } : { pid: child.pid instanceof Restarting ? child.pid.old : child.pid };
  reportSupervisor({
    supervisor: self(),
    context,
    reason,
    offender: { ...who, id, start, restart: restartType, shutdown: shutdownSpec, type },
  });
}
