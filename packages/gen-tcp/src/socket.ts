/**
 * A connected socket: a `net.Socket` owned by a process.
 *
 * The byte→mailbox path, in reading order: read-buffer.ts hands each read
 * over (a large one) or lends it (a short one, `socketOnLent`: a read that
 * is exactly one packet wanted now is copied out as that packet and
 * delivered at once, any other is copied whole) to `socketOnData`, which
 * pushes the chunk into the framer (packet/);
 * `deliver` takes complete packets out and either sends them to the owner
 * as `['tcp', s, data]` (active modes) or hands one to a pending `recv`
 * (passive). While nobody reads (passive with no `recv` pending, or an
 * active mode used up) chunks wait unframed in `ahead`, and once READ_AHEAD
 * bytes wait the Node socket is paused, so unread data stays in the kernel
 * and a slow reader pushes back on the sender.
 *
 * Ownership: the owner's exit closes the socket (`onExit`, like a port linked
 * to its owner); `controllingProcess` moves the owner and the socket's queued
 * messages.
 *
 * Ends and errors follow OTP 25's inet_drv, checked with erl case by case:
 * Node's events (`socketOnEnd`, `socketOnError`) only record what the OS
 * socket knows; the driver's reactions are `recvClosed` (a read finds the
 * end: `tcp_recv_closed`), `recvError` (`tcp_recv_error`) and `sendError`
 * (`tcp_send_or_shutdown_error`), and the `Delayed` flags decide what the
 * next `send` and `recv` on a closed connection say.
 */
import type { Socket as NetSocket } from 'node:net';
import { inspect } from 'node:util';
import {
  answerDriverWait,
  driverTimeout,
  driverWait,
  isProcessAlive,
  onExit,
  self,
  send,
  takeMessages,
  type DriverWait,
  type Pid,
} from '@beamline/runtime';
import type { ActiveMode, SocketOptions } from './options.js';
import { createFramer, encodeJoined, encodePacket, type Framer, type HttpPacket, type IoData } from './packet/index.js';
import { raiseTrimThreshold } from './heap-trim.js';
import { copyLent, readIntoOwnBuffers, type ReadSink } from './read-buffer.js';
import { posixReason } from './posix.js';
import { SendQueue, type SendHooks, type SendResult } from './send-queue.js';
import { countIn, newStats, openSockets, type Stats } from './stats.js';
import { portDown } from './monitors.js';


export type Data = Buffer | number[];
/** What `recv` returns and `['tcp', s, data]` carries: bytes, or for the HTTP packet types a term (`['http', s, packet]`). */
export type Packet = Data | HttpPacket;
export type RecvResult = readonly ['ok', Packet] | readonly ['error', RecvError];
export type RecvError = 'closed' | 'timeout' | 'einval' | 'ealready' | 'enotconn' | 'emsgsize' | 'econnreset' | string;
export type { SendResult } from './send-queue.js';

/**
 * Where the socket stands, as inet_drv sees it.
 * - `open`: connected, reading and writing.
 * - `halfOpen`: connected with its read side closed: `exit_on_close` false
 *   and the end of the stream was told (the peer's FIN or reset, or our
 *   `shutdown(s, read)`). Writes go on; every later read finds the end again.
 * - `closed`: the connection is closed but the port lives (a passive socket
 *   told of the end with `exit_on_close` true, a failed send, an invalid
 *   packet): `send` and `recv` answer from `delayed`, else `enotconn`; `close`
 *   or the owner's exit ends the port.
 * - `gone`: the port is gone (`close`, the owner's exit, or an active socket
 *   with `exit_on_close` told of the end): every call says `closed`.
 */
type Life = { tag: 'open' } | { tag: 'halfOpen' } | { tag: 'closed' } | { tag: 'gone' };

/**
 * What the next call on a closed connection says instead of `enotconn`
 * (inet_drv's TCP_ADDF_DELAYED_CLOSE_RECV, _SEND and _ECONNRESET): set when
 * a read finds the end (`send`) or a passive send fails (`recv`), so that
 * code may ignore a send error and see it in its next recv.
 */
interface Delayed {
  recv: boolean;
  send: boolean;
  econnreset: boolean;
}

/**
 * The end of the stream that Node reported and the driver has not read yet
 * (inet_drv reads only in an active mode or for a waiting `recv`): the peer's
 * FIN, its reset, or another read error (a posix reason).
 */
type End = 'fin' | 'rst' | string;

/**
 * A `recv` waiting for data. The caller blocks on `wait` (null while recvOn
 * still runs: a result found then is kept in `result`). Only a caller that is
 * not the owner needs an exit hook: the owner's exit closes the socket, and
 * the owner cannot hand the socket on while it is blocked in recv.
 */
interface PendingRecv {
  readonly length: number;
  readonly caller: Pid;
  wait: DriverWait<RecvResult> | null;
  result: RecvResult | null;
  cancelTimer: () => void;
  unhook: () => void;
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
  /** @internal the end of the stream Node reported, not yet read by the driver */
  eof: End | null = null;
  /** @internal the OS socket was reset (Node said ECONNRESET or EPIPE): a write fails */
  osReset = false;
  /** @internal `shutdown(s, read)`: `draining` while the data already queued is read, then `done` */
  readShut: 'no' | 'draining' | 'done' = 'no';
  /** @internal what `send`/`recv` say on the closed connection (see `Delayed`) */
  readonly delayed: Delayed = { recv: false, send: false, econnreset: false };
  /** @internal `tcp_closed` went out (OTP sends it once) */
  closeSent = false;
  /** @internal */ pending: PendingRecv | null = null;
  /**
   * @internal Bytes read while nobody reads (no recv waiting, not active),
   * unframed and in order: OTP's driver would not have read them yet, so a
   * failed send drops them (`socketOnError`); the next reader takes them
   * first (`takeAhead`).
   */
  ahead: Buffer[] | null = null;
  /** @internal the bytes in `ahead` */
  aheadBytes = 0;
  /** @internal we paused the Node socket and have not resumed it: deliver resumes only then */
  netPaused = false;
  /** @internal */ unhookOwner: () => void;
  /** @internal `inet:getstat` counters (registry.ts#countIn/countOut) */
  readonly stats: Stats = newStats();
  /** @internal the send side: busy state, waiting senders, send_timeout, delay_send (send-queue.ts) */
  readonly sendq: SendQueue<TcpSocket> = new SendQueue<TcpSocket>(this, SEND_HOOKS);

  /** @internal */
  constructor(net: NetSocket, owner: Pid, opts: SocketOptions) {
    raiseTrimThreshold();
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
    this.unhookOwner = onExit(owner, (reason) => ownerDied(this, reason));
    // Reads come through our own buffers (read-buffer.ts), or where Node
    // does not allow that, as `data` events.
    if (!readIntoOwnBuffers(net, this, READ_SINK)) net.on('data', (chunk: Buffer) => socketOnData(this, chunk));
    net.on('end', () => socketOnEnd(this));
    net.on('error', (error: Error) => socketOnError(this, error));
    net.on('close', () => socketOnClose(this));
    if (opts.nodelay) net.setNoDelay(true);
    if (opts.keepalive) net.setKeepAlive(true);
    // Accepted connections arrive paused; an active socket reads from the start.
    // A passive one reads ahead too, up to READ_AHEAD, so that a reset is
    // known before the next send, as the OS knows it.
    if (opts.active === false) {
      pauseNet(this);
      net.read(0);
    } else {
      resumeNet(this);
    }
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

/**
 * How much a socket that nobody reads takes in before it stops reading
 * (framed and unframed bytes): a reset is still learned from a read
 * meanwhile, as the OS learns it, and a slow reader holds the sender back.
 */
const READ_AHEAD = 64 * 1024;

/** Whether READ_AHEAD bytes wait, framed or not: a socket nobody reads stops reading then. */
function readAheadFull(s: TcpSocket): boolean {
  return s.framer.pending() + s.aheadBytes >= READ_AHEAD;
}

/** Where read-buffer.ts hands a socket's reads. */
const READ_SINK: ReadSink<TcpSocket> = { owned: socketOnData, lent: socketOnLent };

/**
 * A short read, lent by read-buffer.ts. When it is exactly one packet that
 * is wanted now (an active mode, or a waiting `recv(s, 0)`) and nothing
 * came before it, the packet is copied out of the read buffer and delivered
 * at once: one copy and one Buffer, where the general path copies the read,
 * queues it in the framer and cuts the packet out as a view of that copy
 * (every ping-pong message is such a read). Anything else is copied whole
 * and takes the general path. It goes where `deliver` would send it: to the
 * owner when the socket is active, even if another process waits in `recv`
 * (it is left waiting, as in `deliver`).
 */
function socketOnLent(s: TcpSocket, buffer: Buffer, length: number): void {
  if (s.life.tag === 'open' && s.readShut === 'no' && s.eof === null && s.ahead === null) {
    const active = isActive(s);
    if (active || (s.pending !== null && s.pending.length === 0)) {
      const start = s.framer.wholePacket(buffer, length);
      if (start >= 0) {
        readCounts.wholePackets++;
        const packet = payload(s, copyLent(buffer, start, length));
        if (active) sendPacket(s, packet);
        else finishRecv(s, ['ok', packet]);
        // With nothing left in the framer, all deliver would still do is
        // resume a paused socket; a paused socket does not read, so this
        // only guards against a read Node delivers after pause().
        if (s.netPaused) deliver(s);
        return;
      }
    }
  }
  socketOnData(s, copyLent(buffer, 0, length));
}

/** @internal For tests: how many reads took `socketOnLent`'s one-packet path. */
export const readCounts = { wholePackets: 0 };

function socketOnData(s: TcpSocket, chunk: Buffer): void {
  // A closed read side (halfOpen, or shutdown(read) done) drops what still
  // comes; after shutdown(read) nobody reads the rest, so the peer is held back.
  if (s.life.tag !== 'open') return;
  if (s.readShut === 'done') {
    pauseNet(s);
    return;
  }
  if (s.pending === null && s.readShut === 'no' && !isActive(s)) {
    const ahead = (s.ahead ??= []);
    ahead.push(chunk);
    s.aheadBytes += chunk.length;
    if (readAheadFull(s)) {
      pauseNet(s);
      // A large read's chunk keeps its whole 256 KiB read block alive
      // (read-buffer.ts): a socket left paused keeps one copy of its bytes instead.
      if (ahead.length > 1 || chunk.buffer.byteLength > chunk.length) s.ahead = [Buffer.concat(ahead, s.aheadBytes)];
    }
    return;
  }
  s.framer.push(chunk);
  deliver(s);
}

/** Stops the Node socket reading (read-buffer.ts: the handle stops; Node's stream path: no more data events). */
function pauseNet(s: TcpSocket): void {
  s.netPaused = true;
  s.net.pause();
}

/** Starts it again; `deliver` calls this only when `netPaused`, sparing Node's resume on every packet. */
function resumeNet(s: TcpSocket): void {
  s.netPaused = false;
  s.net.resume();
}

/** A reader came: the bytes read ahead go to the framer first. */
function takeAhead(s: TcpSocket): void {
  const ahead = s.ahead;
  if (ahead === null) return;
  dropAhead(s);
  for (const chunk of ahead) s.framer.push(chunk);
}

/** The bytes read ahead go unread. */
function dropAhead(s: TcpSocket): void {
  s.ahead = null;
  s.aheadBytes = 0;
}

/** The connection's unread input goes: framed and read ahead. */
function dropInput(s: TcpSocket): void {
  s.framer.discard();
  dropAhead(s);
}

function socketOnEnd(s: TcpSocket): void {
  if (s.eof === null) s.eof = 'fin';
  deliver(s);
}

function socketOnError(s: TcpSocket, error: Error): void {
  const reason = posixReason(error);
  // Bytes read ahead for a socket nobody reads came before the error: OTP's
  // driver would read them first, unless it had output queued: then its
  // write fails first and the bytes are dropped (OTP 25: econnreset_after_
  // async_send_* vs a reset after data alone). On Node's stream path
  // (read-buffer.ts) some may still be in Node's buffer: the stream is
  // destroyed by now, so read() still returns them but emits no 'data'.
  const readFirst = (error as NodeJS.ErrnoException).syscall === 'read' && s.net.writableLength === 0;
  if (!readFirst) dropAhead(s);
  while (readFirst && s.net.destroyed && s.net.readableLength > 0 && s.life.tag === 'open' && s.readShut !== 'done') {
    const chunk = s.net.read() as Buffer | null;
    if (chunk === null) break;
    socketOnData(s, chunk);
  }
  if (reason === 'econnreset' || reason === 'epipe') {
    // The OS socket was reset: the next read says so (before a FIN not read yet), every write fails.
    s.osReset = true;
    if (s.eof === null || s.eof === 'fin') s.eof = 'rst';
  } else if (s.eof === null) {
    s.eof = reason;
  }
  deliver(s);
}

function socketOnClose(s: TcpSocket): void {
  if (s.eof === null && s.life.tag === 'open') s.eof = 'fin';
  deliver(s);
}

/**
 * Moves what the framer has to whoever waits for it: the owner's mailbox in
 * active mode, or the pending `recv`. Then, if the driver is reading (active,
 * or a `recv` waits) and nothing complete is left, tells the end of the
 * stream or an invalid packet. Pauses the Node socket when nobody wants the
 * data it holds.
 */
export function deliver(s: TcpSocket): void {
  if (s.life.tag === 'closed' || s.life.tag === 'gone') return;
  const framer = s.framer;
  if (s.ahead !== null && (s.pending !== null || isActive(s))) takeAhead(s);
  let delivered = false;
  while (isActive(s)) {
    const packet = nextPacket(s);
    if (packet === undefined) break;
    delivered = true;
    sendPacket(s, packet);
  }
  if (s.pending !== null) {
    const r = s.pending;
    const packet = recvPacket(s, r.length);
    if (packet !== undefined) finishRecv(s, ['ok', packet]);
  }
  // A closed read side is read again only by a recv or a turn to active (optionsChanged).
  if (s.life.tag !== 'open') return;
  const reading = isActive(s) || s.pending !== null;
  if (reading) {
    const end = endToRead(s);
    // OTP's driver finds an invalid header on its next read, not in the pass
    // that delivered the packets before it: until more bytes or the peer's
    // close arrive, the socket stays open and its owner can still answer
    // them (checked with OTP 25, {active, true} and {active, N}).
    const invalidAfterPackets = delivered && framer.state.tag === 'failed' && s.eof === null;
    if (end !== null && !invalidAfterPackets) {
      tellEnd(s, end);
      return;
    }
  }
  if (reading || s.readShut === 'draining') {
    if (s.netPaused) resumeNet(s);
  }
  // Paused only once READ_AHEAD bytes wait (socketOnData pauses as they
  // come): pausing and resuming around every recv or {active, once} packet
  // made Node stop and restart reading each time (bulk passive recv: 2-3x
  // the page faults, 25-45% slower). A failed framer keeps nothing
  // (pending() is 0) and wants nothing more.
  else if (framer.state.tag === 'failed' || readAheadFull(s) || s.net.readableLength > 0) pauseNet(s);
}

/** An active socket's packet goes to its owner; `{active, once}` and `{active, N}` count it. */
function sendPacket(s: TcpSocket, packet: Packet): void {
  send(s.owner, [s.framer.isHttp ? 'http' : 'tcp', s, packet]);
  const a = s.active;
  if (a === 'once') s.active = false;
  else if (typeof a === 'number') {
    s.active = a - 1 === 0 ? false : a - 1;
    if (a - 1 === 0) send(s.owner, ['tcp_passive', s]);
  }
}

/** What a read finds when no complete packet is left: an invalid packet, the stream's end, or nothing yet (null). */
function endToRead(s: TcpSocket): End | null {
  if (s.life.tag === 'halfOpen') return s.eof ?? 'fin';
  if (s.framer.state.tag === 'failed') return s.framer.state.reason;
  return s.eof;
}

/**
 * The driver read `end`: the peer's FIN (or a reset without
 * `show_econnreset`) is a close, anything else an error. Returns what a
 * passive `recv` is answered.
 */
function tellEnd(s: TcpSocket, end: End): RecvError {
  s.eof = null;
  if (end === 'fin' || (end === 'rst' && !s.opts.showEconnreset)) {
    recvClosed(s);
    return 'closed';
  }
  const reason = end === 'rst' ? 'econnreset' : end;
  recvError(s, reason);
  return reason;
}

/**
 * inet_drv `tcp_recv_closed`: the stream ended. Partial data is dropped;
 * a waiting recv gets `closed`, an active owner `tcp_closed` (once). With
 * `exit_on_close` the connection closes (passive: the port lives on; active:
 * the port goes), without it only the read side. The next send on the
 * closed connection says `closed`.
 */
function recvClosed(s: TcpSocket): void {
  s.delayed.send = true;
  dropInput(s);
  if (!isActive(s)) {
    if (s.pending !== null) finishRecv(s, ['error', 'closed']);
    if (s.opts.exitOnClose) closeConnection(s);
    else closeRead(s);
  } else {
    tellClosed(s);
    if (s.opts.exitOnClose) portExit(s, 'normal');
    else closeRead(s);
  }
}

/** inet_drv `tcp_recv_error`: as `recvClosed`, with the reason told (`tcp_error` first when active). */
function recvError(s: TcpSocket, reason: string): void {
  dropInput(s);
  if (!isActive(s)) {
    if (s.pending !== null) finishRecv(s, ['error', reason]);
    if (s.opts.exitOnClose) closeConnection(s);
    else closeRead(s);
  } else {
    send(s.owner, ['tcp_error', s, reason]);
    tellClosed(s);
    if (s.opts.exitOnClose) portExit(s, reason);
    else closeRead(s);
  }
}

/**
 * inet_drv `tcp_send_or_shutdown_error`: a write failed, on a reset
 * connection (`econnreset`) or after our own `shutdown(s, write)` (`epipe`).
 * Active: `tcp_error` (reset with `show_econnreset`), `tcp_closed` once, and
 * the port goes (`exit_on_close`) or the connection closes. Passive: the
 * connection closes and the next recv says what happened. Returns the send's
 * result: `econnreset` when shown, else `closed`.
 */
function sendError(s: TcpSocket, reason: 'econnreset' | 'epipe'): SendResult {
  const shown = reason === 'econnreset' && s.opts.showEconnreset;
  if (isActive(s)) {
    if (shown) send(s.owner, ['tcp_error', s, reason]);
    tellClosed(s);
    if (s.opts.exitOnClose) portExit(s, 'normal');
    else closeConnection(s);
  } else {
    closeConnection(s);
    s.delayed.recv = true;
    if (shown) s.delayed.econnreset = true;
  }
  return ['error', shown ? 'econnreset' : 'closed'];
}

function tellClosed(s: TcpSocket): void {
  if (s.closeSent) return;
  s.closeSent = true;
  send(s.owner, ['tcp_closed', s]);
}

/** Closes the read side only (inet_drv `desc_close_read`); writes go on. */
function closeRead(s: TcpSocket): void {
  s.life = { tag: 'halfOpen' };
  s.eof = null;
  pauseNet(s);
}

/** Closes the connection, the port living on (inet_drv `tcp_desc_close`): sends our FIN after what is queued. */
function closeConnection(s: TcpSocket): void {
  if (s.life.tag === 'closed' || s.life.tag === 'gone') return;
  s.life = { tag: 'closed' };
  openSockets.delete(s);
  dropInput(s);
  if (s.pending !== null) finishRecv(s, ['error', 'closed']);
  if (!s.net.destroyed) {
    s.net.end();
    s.net.destroySoon();
  }
  s.sendq.closed();
}

/**
 * The port goes, with `reason` for its monitors (`normal`, the error, or the
 * owner's exit reason): a waiting recv gets `closed`, the Node socket closes
 * gracefully, with a reset, or at once.
 */
function portExit(s: TcpSocket, reason: unknown, how: 'end' | 'reset' | 'destroy' = 'end'): void {
  if (s.life.tag === 'gone') return;
  s.life = { tag: 'gone' };
  openSockets.delete(s);
  s.unhookOwner();
  dropInput(s);
  if (s.pending !== null) finishRecv(s, ['error', 'closed']);
  if (!s.net.destroyed) {
    if (how === 'reset') {
      s.net.resetAndDestroy();
    } else if (how === 'destroy') {
      s.net.destroy();
    } else {
      s.net.end();
      s.net.destroySoon();
    }
  }
  s.sendq.closed();
  portDown(s, reason);
}

function finishRecv(s: TcpSocket, result: RecvResult): void {
  const r = s.pending!;
  s.pending = null;
  r.cancelTimer();
  r.unhook();
  if (r.wait === null) r.result = result;
  else answerDriverWait(r.wait, result);
}

function ownerDied(s: TcpSocket, reason: unknown): void {
  portExit(s, reason, 'destroy');
}

// ---- operations (called from the gen-tcp façade) ----

/** The largest send whose pieces are joined into one write: a loopback segment. */
const JOIN_LIMIT = 64 * 1024;

/**
 * `gen_tcp:send/2`: a promise when the sender waits on a busy socket
 * (send-queue.ts). `caller` is set when a waiting sender's turn comes.
 */
export function sendOn(s: TcpSocket, data: IoData, caller?: Pid | null): SendResult | Promise<SendResult> {
  const refused = sendRefused(s);
  if (refused !== null) return refused;
  if (Buffer.isBuffer(data)) {
    const framed = encodeJoined(s.opts.packet, data, JOIN_LIMIT);
    if (framed !== undefined) return s.sendq.send([framed], caller);
  }
  const encoded = encodePacket(s.opts.packet, data);
  if (encoded[0] === 'error') return encoded;
  return s.sendq.send(oneWrite(encoded[1]), caller);
}

/**
 * The pieces of a send (a 1/2/4 header and its body, an iolist's parts) as
 * one Buffer when they are small, so they leave in one write as OTP's
 * writev does. Written one by one, Nagle's algorithm holds the body until
 * the peer acknowledges the header, and a peer waiting for the whole packet
 * delays that acknowledgement by up to 40 ms (the ping-pong benchmark ran
 * at 22 round trips a second). Larger sends fill whole segments, which
 * Nagle does not hold.
 */
function oneWrite(chunks: Buffer[]): Buffer[] {
  if (chunks.length < 2) return chunks;
  let total = 0;
  for (const chunk of chunks) total += chunk.length;
  return total <= JOIN_LIMIT ? [Buffer.concat(chunks, total)] : chunks;
}

/** What the send queue asks of the socket. */
const SEND_HOOKS: SendHooks<TcpSocket> = {
  resend: (s, chunks, caller) => sendRefused(s) ?? s.sendq.send(chunks, caller),
  failed: (s) => sendRefused(s) ?? ['error', 'closed'],
  // OTP closes the connection (the port lives: later calls say enotconn) and drops the queued output.
  closeOnTimeout: (s) => {
    s.net.destroy();
    closeConnection(s);
  },
};

/**
 * What a send says when it cannot write (inet_drv `tcp_inet_commandv` and
 * `tcp_send_error`), or null when it can: `closed` once the port is gone;
 * on a closed connection the delayed answer once, then `enotconn`; a write
 * after our own `shutdown(s, write)` or on a reset connection fails.
 */
function sendRefused(s: TcpSocket): SendResult | null {
  const tag = s.life.tag;
  if (tag === 'gone') return ['error', 'closed'];
  if (tag === 'closed') {
    if (!s.delayed.send) return ['error', 'enotconn'];
    s.delayed.send = false;
    return ['error', s.delayed.econnreset ? 'econnreset' : 'closed'];
  }
  if (s.net.writableEnded) return sendError(s, 'epipe');
  if (s.osReset || s.net.destroyed) return sendError(s, 'econnreset');
  return null;
}

/** `gen_tcp:recv/3`. */
export function recvOn(s: TcpSocket, length: number, timeout: number): Promise<RecvResult> | RecvResult {
  const tag = s.life.tag;
  if (tag === 'gone') return ['error', 'closed'];
  if (tag === 'closed') {
    if (!s.delayed.recv) return ['error', 'enotconn'];
    s.delayed.recv = false;
    s.delayed.send = false;
    const reason = s.delayed.econnreset ? 'econnreset' : 'closed';
    s.delayed.econnreset = false;
    return ['error', reason];
  }
  if (isActive(s)) return ['error', 'einval'];
  if (length > 0 && s.opts.packet !== 0) return ['error', 'einval'];
  if (s.pending !== null) return ['error', 'ealready'];
  takeAhead(s);
  const ready = recvPacket(s, length);
  if (ready !== undefined) return ['ok', ready];
  const end = endToRead(s);
  if (end !== null) return ['error', tellEnd(s, end)];
  const caller = self();
  const r: PendingRecv = { length, caller, wait: null, result: null, cancelTimer: noop, unhook: noop };
  s.pending = r;
  if (timeout !== Infinity) r.cancelTimer = armRecvTimer(timeout, () => recvTimedOut(s, r));
  if (caller !== s.owner) watchRecvCaller(s, r);
  deliver(s);
  if (r.result !== null) return r.result;
  const wait = driverWait<RecvResult>();
  r.wait = wait;
  // Blocking ran the next processes at once; one of them may have finished
  // this recv (closed the socket) before the wait was in place.
  if (r.result !== null) answerDriverWait(wait, r.result);
  return wait.promise;
}

/** A caller killed while it waits in recv must not take the next data with it. */
function watchRecvCaller(s: TcpSocket, r: PendingRecv): void {
  r.unhook = onExit(r.caller, () => {
    if (s.pending !== r) return;
    r.cancelTimer();
    s.pending = null;
    deliver(s);
  });
}

/**
 * The recv timeout. A timeout of 0 fires after the event loop's poll phase,
 * so data already waiting in the kernel is read first (OTP's recv with
 * timeout 0 returns what the driver can read at once).
 */
function armRecvTimer(timeout: number, fire: () => void): () => void {
  if (timeout === 0) {
    const immediate = setImmediate(fire);
    return () => clearImmediate(immediate);
  }
  return driverTimeout(timeout, fire);
}

const noop = (): void => {};

function recvTimedOut(s: TcpSocket, r: PendingRecv): void {
  if (s.pending !== r) return;
  // The partial data stays for the next recv.
  finishRecv(s, ['error', 'timeout']);
  deliver(s);
}

/** `gen_tcp:close/1`: always `ok`. */
export function closeSocket(s: TcpSocket): 'ok' {
  const [lingerOn, lingerSeconds] = s.opts.linger;
  // {linger, {true, 0}}: close at once with a reset, queued data discarded (OTP's prim_inet:close).
  portExit(s, 'normal', lingerOn && lingerSeconds === 0 ? 'reset' : 'end');
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

/**
 * `gen_tcp:shutdown/2`: `closed` once the port is gone, `enotconn` on a
 * closed connection.
 */
export function shutdownSocket(s: TcpSocket, how: ShutdownHow): 'ok' | readonly ['error', 'closed' | 'enotconn'] {
  if (s.life.tag === 'gone') return ['error', 'closed'];
  if (s.life.tag === 'closed') return ['error', 'enotconn'];
  if (how === 'write' || how === 'read_write') s.net.end();
  if (how === 'read' || how === 'read_write') shutdownRead(s);
  return 'ok';
}

/**
 * Linux's SHUT_RD, which OTP calls: reads still return what the connection
 * has queued, then find the end. Node cannot shut down the read side, so the
 * socket reads what the kernel holds now (until after the next poll phase),
 * then takes it as the end of the stream and drops what comes later.
 */
function shutdownRead(s: TcpSocket): void {
  if (s.readShut !== 'no' || s.life.tag !== 'open') return;
  // What waits unframed came first; from now on reads go to the framer.
  takeAhead(s);
  s.readShut = 'draining';
  if (!s.net.destroyed) resumeNet(s);
  setImmediate(() => {
    s.readShut = 'done';
    if (s.eof === null) s.eof = 'fin';
    deliver(s);
  });
}

/** `gen_tcp:controlling_process/2`. */
export function transferOwnership(s: TcpSocket, to: Pid): 'ok' | readonly ['error', 'not_owner' | 'closed' | 'badarg'] {
  if (s.life.tag === 'gone') return ['error', 'closed'];
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
  s.unhookOwner = onExit(to, (reason) => ownerDied(s, reason));
  return 'ok';
}

/** Whether the port still lives (`inet:setopts`, `getopts` and `getstat` work on a closed connection). */
export function portAlive(s: TcpSocket): boolean {
  return s.life.tag !== 'gone';
}

/** Whether the connection is open (reading, or its read side closed). */
export function connected(s: TcpSocket): boolean {
  return s.life.tag === 'open' || s.life.tag === 'halfOpen';
}

/**
 * After `inet:setopts` changed options: delivers what is buffered. A socket
 * turned active on a closed connection says `tcp_closed` (once), and with
 * `exit_on_close` its port goes; one whose read side is closed reads the end
 * again, which tells `tcp_closed` if it was not told (inet_drv setopts).
 */
export function optionsChanged(s: TcpSocket, wasActive: boolean): void {
  const turnedActive = !wasActive && isActive(s);
  if (turnedActive && s.life.tag === 'closed') {
    tellClosed(s);
    if (s.opts.exitOnClose) portExit(s, 'normal');
    return;
  }
  deliver(s);
  if (turnedActive && s.life.tag === 'halfOpen' && isActive(s)) tellEnd(s, endToRead(s) ?? 'fin');
}
