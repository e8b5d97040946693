/**
 * The acceptor pool's API, Ranch's `ranch` module for gen_tcp: start a
 * listener (a listen socket, a pool of acceptors, one process per
 * connection, all supervised), stop, suspend and resume it, read and change
 * its limits, and, from a connection process, take the socket with
 * `handshake`. Exported from @beamline/gen-tcp as the namespace `pool`:
 * `pool.startListener(…)` reads as `ranch:start_listener(…)`.
 *
 * Functions that talk to the listener's processes are async and work inside
 * a process only; the getters read the listener table and work anywhere.
 * An unknown listener name throws badarg (as Ranch's lookups crash), except
 * in `stopListener`, which answers `['error', 'not_found']`.
 */
import { CallExit, _, after, badarg, genServer, receive, self, send, supervisor, type ChildSpec, type Pid } from '@beamline/runtime';
import { sockname, type SockAddr } from '../inet.js';
import { show } from '../options.js';
import type { TcpSocket } from '../socket.js';
import { compare, type Comparison } from './conns-sup.js';
import { childId, poolSupervisor, startListenerSup } from './listener-sup.js';
import {
  checkMaxConnections,
  checkOptions,
  checkProtocol,
  checkRef,
  type ListenerOptions,
  type ListenerRef,
  type MaxConnections,
  type Protocol,
} from './options.js';
import { all, find, lookup, type Listener } from './registry.js';

export type { Comparison } from './conns-sup.js';

export type StartListenerResult = readonly ['ok', Pid] | readonly ['error', unknown];

/** Milliseconds or `'infinity'`. */
export type Timeout = number | 'infinity';

function checkTimeout(fn: string, timeout: unknown): number {
  if (timeout === 'infinity') return Infinity;
  if (typeof timeout === 'number' && Number.isInteger(timeout) && timeout >= 0) return timeout;
  return badarg(fn, `timeout must be a non-negative integer of milliseconds or 'infinity', got ${show(timeout)}`);
}

/** The listen error in a failed start: `['listen_error', ref, reason]` anywhere inside the reason. */
function listenError(reason: unknown, depth = 0): unknown {
  if (!Array.isArray(reason) || depth > 6) return undefined;
  if (reason.length === 3 && reason[0] === 'listen_error') return reason[2];
  for (const part of reason) {
    const found = listenError(part, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * `ranch:start_listener/5`: starts a listener named `ref` under the pool
 * supervisor and resolves with `['ok', pid]` (its supervisor) once it
 * listens. `protocol` starts one process per connection: a process body
 * called as `(ref, protocolOptions)`, or a module whose `startLink(ref,
 * protocolOptions)` starts it linked; that process calls `handshake(ref)` to
 * receive the socket before it reads. Errors: `['already_started', pid]`
 * (the name is taken), a listen error (`eaddrinuse`, `eacces`, other posix
 * reasons), or the reason the tree failed to start with. Bad options throw
 * badarg.
 */
export async function startListener<O>(
  ref: ListenerRef,
  options: ListenerOptions,
  protocol: Protocol<O>,
  protocolOptions?: O,
): Promise<StartListenerResult> {
  checkRef('startListener', ref);
  const settings = checkOptions('startListener', options);
  checkProtocol('startListener', protocol);
  const root = await poolSupervisor();
  const result = await supervisor.startChild(root, {
    id: childId(ref),
    start: [startListenerSup, [ref, settings, protocol, protocolOptions]],
    type: 'supervisor',
  });
  if (result[0] === 'ok') return ['ok', result[1] as Pid];
  const reason = result[1];
  const listen = listenError(reason);
  if (listen !== undefined) return ['error', listen];
  if (Array.isArray(reason) && reason.length === 2 && reason[0] !== 'already_started' && typeof reason[1] === 'object') {
    // `[what, childSpec]` from startChild: the child spec is ours, not the caller's business.
    return ['error', reason[0]];
  }
  return ['error', reason];
}

/**
 * `ranch:child_spec/5`: a child spec that runs the listener under your own
 * supervisor instead of the pool's. Such a listener is not stopped by
 * `stopListener` (stop it through its supervisor); everything else works.
 */
export function childSpec<O>(ref: ListenerRef, options: ListenerOptions, protocol: Protocol<O>, protocolOptions?: O): ChildSpec {
  checkRef('childSpec', ref);
  const settings = checkOptions('childSpec', options);
  checkProtocol('childSpec', protocol);
  return { id: childId(ref), start: [startListenerSup, [ref, settings, protocol, protocolOptions]], type: 'supervisor' };
}

export interface StopOptions {
  /**
   * Before the connections are stopped, let them finish on their own for
   * this long (milliseconds or `'infinity'`): the listener stops accepting
   * at once (as `suspendListener`), and waits until no connection is left or
   * the time is up. Those left then are stopped by the listener's `shutdown`
   * option. @default 0
   */
  readonly drainTimeout?: Timeout;
}

/**
 * `ranch:stop_listener/1`, with draining: stops accepting, optionally waits
 * up to `drainTimeout` for the connections to end, stops the rest by the
 * listener's `shutdown` option (`exit(pid, 'shutdown')`, killed after
 * `shutdown` ms; or killed at once with `'brutal_kill'`), and resolves once
 * every process of the listener is gone. Error: `not_found`.
 */
export async function stopListener(ref: ListenerRef, options: StopOptions = {}): Promise<'ok' | readonly ['error', 'not_found']> {
  checkRef('stopListener', ref);
  if (typeof options !== 'object' || options === null) badarg('stopListener', `options must be an object, got ${show(options)}`);
  for (const key of Object.keys(options)) if (key !== 'drainTimeout') badarg('stopListener', `unknown option '${key}'`);
  const drain = checkTimeout('stopListener', options.drainTimeout ?? 0);
  const root = await poolSupervisor();
  const id = childId(ref);
  // A listener started with childSpec belongs to its caller's supervisor: not
  // ours to stop, so not ours to suspend and drain either.
  if ((await supervisor.getChildspec(root, id))[0] !== 'ok') return ['error', 'not_found'];
  const listener = find(ref);
  if (listener !== undefined && listener.listenerSup !== undefined && drain > 0) {
    await suspendListener(ref);
    await waitForConnections(ref, '==', 0, drain === Infinity ? 'infinity' : drain);
  }
  const stopped = await supervisor.terminateChild(root, id);
  if (stopped !== 'ok') return ['error', 'not_found'];
  await supervisor.deleteChild(root, id);
  return 'ok';
}

/**
 * `ranch:suspend_listener/1`: closes the listen socket and stops the
 * acceptors; connections already served go on. New clients are refused
 * (`econnrefused`), and those that were waiting in the backlog are reset.
 * `'ok'`, also when already suspended; or the supervisor's error.
 */
export async function suspendListener(ref: ListenerRef): Promise<'ok' | readonly ['error', unknown]> {
  checkRef('suspendListener', ref);
  const l = lookup('suspendListener', ref);
  if (l.suspended) return 'ok';
  l.suspended = true;
  const sup = l.listenerSup;
  if (sup === undefined) return 'ok';
  const r = await supervisor.terminateChild(sup, 'acceptors');
  return r === 'ok' ? 'ok' : ['error', r[1]];
}

/**
 * `ranch:resume_listener/1`: listens again, on the same port (a listener
 * started on port 0 keeps the port it was given first), and starts the
 * acceptors. `'ok'`, also when running; errors: a listen error such as
 * `eaddrinuse` (the port was taken meanwhile; the listener stays suspended).
 */
export async function resumeListener(ref: ListenerRef): Promise<'ok' | readonly ['error', unknown]> {
  checkRef('resumeListener', ref);
  const l = lookup('resumeListener', ref);
  if (!l.suspended) return 'ok';
  const sup = l.listenerSup;
  if (sup === undefined) return ['error', 'not_found'];
  l.suspended = false;
  const r = await supervisor.restartChild(sup, 'acceptors');
  if (r[0] === 'ok' || (r[0] === 'error' && r[1] === 'running')) return 'ok';
  l.suspended = true;
  const listen = listenError(r[1]);
  return ['error', listen !== undefined ? listen : r[1]];
}

/**
 * `ranch:handshake/1`: called by a connection process before it touches
 * the socket; returns the socket, which this process now owns (passive, as
 * the listener's options made it). Throws badarg if no handshake for `ref`
 * is waiting and no listener has that name.
 */
export async function handshake(ref: ListenerRef): Promise<TcpSocket> {
  checkRef('handshake', ref);
  const pattern = ['handshake', ref, _] as const;
  if (find(ref) === undefined) {
    // The listener may be gone with the handshake already here; otherwise a wrong name would wait forever.
    const m = await receive(pattern, after(0));
    if (m === undefined) badarg('handshake', `no listener named ${show(ref)}`);
    return m[2] as TcpSocket;
  }
  return (await receive(pattern))[2] as TcpSocket;
}

/**
 * `ranch:remove_connection/1`: the calling connection process stops counting
 * against `maxConnections` (it still counts in `allConnections` and is still
 * stopped with the listener). Always `'ok'`.
 */
export function removeConnection(ref: ListenerRef): 'ok' {
  checkRef('removeConnection', ref);
  const sup = lookup('removeConnection', ref).connsSup;
  if (sup !== undefined) send(sup, ['remove_connection', ref, self()]);
  return 'ok';
}

/** `ranch:get_status/1`. */
export function getStatus(ref: ListenerRef): 'running' | 'suspended' {
  checkRef('getStatus', ref);
  return lookup('getStatus', ref).suspended ? 'suspended' : 'running';
}

/** `ranch:get_addr/1`: the address listened on, `[undefined, undefined]` while suspended. */
export function getAddr(ref: ListenerRef): SockAddr | readonly [undefined, undefined] {
  checkRef('getAddr', ref);
  const l = lookup('getAddr', ref);
  if (l.suspended || l.listenSocket === undefined) return [undefined, undefined];
  const a = sockname(l.listenSocket);
  return a[0] === 'ok' ? a[1] : [undefined, undefined];
}

/** `ranch:get_port/1`: the port listened on, `undefined` while suspended. */
export function getPort(ref: ListenerRef): number | undefined {
  checkRef('getPort', ref);
  return getAddr(ref)[1];
}

/** `ranch:get_max_connections/1`. */
export function getMaxConnections(ref: ListenerRef): MaxConnections {
  checkRef('getMaxConnections', ref);
  const max = lookup('getMaxConnections', ref).maxConnections;
  return max === Infinity ? 'infinity' : max;
}

/**
 * `ranch:set_max_connections/2`: takes effect at once. Raising it lets
 * waiting sockets and held acceptors go on; lowering it stops nothing that
 * runs, new connections wait until the count is below it. Always `'ok'`.
 */
export function setMaxConnections(ref: ListenerRef, max: MaxConnections): 'ok' {
  checkRef('setMaxConnections', ref);
  const l = lookup('setMaxConnections', ref);
  l.maxConnections = checkMaxConnections('setMaxConnections', max);
  if (l.connsSup !== undefined) genServer.cast(l.connsSup, ['set_max_connections']);
  return 'ok';
}

/** `ranch:get_protocol_options/1`. */
export function getProtocolOptions(ref: ListenerRef): unknown {
  checkRef('getProtocolOptions', ref);
  return lookup('getProtocolOptions', ref).protocolOptions;
}

/** `ranch:set_protocol_options/2`: for the connections started from now on. Always `'ok'`. */
export function setProtocolOptions(ref: ListenerRef, options: unknown): 'ok' {
  checkRef('setProtocolOptions', ref);
  lookup('setProtocolOptions', ref).protocolOptions = options;
  return 'ok';
}

export interface ListenerInfo {
  /** The listener's supervisor. */
  readonly pid: Pid;
  readonly status: 'running' | 'suspended';
  readonly ip: readonly number[] | undefined;
  readonly port: number | undefined;
  readonly maxConnections: MaxConnections;
  /** Connection processes counted against the limit. */
  readonly activeConnections: number;
  /** All connection processes, those that called `removeConnection` included. */
  readonly allConnections: number;
  /** Acceptor processes alive now (0 while suspended). */
  readonly acceptors: number;
  readonly numAcceptors: number;
  readonly protocolOptions: unknown;
  /** Since the listener started: connections given to a connection process, and connection processes ended. */
  readonly metrics: { readonly accepted: number; readonly terminated: number };
}

async function connectionCounts(l: Listener): Promise<{ active: number; all: number }> {
  const sup = l.connsSup;
  if (sup === undefined) return { active: 0, all: 0 };
  try {
    return await genServer.call<{ active: number; all: number }>(sup, 'connections');
  } catch (error) {
    // Restarting right now: no connection survived it.
    if (error instanceof CallExit) return { active: 0, all: 0 };
    throw error;
  }
}

async function childPids(sup: Pid | undefined): Promise<Pid[]> {
  if (sup === undefined) return [];
  try {
    const children = await supervisor.whichChildren(sup);
    return children.flatMap(([, pid]) => (pid !== undefined && pid !== 'restarting' ? [pid] : []));
  } catch (error) {
    if (error instanceof CallExit) return [];
    throw error;
  }
}

async function listenerInfo(l: Listener): Promise<ListenerInfo> {
  const [ip, port] = getAddr(l.ref);
  const counts = await connectionCounts(l);
  const acceptors = l.suspended ? [] : await childPids(l.acceptorsSup);
  return {
    pid: l.listenerSup!,
    status: l.suspended ? 'suspended' : 'running',
    ip,
    port,
    maxConnections: l.maxConnections === Infinity ? 'infinity' : l.maxConnections,
    activeConnections: counts.active,
    allConnections: counts.all,
    acceptors: acceptors.length,
    numAcceptors: l.settings.numAcceptors,
    protocolOptions: l.protocolOptions,
    metrics: { accepted: l.accepted, terminated: l.terminated },
  };
}

/** `ranch:info/0,1`: one listener's state, or every listener's by name. */
export function info(ref: ListenerRef): Promise<ListenerInfo>;
export function info(): Promise<Map<ListenerRef, ListenerInfo>>;
export async function info(ref?: ListenerRef): Promise<ListenerInfo | Map<ListenerRef, ListenerInfo>> {
  if (arguments.length > 0) {
    checkRef('info', ref);
    return listenerInfo(lookup('info', ref));
  }
  const out = new Map<ListenerRef, ListenerInfo>();
  for (const l of all()) if (l.listenerSup !== undefined) out.set(l.ref, await listenerInfo(l));
  return out;
}

/** `ranch:procs/2`: the pids of the listener's acceptors or of its connection processes. */
export async function procs(ref: ListenerRef, kind: 'acceptors' | 'connections'): Promise<Pid[]> {
  checkRef('procs', ref);
  if (kind !== 'acceptors' && kind !== 'connections') badarg('procs', `kind must be 'acceptors' or 'connections', got ${show(kind)}`);
  const l = lookup('procs', ref);
  return childPids(kind === 'acceptors' ? l.acceptorsSup : l.connsSup);
}

const COMPARISONS: readonly unknown[] = ['==', '>', '>=', '<', '=<', '<='];

/**
 * `ranch:wait_for_connections/3,4`: resolves once the number of connection
 * processes (all of them, as Ranch counts) compares to `n` by `op`. Unlike
 * Ranch it does not poll: the connections supervisor answers when the count
 * changes. `timeout` bounds the wait. Errors: `timeout`, `not_found` (the
 * listener went away before the count was reached; if the comparison holds
 * for zero, that is `'ok'`).
 */
export async function waitForConnections(
  ref: ListenerRef,
  op: Comparison,
  n: number,
  timeout: Timeout = 'infinity',
): Promise<'ok' | readonly ['error', 'timeout' | 'not_found']> {
  checkRef('waitForConnections', ref);
  if (!COMPARISONS.includes(op)) badarg('waitForConnections', `op must be one of ${COMPARISONS.join(' ')}, got ${show(op)}`);
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || (op === '<' && n === 0)) {
    badarg('waitForConnections', `n must be a non-negative integer (positive with '<'), got ${show(n)}`);
  }
  const ms = checkTimeout('waitForConnections', timeout);
  const deadline = Date.now() + ms;
  for (;;) {
    const l = find(ref);
    if (l === undefined || l.listenerSup === undefined) return compare(op, 0, n) ? 'ok' : ['error', 'not_found'];
    const left = ms === Infinity ? 'infinity' : Math.max(0, deadline - Date.now());
    const sup = l.connsSup;
    if (sup === undefined) {
      // The connections supervisor is being restarted: look again shortly.
      if (left !== 'infinity' && left === 0) return ['error', 'timeout'];
      await receive(after(Math.min(10, left === 'infinity' ? 10 : left)));
      continue;
    }
    try {
      await genServer.call(sup, ['wait', op, n], left);
      return 'ok';
    } catch (error) {
      if (!(error instanceof CallExit)) throw error;
      if (error.why === 'timeout') {
        genServer.cast(sup, ['cancel_wait', self()]);
        return ['error', 'timeout'];
      }
      // The supervisor died: look at the listener again.
    }
  }
}
