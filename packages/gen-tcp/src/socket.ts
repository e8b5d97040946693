/**
 * A connected socket: a `net.Socket` owned by a process.
 *
 * The byte→mailbox path, in reading order: `socketOnData` pushes the chunk
 * into the framer (packet/), `deliver` takes complete packets out and either
 * sends them to the owner as `['tcp', s, data]` (active modes) or hands one
 * to a pending `recv` (passive). In passive mode with no `recv` pending the
 * Node socket is paused, so unread data stays in the kernel and a slow reader
 * pushes back on the sender.
 *
 * Ownership: the owner's exit closes the socket (`onExit`, like a port linked
 * to its owner); `controllingProcess` moves the owner and the socket's queued
 * messages.
 */
import type { Socket as NetSocket } from 'node:net';
import { inspect } from 'node:util';
import {
  awaitPromise,
  isProcessAlive,
  onExit,
  self,
  send,
  takeMessages,
  type Pid,
} from '@beamline/runtime';
import { nextActive, type ActiveMode, type ActiveOption, type SocketOptions } from './options.js';
import { createFramer, encodePacket, type Framer, type HttpPacket, type IoData } from './packet/index.js';
import { posixReason } from './posix.js';
import { countIn, countOut, newStats, openSockets, type Stats } from './stats.js';


export type Data = Buffer | number[];
/** What `recv` returns and `['tcp', s, data]` carries: bytes, or for the HTTP packet types a term (`['http', s, packet]`). */
export type Packet = Data | HttpPacket;
export type RecvResult = readonly ['ok', Packet] | readonly ['error', RecvError];
export type RecvError = 'closed' | 'timeout' | 'einval' | 'ealready' | 'enotconn' | 'emsgsize' | 'econnreset' | string;
export type SendResult = 'ok' | readonly ['error', 'closed' | 'enotconn' | 'emsgsize' | 'econnreset' | string];

/**
 * Where the socket stands.
 * - `open`: reading and writing.
 * - `halfOpen`: the peer sent FIN and `exit_on_close` is false: writes still
 *   work; `announced` says whether `tcp_closed` was sent (OTP sends it once,
 *   also when a socket that learnt of the FIN through `recv` turns active).
 * - `closed`: gone; `reported` says whether a `recv` or a message already told
 *   the user; `later` is what `recv` says after that: `enotconn` when the
 *   close was reported to a passive `recv` with `exit_on_close` true (OTP's
 *   port lives on, its socket closed), `closed` otherwise (port gone).
 */
type Life =
  | { tag: 'open' }
  | { tag: 'halfOpen'; announced: boolean }
  | { tag: 'closed'; reason: 'closed' | 'econnreset' | 'emsgsize' | string; reported: boolean; later: 'closed' | 'enotconn' };

interface PendingRecv {
  readonly length: number;
  readonly resolve: (result: RecvResult) => void;
  readonly cancelTimer: () => void;
  readonly unhook: () => void;
}

let nextPort = 1;

/** A gen_tcp socket. Opaque; prints as `#Port<0.N>`; compare with `===`. */
export class TcpSocket {
  /** @internal */ readonly id = nextPort++;
  /** @internal */ owner: Pid;
  /** @internal */ readonly net: NetSocket;
  /** @internal the socket's options; replaced as a whole by setopts */
  opts: SocketOptions;
  /** @internal the live active mode (changes as messages are delivered) */
  active: ActiveMode;
  /** @internal */ readonly framer: Framer;
  /** @internal */ life: Life = { tag: 'open' };
  /** @internal the peer's FIN or reset, seen but not yet told in passive mode */
  eof: 'closed' | 'econnreset' | null = null;
  /** @internal */ pending: PendingRecv | null = null;
  /** @internal */ unhookOwner: () => void;
  /** @internal `inet:getstat` counters (registry.ts#countIn/countOut) */
  readonly stats: Stats = newStats();

  /** @internal */
  constructor(net: NetSocket, owner: Pid, opts: SocketOptions) {
    openSockets.add(this);
    this.net = net;
    this.owner = owner;
    this.opts = opts;
    this.active = opts.active;
    this.framer = createFramer(opts.packet, {
      packetSize: opts.packetSize,
      lineDelimiter: opts.lineDelimiter,
      bufferSize: opts.buffer,
    });
    this.unhookOwner = onExit(owner, () => ownerDied(this));
    net.on('data', (chunk: Buffer) => socketOnData(this, chunk));
    net.on('end', () => socketOnEnd(this));
    net.on('error', (error: Error) => socketOnError(this, error));
    net.on('close', () => socketOnClose(this));
    if (opts.nodelay) net.setNoDelay(true);
    if (opts.keepalive) net.setKeepAlive(true);
    // Accepted connections arrive paused; an active socket reads from the start.
    if (opts.active === false) net.pause();
    else net.resume();
    // {active, N} with N <= 0 at creation: passive at once, announced with tcp_passive.
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

export function isActive(s: TcpSocket): boolean {
  const a = s.active;
  return a === true || a === 'once' || (typeof a === 'number' && a > 0);
}

/** A packet leaving the socket for the user; counted for getstat with its 1/2/4-byte header, as OTP counts it. */
function payload(s: TcpSocket, packet: Buffer): Data {
  countIn(s.stats, packet.length + (typeof s.opts.packet === 'number' ? s.opts.packet : 0));
  return s.opts.mode === 'binary' ? packet : [...packet];
}

/** The next complete packet for the user, framed (and for the HTTP types parsed), or `undefined`. */
function nextPacket(s: TcpSocket): Packet | undefined {
  const framer = s.framer;
  if (!framer.isHttp) {
    const packet = framer.next();
    return packet === undefined ? undefined : payload(s, packet);
  }
  const before = framer.pending();
  const packet = framer.nextHttp();
  if (packet !== undefined) countIn(s.stats, before - framer.pending());
  return packet;
}

/** What `recv(s, length)` can return now: `length` raw bytes, or with 0 the next packet. */
function recvPacket(s: TcpSocket, length: number): Packet | undefined {
  if (length === 0) return nextPacket(s);
  const bytes = s.framer.take(length);
  return bytes === undefined ? undefined : payload(s, bytes);
}

function socketOnData(s: TcpSocket, chunk: Buffer): void {
  if (s.life.tag === 'closed') return;
  s.framer.push(chunk);
  deliver(s);
}

function socketOnEnd(s: TcpSocket): void {
  if (s.eof === null) s.eof = 'closed';
  deliver(s);
}

function socketOnError(s: TcpSocket, error: Error): void {
  const reason = posixReason(error);
  if (reason === 'econnreset' || reason === 'epipe') {
    s.eof = s.opts.showEconnreset ? 'econnreset' : 'closed';
  } else if (s.eof === null) {
    s.eof = reason as 'closed';
  }
  deliver(s);
}

function socketOnClose(s: TcpSocket): void {
  if (s.eof === null && s.life.tag !== 'closed') s.eof = 'closed';
  deliver(s);
}

/**
 * Moves what the framer has to whoever waits for it: the owner's mailbox in
 * active mode, or the pending `recv`. Then reports the peer's close if all
 * complete packets are out. Pauses the Node socket whenever nobody wants data.
 */
export function deliver(s: TcpSocket): void {
  if (s.life.tag === 'closed') return;
  const framer = s.framer;
  while (isActive(s)) {
    const packet = nextPacket(s);
    if (packet === undefined) break;
    send(s.owner, [framer.isHttp ? 'http' : 'tcp', s, packet]);
    const a = s.active;
    if (a === 'once') s.active = false;
    else if (typeof a === 'number') {
      s.active = a - 1 === 0 ? false : a - 1;
      if (a - 1 === 0) send(s.owner, ['tcp_passive', s]);
    }
  }
  if (s.pending !== null) {
    const r = s.pending;
    const packet = recvPacket(s, r.length);
    if (packet !== undefined) finishRecv(s, ['ok', packet]);
  }
  if (framer.state.tag === 'failed') {
    failSocket(s, framer.state.reason);
    return;
  }
  if (s.life.tag === 'halfOpen') {
    // exit_on_close false, FIN already seen: tcp_closed once when (or if) the socket turns active.
    if (isActive(s) && !s.life.announced) {
      s.life.announced = true;
      send(s.owner, ['tcp_closed', s]);
    }
    return;
  }
  if (s.eof !== null) {
    if (isActive(s)) {
      reportClose(s, s.eof);
    } else if (s.pending !== null) {
      const reason = s.eof;
      finishRecv(s, ['error', reason]);
      closeAfterReport(s, reason, false);
    }
    return;
  }
  if (isActive(s) || s.pending !== null) s.net.resume();
  else s.net.pause();
}

/** The peer closed (or reset): tell the owner once, then close or half-close. */
function reportClose(s: TcpSocket, reason: 'closed' | 'econnreset' | string): void {
  if (reason !== 'closed') send(s.owner, ['tcp_error', s, reason]);
  send(s.owner, ['tcp_closed', s]);
  closeAfterReport(s, reason, true);
}

/** After the peer's FIN or reset was told, by a message (`active`) or to a `recv`. */
function closeAfterReport(s: TcpSocket, reason: string, active: boolean): void {
  s.framer.discard();
  if (s.opts.exitOnClose || reason !== 'closed') {
    // OTP: an active socket's port goes away (later recv: closed); a passive
    // one stays with its socket closed (later recv: enotconn, or closed with
    // exit_on_close false).
    teardown(s, reason, true, active || !s.opts.exitOnClose ? 'closed' : 'enotconn');
    // Sockets are half-open in Node (gen-tcp.ts): close our side too.
    if (!s.net.destroyed) s.net.end();
  } else {
    // exit_on_close false: the peer's FIN leaves the socket open for writing.
    s.life = { tag: 'halfOpen', announced: active };
    s.eof = null;
    s.net.pause();
  }
}

/** An invalid or oversize packet header: `emsgsize`, and the socket closes. */
function failSocket(s: TcpSocket, reason: string): void {
  if (s.pending !== null) {
    finishRecv(s, ['error', reason]);
  } else if (isActive(s)) {
    send(s.owner, ['tcp_error', s, reason]);
    send(s.owner, ['tcp_closed', s]);
  }
  teardown(s, reason, true);
  s.net.destroy();
}

/** Marks the socket closed and releases what it holds. */
function teardown(s: TcpSocket, reason: string, reported: boolean, later: 'closed' | 'enotconn' = 'closed'): void {
  if (s.life.tag === 'closed') return;
  s.life = { tag: 'closed', reason, reported, later };
  openSockets.delete(s);
  s.unhookOwner();
  s.framer.discard();
  if (s.pending !== null) finishRecv(s, ['error', 'closed']);
}

function finishRecv(s: TcpSocket, result: RecvResult): void {
  const r = s.pending!;
  s.pending = null;
  r.cancelTimer();
  r.unhook();
  r.resolve(result);
}

function ownerDied(s: TcpSocket): void {
  teardown(s, 'closed', true);
  s.net.destroy();
}

// ---- operations (called from the gen-tcp façade) ----

/** `gen_tcp:send/2`. */
export function sendOn(s: TcpSocket, data: IoData): SendResult {
  if (s.life.tag === 'closed') return ['error', 'closed'];
  if (s.net.destroyed) return ['error', 'closed'];
  if (s.net.writableEnded) {
    // OTP 25: a send after our own shutdown(write) fails with closed and
    // closes the socket; the next recv says closed, then enotconn.
    teardown(s, 'closed', false, s.opts.exitOnClose ? 'enotconn' : 'closed');
    s.net.destroySoon(); // after the data queued before the shutdown and the FIN are out
    return ['error', 'closed'];
  }
  const encoded = encodePacket(s.opts.packet, data);
  if (encoded[0] === 'error') return encoded;
  const chunks = encoded[1];
  let bytes = 0;
  for (const chunk of chunks) {
    bytes += chunk.length;
    s.net.write(chunk);
  }
  countOut(s.stats, bytes);
  return 'ok';
}

/** `gen_tcp:recv/3`. */
export function recvOn(s: TcpSocket, length: number, timeout: number): Promise<RecvResult> | RecvResult {
  const life = s.life;
  if (life.tag === 'closed') {
    if (!life.reported) {
      life.reported = true;
      return ['error', life.reason];
    }
    return ['error', life.later];
  }
  if (isActive(s)) return ['error', 'einval'];
  if (length > 0 && s.opts.packet !== 0) return ['error', 'einval'];
  if (s.pending !== null) return ['error', 'ealready'];
  if (life.tag === 'halfOpen') return ['error', 'closed'];
  const ready = recvPacket(s, length);
  if (ready !== undefined) return ['ok', ready];
  if (s.eof !== null) {
    const reason = s.eof;
    closeAfterReport(s, reason, false);
    return ['error', reason];
  }
  const caller = self();
  const promise = new Promise<RecvResult>((resolve) => {
    const cancelTimer = armRecvTimer(timeout, () => recvTimedOut(s, resolve));
    // A caller killed while it waits must not take the next data with it.
    const unhook = onExit(caller, () => {
      if (s.pending?.resolve === resolve) {
        s.pending.cancelTimer();
        s.pending = null;
        deliver(s);
      }
    });
    s.pending = { length, resolve, cancelTimer, unhook };
  });
  deliver(s);
  return awaitPromise(promise);
}

/**
 * The recv timeout. A timeout of 0 fires after the event loop's poll phase,
 * so data already waiting in the kernel is read first (OTP's recv with
 * timeout 0 returns what the driver can read at once).
 */
function armRecvTimer(timeout: number, fire: () => void): () => void {
  if (timeout === Infinity) return noop;
  if (timeout === 0) {
    const immediate = setImmediate(fire);
    return () => clearImmediate(immediate);
  }
  const timer = setTimeout(fire, timeout);
  return () => clearTimeout(timer);
}

const noop = (): void => {};

function recvTimedOut(s: TcpSocket, resolve: (r: RecvResult) => void): void {
  if (s.pending?.resolve !== resolve) return;
  // The partial data stays for the next recv.
  finishRecv(s, ['error', 'timeout']);
  deliver(s);
}

/** `gen_tcp:close/1`: always `ok`. */
export function closeSocket(s: TcpSocket): 'ok' {
  if (s.life.tag !== 'closed') {
    teardown(s, 'closed', true);
    const [lingerOn, lingerSeconds] = s.opts.linger;
    if (lingerOn && lingerSeconds === 0) {
      // {linger, {true, 0}}: close at once with a reset, queued data discarded (OTP's prim_inet:close).
      s.net.resetAndDestroy();
    } else {
      s.net.end();
      s.net.destroySoon();
    }
  }
  // OTP's inet:tcp_close/1 removes one tcp_closed of this socket from the caller's mailbox.
  takeOneClosed(s);
  return 'ok';
}

function takeOneClosed(s: TcpSocket): void {
  let taken = false;
  try {
    takeMessages((m) => {
      if (taken || !Array.isArray(m) || m.length !== 2 || m[0] !== 'tcp_closed' || m[1] !== s) return false;
      taken = true;
      return true;
    });
  } catch {
    // Called outside a process: there is no mailbox to clean.
  }
}

export type ShutdownHow = 'read' | 'write' | 'read_write';

/** `gen_tcp:shutdown/2`. */
export function shutdownSocket(s: TcpSocket, how: ShutdownHow): 'ok' | readonly ['error', 'closed'] {
  if (s.life.tag === 'closed') return ['error', 'closed'];
  if (how === 'write' || how === 'read_write') s.net.end();
  if (how === 'read' || how === 'read_write') {
    s.eof = 'closed';
    s.framer.discard();
    deliver(s);
  }
  return 'ok';
}

/** `gen_tcp:controlling_process/2`. */
export function transferOwnership(s: TcpSocket, to: Pid): 'ok' | readonly ['error', 'not_owner' | 'closed' | 'badarg'] {
  if (s.life.tag === 'closed') return ['error', 'closed'];
  const caller = self();
  if (caller !== s.owner) return ['error', 'not_owner'];
  if (to === caller) return 'ok';
  if (!isProcessAlive(to)) return ['error', 'badarg'];
  // This socket's data and close messages, in order; tcp_error and tcp_passive stay (as in OTP).
  const moved = takeMessages(
    (m) => Array.isArray(m) && m[1] === s && (m[0] === 'tcp' || m[0] === 'tcp_closed' || m[0] === 'http'),
  );
  for (const m of moved) send(to, m);
  s.unhookOwner();
  s.owner = to;
  s.unhookOwner = onExit(to, () => ownerDied(s));
  return 'ok';
}

/** `inet:setopts(S, [{active, A}])`, with OTP's counter rules for N (options.ts#nextActive). */
export function setActive(s: TcpSocket, requested: ActiveOption): 'ok' | readonly ['error', 'einval'] {
  if (s.life.tag === 'closed') return ['error', 'einval'];
  const step = nextActive(s.active, requested);
  if (step === 'einval') return ['error', 'einval'];
  s.active = step.active;
  if (step.passive) send(s.owner, ['tcp_passive', s]);
  deliver(s);
  return 'ok';
}
