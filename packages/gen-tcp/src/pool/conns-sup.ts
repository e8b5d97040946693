/**
 * The connections supervisor, Ranch's `ranch_conns_sup`: a gen_server that
 * traps exits, starts one connection process per accepted socket, hands it
 * the socket and the handshake, counts the live ones against
 * `maxConnections`, and stops them all when the listener stops.
 *
 * Like Ranch's, it is a supervisor of its own making rather than a
 * simple_one_for_one `supervisor`: it must hold an acceptor back while the
 * listener is at its limit, and it starts a connection in one message where
 * a `startChild` call would cost a call. It answers `which_children` and
 * `count_children`, so `supervisor.whichChildren(pid)` works on it, and
 * connection processes are temporary: one that exits, crashed or not, is
 * never restarted and touches no other.
 *
 * The limit is exact (Ranch's is soft by up to one connection per
 * acceptor): a socket that arrives while the count is at the limit waits
 * here, paused, its acceptor held, until a connection ends. So at most
 * `maxConnections` counted connection processes are ever alive, and at most
 * one socket per acceptor waits.
 *
 * Protocol with an acceptor: the acceptor gives the socket to this process,
 * sends `['$pool_start', acceptor, socket]` and waits for this process's pid
 * as a bare message (Ranch's `start_protocol`), which comes once the
 * connection is started and the count is below the limit.
 */
import {
  after,
  cancelTimer,
  exit,
  genServer,
  monitor,
  onExit,
  processFlag,
  receive,
  self,
  send,
  spawnLink,
  startTimer,
  telemetry,
  unlink,
  type From,
  type Pid,
} from '@beamline/runtime';
import { close, controllingProcess } from '../gen-tcp.js';
import type { TcpSocket } from '../socket.js';
import { isNormalExit } from './events.js';
import type { ConnectionShutdown, ListenerRef, Protocol, ProtocolStartResult } from './options.js';
import type { Listener } from './registry.js';

/** What `waitForConnections` compares with. */
export type Comparison = '==' | '>' | '>=' | '<' | '=<' | '<=';

interface Waiter {
  readonly op: Comparison;
  readonly n: number;
  readonly from: From;
}

interface State {
  readonly listener: Listener;
  readonly ref: ListenerRef;
  readonly protocol: Protocol<unknown>;
  readonly supervisorType: boolean;
  readonly shutdown: ConnectionShutdown;
  /** Connection processes (the supervised pid) → counted against the limit or not (`removeConnection`). */
  readonly children: Map<Pid, boolean>;
  /** The connection process of a supervisor-type child, when it differs → that child. */
  readonly aliases: Map<Pid, Pid>;
  /** Counted children. */
  active: number;
  /** Acceptors held at the limit, oldest first. */
  readonly sleepers: Pid[];
  /** Sockets accepted while at the limit, and their acceptors, oldest first. */
  readonly pending: [Pid, TcpSocket][];
  waiters: Waiter[];
  /** `['noreply', this]`, made once: the result of nearly every message, on the per-connection path. */
  noreply: genServer.NoReplyResult<State>;
}

/** Start function for the listener supervisor's child spec. */
export function startConnsSup(listener: Listener): Promise<genServer.StartResult> {
  return genServer.startLink(server, listener);
}

/** Sent by an acceptor that owns nothing any more: the socket is this process's. */
export type StartRequest = readonly ['$pool_start', Pid, TcpSocket];

/** `a op b`. */
export const compare = (op: Comparison, a: number, b: number): boolean => {
  switch (op) {
    case '==':
      return a === b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '<':
      return a < b;
    default:
      return a <= b;
  }
};

const server: genServer.GenServer<State, Listener> = {
  init(listener) {
    // Connection exits become messages; the parent's exit runs terminate.
    processFlag('trap_exit', true);
    const me = self();
    listener.connsSup = me;
    // However it ends (stopped, crashed, killed), nobody should call a dead connections supervisor.
    onExit(me, () => {
      if (listener.connsSup === me) listener.connsSup = undefined;
    });
    const { settings } = listener;
    const state: State = {
      listener,
      ref: listener.ref,
      protocol: listener.protocol,
      supervisorType: settings.connectionType === 'supervisor',
      shutdown: settings.shutdown,
      children: new Map(),
      aliases: new Map(),
      active: 0,
      sleepers: [],
      pending: [],
      waiters: [],
      // Replaced below: the tuple holds the state itself.
      noreply: ['noreply', undefined as unknown as State],
    };
    state.noreply = ['noreply', state];
    return ['ok', state];
  },

  handleInfo(message: unknown, state) {
    if (Array.isArray(message)) {
      if (message[0] === '$pool_start' && message.length === 3) {
        const [, acceptor, socket] = message as unknown as StartRequest;
        if (state.active >= state.listener.maxConnections) {
          state.pending.push([acceptor, socket]);
          return state.noreply;
        }
        const started = startConnection(state, acceptor, socket);
        return started === undefined ? state.noreply : started.then(() => state.noreply);
      }
      if (message[0] === 'EXIT' && message.length === 3) {
        const pid = message[1] as Pid;
        const counted = state.children.get(pid);
        // An EXIT from anything else (a process the protocol linked us to) is not ours to count.
        if (counted === undefined) return state.noreply;
        state.children.delete(pid);
        if (state.aliases.size > 0) for (const [conn, sup] of state.aliases) if (sup === pid) state.aliases.delete(conn);
        state.listener.terminated++;
        if (counted) state.active--;
        if (telemetry.listening) {
          const reason = message[2];
          telemetry.emit(isNormalExit(reason) ? 'pool:connection-stop' : 'pool:connection-crash', { ref: state.ref, pid, reason });
        }
        return resume(state);
      }
      if (message[0] === 'remove_connection' && message.length === 3 && message[1] === state.ref) {
        const pid = state.aliases.get(message[2] as Pid) ?? (message[2] as Pid);
        if (state.children.get(pid) === true) {
          state.children.set(pid, false);
          state.active--;
          return resume(state);
        }
      }
    }
    return state.noreply;
  },

  handleCast(request: unknown, state) {
    if (Array.isArray(request) && request[0] === 'set_max_connections') return resume(state);
    if (Array.isArray(request) && request[0] === 'cancel_wait') {
      // A caller whose wait timed out (a process makes one call at a time, so its pid names the wait).
      const pid = request[1];
      state.waiters = state.waiters.filter((w) => w.from[0] !== pid);
    }
    return state.noreply;
  },

  handleCall(request: unknown, from, state) {
    if (request === 'which_children') {
      const type = state.supervisorType ? 'supervisor' : 'worker';
      return ['reply', [...state.children.keys()].map((pid) => [undefined, pid, type, 'dynamic'] as const), state];
    }
    if (request === 'count_children') {
      const n = state.children.size;
      const [sups, workers] = state.supervisorType ? [n, 0] : [0, n];
      return ['reply', [['specs', 1], ['active', n], ['supervisors', sups], ['workers', workers]], state];
    }
    if (request === 'connections') return ['reply', { active: state.active, all: state.children.size }, state];
    if (Array.isArray(request) && request[0] === 'wait' && request.length === 3) {
      const op = request[1] as Comparison;
      const n = request[2] as number;
      if (compare(op, state.children.size, n)) return ['reply', 'ok', state];
      state.waiters.push({ op, n, from });
      return state.noreply;
    }
    // As Ranch's: an unknown call gets an error, not a crash.
    return ['reply', ['error', 'conns_sup'], state];
  },

  terminate(_reason, state) {
    return stopAll(state);
  },
};

/**
 * Starts a connection process for `socket` and tells `acceptor` to go on
 * (now, or later when below the limit). Synchronous for a process-body
 * protocol; a promise when the protocol module's `startLink` is async.
 */
function startConnection(state: State, acceptor: Pid, socket: TcpSocket): Promise<void> | undefined {
  const { protocol, listener } = state;
  if (typeof protocol === 'function') {
    const pid = spawnLink(protocol, state.ref, listener.protocolOptions);
    handOver(state, acceptor, socket, pid, pid);
    return undefined;
  }
  let result: unknown;
  try {
    result = protocol.startLink(state.ref, listener.protocolOptions);
  } catch (error) {
    failed(state, acceptor, socket, ['EXIT', error]);
    return undefined;
  }
  if (isThenable(result)) {
    return Promise.resolve(result).then(
      (r) => started(state, acceptor, socket, r),
      (error: unknown) => failed(state, acceptor, socket, ['EXIT', error]),
    );
  }
  started(state, acceptor, socket, result);
  return undefined;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
}

function started(state: State, acceptor: Pid, socket: TcpSocket, result: unknown): void {
  const r = result as ProtocolStartResult;
  if (Array.isArray(r) && r[0] === 'ok') {
    if (r.length === 2) return handOver(state, acceptor, socket, r[1], r[1]);
    if (r.length === 3 && state.supervisorType) return handOver(state, acceptor, socket, r[1], r[2]);
  }
  failed(state, acceptor, socket, ['bad_return_value', result]);
}

/** The protocol could not start a connection: close the socket, tell the acceptor to go on. */
function failed(state: State, acceptor: Pid, socket: TcpSocket, reason: unknown): void {
  close(socket);
  send(acceptor, self());
  if (telemetry.listening) telemetry.emit('pool:start-error', { ref: state.ref, reason });
}

/** Ranch's `handshake`: the socket to the connection process, then the message `handshake(ref)` waits for. */
function handOver(state: State, acceptor: Pid, socket: TcpSocket, sup: Pid, conn: Pid): void {
  if (controllingProcess(socket, conn) !== 'ok') {
    // The process died already: nothing to hand over to.
    close(socket);
    unlink(sup);
    exit(sup, 'kill');
    send(acceptor, self());
    return;
  }
  send(conn, ['handshake', state.ref, socket]);
  state.children.set(sup, true);
  if (conn !== sup) state.aliases.set(conn, sup);
  state.active++;
  state.listener.accepted++;
  if (telemetry.listening) telemetry.emit('pool:connection-start', { ref: state.ref, pid: conn, socket });
  if (state.active < state.listener.maxConnections) send(acceptor, self());
  else state.sleepers.push(acceptor);
  if (state.waiters.length > 0) answerWaiters(state);
}

/**
 * After the count went down or the limit up: starts the sockets that wait,
 * then lets held acceptors go on, while below the limit; answers the waiters
 * of `waitForConnections` that are now satisfied.
 */
function resume(state: State): genServer.NoReplyResult<State> | Promise<genServer.NoReplyResult<State>> {
  const max = state.listener.maxConnections;
  while (state.active < max && state.pending.length > 0) {
    const [acceptor, socket] = state.pending.shift()!;
    const started = startConnection(state, acceptor, socket);
    if (started !== undefined) return started.then(() => resume(state));
  }
  while (state.active < max && state.sleepers.length > 0) send(state.sleepers.shift()!, self());
  if (state.waiters.length > 0) answerWaiters(state);
  return state.noreply;
}

function answerWaiters(state: State): void {
  const n = state.children.size;
  state.waiters = state.waiters.filter((w) => {
    if (!compare(w.op, n, w.n)) return true;
    genServer.reply(w.from, 'ok');
    return false;
  });
}

/**
 * Ranch's `terminate`: closes the sockets that wait, then stops every
 * connection by `shutdown` and waits until all are gone (a brutal kill
 * included, so that `stopListener` returns with no connection alive).
 */
async function stopAll(state: State): Promise<void> {
  for (const [, socket] of state.pending.splice(0)) close(socket);
  const { shutdown, children, ref } = state;
  const downs = new Map<unknown, Pid>();
  const signal = shutdown === 'brutal_kill' ? 'kill' : 'shutdown';
  for (const pid of children.keys()) {
    downs.set(monitor(pid), pid);
    unlink(pid);
    exit(pid, signal);
  }
  children.clear();
  const timer = typeof shutdown === 'number' ? startTimer(shutdown, self(), 'kill') : undefined;
  const isOurDown = (m: unknown): m is readonly ['DOWN', unknown, 'process', Pid, unknown] =>
    Array.isArray(m) && m.length === 5 && m[0] === 'DOWN' && downs.has(m[1]);
  while (downs.size > 0) {
    const m = timer === undefined ? await receive(isOurDown) : await receive(isOurDown, ['timeout', timer, 'kill'] as const);
    if (m[0] === 'timeout') {
      for (const pid of downs.values()) exit(pid, 'kill');
      continue;
    }
    downs.delete(m[1]);
    state.listener.terminated++;
    if (telemetry.listening) telemetry.emit('pool:connection-stop', { ref, pid: m[3], reason: m[4] });
  }
  if (timer !== undefined && cancelTimer(timer) === false) await receive(['timeout', timer, 'kill'] as const, after(0));
  // Whoever waited for the count to drop sees it at zero now.
  answerWaiters(state);
}
