/**
 * A listener's options (Ranch's transport options), checked once when the
 * listener starts: a bad value throws `badarg` in the caller, never later in
 * the supervision tree. Also the protocol types: what starts a connection
 * process.
 */
import { badarg, type Pid } from '@beamline/runtime';
import { parseOptions, show, type OptionInput, type OptionList, type OptionObject } from '../options.js';

/** A listener's name (Ranch's `Ref`): any string, number or symbol. */
export type ListenerRef = string | number | symbol;

/** `max_connections`: a count (0 included) or `'infinity'`. */
export type MaxConnections = number | 'infinity';

/** How the connections are stopped when the listener stops (Ranch's `shutdown`). */
export type ConnectionShutdown = 'brutal_kill' | number | 'infinity';

export interface ListenerOptions {
  /** The port to listen on; 0 picks a free one (read it with `getPort`). @default 0 */
  readonly port?: number;
  /**
   * gen_tcp listen options, list or object form, which accepted sockets
   * inherit. The pool puts Ranch's defaults first (`binary`, `['active', false]`,
   * `['backlog', 1024]`, `['nodelay', true]`), so these override them; a
   * `port` here wins over `port` above, as in `gen_tcp.listen`. `active` must
   * stay `false`: nothing may be read before the connection process owns the
   * socket (set it after `handshake`). @default []
   */
  readonly socketOptions?: OptionInput;
  /** Acceptor processes, each accepting on the one listen socket. @default 10 */
  readonly numAcceptors?: number;
  /**
   * Most connection processes alive at once (those that called
   * `removeConnection` are not counted). At the limit, accepting pauses and
   * further clients wait in the backlog; it resumes when one closes. @default 1024
   */
  readonly maxConnections?: MaxConnections;
  /**
   * When the listener stops: `'brutal_kill'` kills each connection process at
   * once; a number of milliseconds sends them exit `'shutdown'` and kills those
   * still alive after it; `'infinity'` sends `'shutdown'` and waits. @default 5000
   */
  readonly shutdown?: ConnectionShutdown;
  /**
   * `'supervisor'` when the protocol's `startLink` starts a supervisor and
   * returns `['ok', supPid, connPid]` (the socket goes to `connPid`). @default 'worker'
   */
  readonly connectionType?: 'worker' | 'supervisor';
}

/** The options after checking, with every default filled in. */
export interface Settings {
  readonly port: number;
  /** The user's socket options with the pool's defaults in front. */
  readonly socketOptions: OptionInput;
  readonly numAcceptors: number;
  /** `Infinity` for `'infinity'`. */
  readonly maxConnections: number;
  readonly shutdown: ConnectionShutdown;
  readonly connectionType: 'worker' | 'supervisor';
}

type Awaitable<T> = T | PromiseLike<T>;

/**
 * A connection process body: the pool spawns it linked to the connections
 * supervisor with `(ref, protocolOptions)`; it calls `handshake(ref)` to get
 * its socket before anything else.
 */
export type ConnectionHandler<O = unknown> = (ref: ListenerRef, options: O) => unknown;

/** What a protocol module's `startLink` returns (`['ok', sup, conn]` with `connectionType: 'supervisor'`). */
export type ProtocolStartResult = readonly ['ok', Pid] | readonly ['ok', Pid, Pid] | readonly ['error', unknown] | 'ignore';

/**
 * Ranch's `ranch_protocol`: `startLink(ref, options)` starts the connection
 * process linked to the caller (the connections supervisor) and returns its
 * pid; that process calls `handshake(ref)`. A gen_server must not call
 * `handshake` from `init` (the supervisor waits for `init`: deadlock); use
 * `['continue', …]` and call it in `handleContinue`.
 */
export interface ProtocolModule<O = unknown> {
  startLink(ref: ListenerRef, options: O): Awaitable<ProtocolStartResult>;
}

/** A process body or a protocol module. */
export type Protocol<O = unknown> = ConnectionHandler<O> | ProtocolModule<O>;

const OPTION_KEYS: readonly string[] = ['port', 'socketOptions', 'numAcceptors', 'maxConnections', 'shutdown', 'connectionType'];

/** Ranch's listen defaults, which the user's options override. */
const DEFAULT_LIST: OptionList = ['binary', ['active', false], ['backlog', 1024], ['nodelay', true]];
const DEFAULT_OBJECT: OptionObject = { mode: 'binary', active: false, backlog: 1024, nodelay: true };

export function checkRef(fn: string, ref: unknown): asserts ref is ListenerRef {
  if (typeof ref !== 'string' && typeof ref !== 'number' && typeof ref !== 'symbol') {
    badarg(fn, `a listener name is a string, number or symbol, got ${show(ref)}`);
  }
}

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0;

/** Checks `options` and fills in the defaults. Throws badarg naming the culprit. */
export function checkOptions(fn: string, options: unknown): Settings {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    badarg(fn, `options must be an object, got ${show(options)}`);
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!OPTION_KEYS.includes(key)) badarg(fn, `unknown option '${key}'`);
  }
  const port = o['port'] ?? 0;
  if (!isCount(port) || port > 65535) badarg(fn, `port must be an integer from 0 to 65535, got ${show(port)}`);
  const numAcceptors = o['numAcceptors'] ?? 10;
  if (!isCount(numAcceptors) || numAcceptors === 0) badarg(fn, `numAcceptors must be a positive integer, got ${show(numAcceptors)}`);
  const maxConnections = checkMaxConnections(fn, o['maxConnections'] ?? 1024);
  const shutdown = o['shutdown'] ?? 5000;
  if (shutdown !== 'brutal_kill' && shutdown !== 'infinity' && !isCount(shutdown)) {
    badarg(fn, `shutdown must be 'brutal_kill', 'infinity' or milliseconds, got ${show(shutdown)}`);
  }
  const connectionType = o['connectionType'] ?? 'worker';
  if (connectionType !== 'worker' && connectionType !== 'supervisor') {
    badarg(fn, `connectionType must be 'worker' or 'supervisor', got ${show(connectionType)}`);
  }
  const socketOptions = withDefaults(fn, o['socketOptions'] ?? []);
  // gen_tcp's own checks (badarg on anything unknown), and the one rule of the pool.
  if (parseOptions('listen', socketOptions).active !== false) {
    badarg(fn, "socketOptions must not make the socket active: the connection process sets it after handshake");
  }
  return { port, socketOptions, numAcceptors, maxConnections, shutdown: shutdown as ConnectionShutdown, connectionType };
}

export function checkMaxConnections(fn: string, max: unknown): number {
  if (max === 'infinity') return Infinity;
  if (!isCount(max)) badarg(fn, `maxConnections must be a non-negative integer or 'infinity', got ${show(max)}`);
  return max;
}

function withDefaults(fn: string, input: unknown): OptionInput {
  if (Array.isArray(input)) return [...DEFAULT_LIST, ...(input as OptionList)];
  if (typeof input === 'object' && input !== null) return { ...DEFAULT_OBJECT, ...(input as OptionObject) };
  return badarg(fn, `socketOptions must be an option list or object, got ${show(input)}`);
}

/** The socket options with the port forced (to listen again on the port first bound). */
export function withPort(options: OptionInput, port: number): OptionInput {
  return Array.isArray(options) ? [...(options as OptionList), ['port', port]] : { ...(options as OptionObject), port };
}

export function checkProtocol(fn: string, protocol: unknown): asserts protocol is Protocol<unknown> {
  if (typeof protocol === 'function') return;
  if (typeof protocol === 'object' && protocol !== null && typeof (protocol as ProtocolModule).startLink === 'function') return;
  badarg(fn, `protocol must be a process body (a function) or an object with a startLink function, got ${show(protocol)}`);
}
