/**
 * A listen socket: a `net.Server` and the FIFO of processes waiting in
 * `accept`. Connections that arrive before any `accept` wait, paused, with
 * their data in the kernel; each `accept` takes the oldest one. Any process
 * may accept; the accepted socket is owned by the process that accepted it.
 */
import type { Server, Socket as NetSocket } from 'node:net';
import { inspect } from 'node:util';
import { awaitPromise, driverTimeout, isProcessAlive, onExit, self, send, type Pid } from '@beamline/runtime';
import { inheritedOnAccept, type SocketOptions } from './options.js';
import { portDown } from './monitors.js';
import { openSockets } from './stats.js';
import { TcpSocket } from './socket.js';

export type AcceptResult = readonly ['ok', TcpSocket] | readonly ['error', 'closed' | 'timeout' | string];

interface Acceptor {
  readonly pid: Pid;
  readonly resolve: (result: AcceptResult) => void;
  cancelTimer: () => void;
  unhook: () => void;
}

let nextPort = 1_000_000;

/** A gen_tcp listen socket. Opaque; prints as `#Port<0.N>`. */
export class ListenSocket {
  /** @internal */ readonly id = nextPort++;
  /** @internal */ owner: Pid;
  /** @internal */ readonly server: Server;
  /** @internal its options, which accepted sockets inherit (options.ts#inheritedOnAccept) */
  opts: SocketOptions;
  /** @internal */ closed = false;
  /** @internal connections not accepted yet, oldest first */
  readonly backlog: NetSocket[] = [];
  /** @internal processes waiting in accept, oldest first */
  readonly acceptors: Acceptor[] = [];
  /** @internal */ unhookOwner: () => void;

  /** @internal */
  constructor(server: Server, owner: Pid, opts: SocketOptions) {
    this.server = server;
    this.owner = owner;
    this.opts = opts;
    openSockets.add(this);
    this.unhookOwner = onExit(owner, (reason) => closeListener(this, reason));
    server.on('connection', (conn: NetSocket) => serverOnConnection(this, conn));
    // {active, N} with N <= 0 at listen: passive at once, announced with tcp_passive (OTP 25).
    if (opts.passiveOnOpen) send(owner, ['tcp_passive', this]);
  }

  toString(): string {
    return `#Port<0.${this.id}>`;
  }
  toJSON(): string {
    return this.toString();
  }
  [inspect.custom](): string {
    return this.toString();
  }
}

function serverOnConnection(l: ListenSocket, conn: NetSocket): void {
  // Until someone accepts it, its data stays in the kernel.
  conn.pause();
  if (l.closed) {
    conn.destroy();
    return;
  }
  conn.on('error', ignore);
  for (;;) {
    const acceptor = l.acceptors.shift();
    if (acceptor === undefined) break;
    if (!isProcessAlive(acceptor.pid)) continue;
    handOver(l, acceptor, conn);
    return;
  }
  l.backlog.push(conn);
}

const ignore = (): void => {};

function handOver(l: ListenSocket, acceptor: Acceptor, conn: NetSocket): void {
  acceptor.cancelTimer();
  acceptor.unhook();
  acceptor.resolve(['ok', wrap(l, conn, acceptor.pid)]);
}

function wrap(l: ListenSocket, conn: NetSocket, owner: Pid): TcpSocket {
  conn.off('error', ignore);
  return new TcpSocket(conn, owner, inheritedOnAccept(l.opts));
}

/** `gen_tcp:accept/2`. */
export function acceptOn(l: ListenSocket, timeout: number): AcceptResult | Promise<AcceptResult> {
  if (l.closed) return ['error', 'closed'];
  const caller = self();
  const queued = l.backlog.shift();
  if (queued !== undefined) return ['ok', wrap(l, queued, caller)];
  if (timeout === 0) return ['error', 'timeout'];
  const promise = new Promise<AcceptResult>((resolve) => {
    const acceptor: Acceptor = { pid: caller, resolve, cancelTimer: noop, unhook: noop };
    const leave = (): void => {
      const i = l.acceptors.indexOf(acceptor);
      if (i >= 0) l.acceptors.splice(i, 1);
    };
    if (timeout !== Infinity) {
      acceptor.cancelTimer = driverTimeout(timeout, () => {
        leave();
        acceptor.unhook();
        resolve(['error', 'timeout']);
      });
    }
    // An acceptor killed while it waits leaves the queue.
    acceptor.unhook = onExit(caller, () => {
      leave();
      acceptor.cancelTimer();
    });
    l.acceptors.push(acceptor);
  });
  return awaitPromise(promise);
}

const noop = (): void => {};

/**
 * Closes the listen socket: every pending accept gets `closed`, every queued
 * client sees the close, monitors get DOWN with `reason` (`normal` for
 * `close`, the owner's exit reason when the owner exits).
 */
export function closeListener(l: ListenSocket, reason: unknown = 'normal'): 'ok' {
  if (l.closed) return 'ok';
  l.closed = true;
  openSockets.delete(l);
  l.unhookOwner();
  l.server.close();
  for (const acceptor of l.acceptors.splice(0)) {
    acceptor.cancelTimer();
    acceptor.unhook();
    acceptor.resolve(['error', 'closed']);
  }
  // The kernel resets the connections nobody accepted (OTP 25: the client's recv says econnreset with show_econnreset).
  for (const conn of l.backlog.splice(0)) conn.resetAndDestroy();
  portDown(l, reason);
  return 'ok';
}

/**
 * `gen_tcp:controlling_process/2` on a listen socket: the owner (whose exit
 * closes it, and who gets its `tcp_passive`) moves to `to`.
 */
export function transferListener(l: ListenSocket, to: Pid): 'ok' | readonly ['error', 'not_owner' | 'closed' | 'badarg'] {
  if (l.closed) return ['error', 'closed'];
  if (self() !== l.owner) return ['error', 'not_owner'];
  if (to === l.owner) return 'ok';
  if (!isProcessAlive(to)) return ['error', 'badarg'];
  l.unhookOwner();
  l.owner = to;
  l.unhookOwner = onExit(to, (reason) => closeListener(l, reason));
  return 'ok';
}
