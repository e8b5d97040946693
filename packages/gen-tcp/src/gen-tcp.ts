/**
 * The gen_tcp façade: each function checks its arguments, parses options in
 * one place (options.ts) and delegates to the socket (socket.ts) or the
 * listen socket (listener.ts). Results are `['ok', …]` / `['error', reason]`;
 * bad arguments throw `badarg`.
 */
import { connect as netConnect, createServer, type Socket as NetSocket } from 'node:net';
import { Pid, awaitPromise, badarg, driverTimeout, self } from '@beamline/runtime';
import { ListenSocket, acceptOn, closeListener, transferListener, type AcceptResult } from './listener.js';
import { ipToString, parseOptions, show, type OptionInput } from './options.js';
import type { IoData } from './packet/index.js';
import { posixReason } from './posix.js';
import {
  TcpSocket,
  closeSocket,
  portAlive,
  recvOn,
  sendOn,
  shutdownSocket,
  transferOwnership,
  type RecvResult,
  type SendResult,
  type ShutdownHow,
} from './socket.js';

export type Socket = TcpSocket | ListenSocket;
export type Address = string | readonly number[];
export type Timeout = number | 'infinity';

function timeoutMs(fn: string, timeout: Timeout | undefined): number {
  if (timeout === undefined || timeout === 'infinity') return Infinity;
  if (typeof timeout !== 'number' || !Number.isInteger(timeout)) badarg(fn, `timeout must be an integer or 'infinity', got ${show(timeout)}`);
  if (timeout >= 0) return timeout;
  // OTP treats a negative timeout as infinity for accept and recv; connect's timer refuses it (badarg).
  if (fn === 'connect') badarg(fn, `timeout must not be negative, got ${timeout}`);
  return Infinity;
}

function hostOf(fn: string, address: Address): string {
  if (typeof address === 'string') {
    if (address === 'localhost' || address === 'loopback') return '127.0.0.1';
    // OTP 25: inet_tcp:getaddrs("") is einval, which connect raises as badarg
    // (node:net would connect to localhost instead).
    if (address === '') badarg(fn, 'the host name is empty');
    return address;
  }
  if (Array.isArray(address) && address[0] === 'local') {
    badarg(fn, `Unix-domain (local) addresses are not supported by this port: ${show(address)}`);
  }
  if (address !== null && typeof address === 'object' && !Array.isArray(address)) {
    badarg(fn, `sockaddr maps are not supported, use connect(address, port, options): ${show(address)}`);
  }
  if (Array.isArray(address) && address.length === 4 && address.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) {
    return address.join('.');
  }
  if (Array.isArray(address) && address.length === 8 && address.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffff)) {
    return address.map((w) => w.toString(16)).join(':');
  }
  return badarg(fn, `not an address: ${show(address)}`);
}

function checkPort(fn: string, port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) badarg(fn, `port must be an integer from 0 to 65535, got ${show(port)}`);
}

export type ConnectResult = readonly ['ok', TcpSocket] | readonly ['error', string];

/** `gen_tcp:connect/4`: the caller owns the socket. Errors: `econnrefused`, `timeout`, `nxdomain`, `etimedout`, posix. */
export function connect(address: Address, port: number, options: OptionInput = [], timeout?: Timeout): Promise<ConnectResult> | ConnectResult {
  const host = hostOf('connect', address);
  checkPort('connect', port);
  const opts = parseOptions('connect', options);
  const ms = timeoutMs('connect', timeout);
  const owner = self();
  if (ms === 0) return ['error', 'timeout'];
  const promise = new Promise<ConnectResult>((resolve) => {
    const conn: NetSocket = netConnect({
      // A peer's FIN must not end our side: exit_on_close false keeps sending (socket.ts#closeAfterReport).
      allowHalfOpen: true,
      host,
      port,
      ...(opts.ip !== null ? { localAddress: ipToString(opts.ip) } : {}),
      ...(opts.port !== 0 ? { localPort: opts.port } : {}),
      ...(opts.family === 'inet6' ? { family: 6 } : {}),
    });
    const cancelTimer = ms === Infinity ? undefined : driverTimeout(ms, () => finish(['error', 'timeout']));
    function finish(result: ConnectResult | 'connected'): void {
      if (cancelTimer !== undefined) cancelTimer();
      conn.off('connect', onConnect);
      conn.off('error', onError);
      if (result === 'connected') {
        resolve(['ok', new TcpSocket(conn, owner, opts)]);
      } else {
        conn.destroy();
        resolve(result);
      }
    }
    const onConnect = (): void => finish('connected');
    const onError = (error: Error): void => finish(['error', posixReason(error)]);
    conn.once('connect', onConnect);
    conn.once('error', onError);
  });
  return awaitPromise(promise);
}

export type ListenResult = readonly ['ok', ListenSocket] | readonly ['error', string];

/** `gen_tcp:listen/2`: the caller owns the listen socket. Errors: `eaddrinuse`, `eacces`, posix. */
export function listen(port: number, options: OptionInput = []): Promise<ListenResult> | ListenResult {
  checkPort('listen', port);
  const opts = parseOptions('listen', options);
  const owner = self();
  const promise = new Promise<ListenResult>((resolve) => {
    const server = createServer({ pauseOnConnect: true, allowHalfOpen: true });
    const onError = (error: Error): void => {
      server.close();
      resolve(['error', posixReason(error)]);
    };
    server.once('error', onError);
    const host = opts.ip !== null ? ipToString(opts.ip) : opts.family === 'inet6' ? '::' : '0.0.0.0';
    // A {port, P} option overrides the port argument, as in OTP (which prepends the argument as an option).
    server.listen({ port: opts.port !== 0 ? opts.port : port, host, backlog: opts.backlog, exclusive: true }, () => {
      server.off('error', onError);
      server.on('error', () => {});
      resolve(['ok', new ListenSocket(server, owner, opts)]);
    });
  });
  return awaitPromise(promise);
}

/** `gen_tcp:accept/2`: FIFO among acceptors; the accepting process owns the socket. Errors: `closed`, `timeout`, `einval`. */
export function accept(listenSocket: ListenSocket, timeout?: Timeout): Promise<AcceptResult> | AcceptResult {
  // OTP 25: einval for a connected socket, closed once it was closed.
  if (listenSocket instanceof TcpSocket) return portAlive(listenSocket) ? ['error', 'einval'] : ['error', 'closed'];
  if (!(listenSocket instanceof ListenSocket)) badarg('accept', `not a listen socket: ${show(listenSocket)}`);
  return acceptOn(listenSocket, timeoutMs('accept', timeout));
}

/**
 * `gen_tcp:send/2`: `'ok'` once the data is queued, at once unless the
 * socket is busy (its queued output reached `high_watermark`): then a
 * promise, and the caller waits until the queue drains to `low_watermark`,
 * `send_timeout` passes (`timeout`, the data stays queued) or the socket
 * fails. Await it. Errors: `closed`, `timeout`, `enotconn` (listen socket,
 * closed connection), `econnreset` (with `show_econnreset`), `emsgsize` (too
 * long for the length header).
 */
export function send(socket: Socket, data: IoData): Promise<SendResult> | SendResult {
  if (socket instanceof ListenSocket) return socket.closed ? ['error', 'closed'] : ['error', 'enotconn'];
  if (!(socket instanceof TcpSocket)) badarg('send', `not a socket: ${show(socket)}`);
  return sendOn(socket, data);
}

/**
 * `gen_tcp:recv/3`. Errors: `closed` (then `enotconn` with exit_on_close),
 * `timeout` (data kept), `einval` (active socket, or length with a packet
 * type), `ealready` (another recv pending), `emsgsize`, `econnreset`.
 */
export function recv(socket: Socket, length: number, timeout?: Timeout): Promise<RecvResult> | RecvResult {
  if (socket instanceof ListenSocket) return socket.closed ? ['error', 'closed'] : ['error', 'enotconn'];
  if (!(socket instanceof TcpSocket)) badarg('recv', `not a socket: ${show(socket)}`);
  if (!Number.isInteger(length) || length < 0) badarg('recv', `length must be a non-negative integer, got ${show(length)}`);
  if (length > 0x4000000) return ['error', 'enomem'];
  return recvOn(socket, length, timeoutMs('recv', timeout));
}

/** `gen_tcp:close/1`: always `'ok'`. */
export function close(socket: Socket): 'ok' {
  if (socket instanceof ListenSocket) return closeListener(socket);
  if (!(socket instanceof TcpSocket)) badarg('close', `not a socket: ${show(socket)}`);
  return closeSocket(socket);
}

/** `gen_tcp:shutdown/2`. Errors: `closed`, `enotconn` (listen socket). */
export function shutdown(socket: Socket, how: ShutdownHow): 'ok' | readonly ['error', 'closed' | 'enotconn'] {
  if (how !== 'read' && how !== 'write' && how !== 'read_write') badarg('shutdown', `how must be 'read', 'write' or 'read_write', got ${show(how)}`);
  // OTP: enotconn from the driver while listening; closed once the listen socket is closed.
  if (socket instanceof ListenSocket) return socket.closed ? ['error', 'closed'] : ['error', 'enotconn'];
  if (!(socket instanceof TcpSocket)) badarg('shutdown', `not a socket: ${show(socket)}`);
  return shutdownSocket(socket, how);
}

/** `gen_tcp:controlling_process/2`. Errors: `not_owner`, `closed`, `badarg` (pid not alive). */
export function controllingProcess(socket: Socket, pid: Pid): 'ok' | readonly ['error', 'not_owner' | 'closed' | 'badarg'] {
  if (!(pid instanceof Pid)) badarg('controllingProcess', `not a pid: ${show(pid)}`);
  if (socket instanceof ListenSocket) return transferListener(socket, pid);
  if (!(socket instanceof TcpSocket)) badarg('controllingProcess', `not a socket: ${show(socket)}`);
  return transferOwnership(socket, pid);
}
