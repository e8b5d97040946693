/**
 * An echo server for every packet type, for peers to test their framing
 * against (the `echo` command, `src/echo.ts`, runs one).
 *
 * Each packet is sent back so that a peer using the same packet type reads
 * back what it sent:
 * - `1`, `2`, `4`: the packet as received; `send` adds the header again;
 * - `raw`/`0`, `line`, `asn1`, `cdr`, `sunrm`, `tpkt`: the bytes as
 *   received (their headers are part of the packet);
 * - `fcgi`: the record with its padding restored as zero bytes (the socket
 *   strips the padding on receive, and the padding length is still in the
 *   header, so the peer would wait for it);
 * - `http`, `http_bin`, `httph`, `httph_bin`: the term turned back into a
 *   line (`http-serialise.ts`).
 * A connection is closed once the peer has closed its side (the peer's
 * unfinished packet, if any, is dropped, as a gen_tcp socket drops it), or
 * on a socket error such as `emsgsize`.
 *
 * Processes, as an Erlang server would have them: one server process owns
 * the listen socket and traps exits; it keeps one acceptor waiting in
 * `accept`. An acceptor that gets a connection tells the server (which
 * starts the next acceptor) and then serves that connection itself, so it
 * owns its socket from the start and nothing is handed over. Every acceptor
 * is linked to the server: `stop` ends them all.
 */
import {
  _,
  badarg,
  exit,
  formatReason,
  onExit,
  processFlag,
  receive,
  self,
  send,
  sleep,
  spawn,
  spawnLink,
  type Pid,
} from '@beamline/runtime';
import * as gen_tcp from '@beamline/gen-tcp';
import { isPacketType, setopts, type HttpPacket, type IoData, type ListenSocket, type PacketType, type TcpSocket } from '@beamline/gen-tcp';
import { serialiseHttp } from './http-serialise.js';

/**
 * How the server reads: `false` with `recv(S, 0)`, or an active mode,
 * `'once'` re-armed after each packet, `N` re-armed with N on `tcp_passive`.
 */
export type EchoActive = boolean | 'once' | number;

export interface EchoServerOptions {
  /** TCP port to listen on, 0 for any free one. @default 0 */
  readonly port?: number;
  /** The packet type of every connection. */
  readonly packet: PacketType;
  /** How connections read. N from 1 to 32767. @default false */
  readonly active?: EchoActive;
  /**
   * Where the server reports what a peer should know about: a socket error
   * (`emsgsize` for a bad header), a connection process that crashed.
   * @default a line on stderr
   */
  readonly log?: (line: string) => void;
}

export interface EchoServer {
  /** The port the server listens on (127.0.0.1). */
  readonly port: number;
  /** The process that owns the listen socket. */
  readonly pid: Pid;
  /** Closes the listen socket and every connection; resolves once the server has exited. */
  stop(): Promise<void>;
}

interface Config {
  readonly port: number;
  readonly packet: PacketType;
  readonly active: EchoActive;
  readonly log: (line: string) => void;
}

const HTTP_TYPES: ReadonlySet<PacketType> = new Set<PacketType>(['http', 'http_bin', 'httph', 'httph_bin']);
/** OTP's largest `{active, N}`. */
const MAX_ACTIVE_N = 32767;

type ListenOutcome = readonly ['ok', number] | readonly ['error', string];

/**
 * Starts an echo server on 127.0.0.1; it runs in its own processes. Works
 * from top-level code; inside a process, wrap the promise
 * (`await awaitPromise(startEchoServer(...))`), as for any promise the
 * runtime did not make.
 *
 * Resolves once the server listens. Rejects with an `Error` saying why
 * when it cannot listen (`eaddrinuse`, …), and with `badarg` for an unknown
 * packet type, a port outside 0..65535, or an active mode other than
 * `true`, `false`, `'once'` or an integer from 1 to 32767.
 */
export async function startEchoServer(options: EchoServerOptions): Promise<EchoServer> {
  const config = checkOptions(options);
  let announce!: (outcome: ListenOutcome) => void;
  const listening = new Promise<ListenOutcome>((resolve) => {
    announce = resolve;
  });
  const pid = spawn(serve, config, (outcome: ListenOutcome) => announce(outcome));
  // Whatever way the server goes (stop, a crash, a kill), this settles.
  const exited = new Promise<unknown>((resolve) => onExit(pid, resolve));
  const outcome = await Promise.race([
    listening,
    exited.then((reason): ListenOutcome => ['error', `the server exited before listening: ${formatReason(reason)}`]),
  ]);
  if (outcome[0] === 'error') {
    await exited;
    throw new Error(`echo server: cannot listen on port ${config.port}: ${outcome[1]}`);
  }
  return {
    port: outcome[1],
    pid,
    async stop(): Promise<void> {
      send(pid, 'stop');
      await exited;
    },
  };
}

function checkOptions(options: EchoServerOptions): Config {
  const fn = 'startEchoServer';
  if (typeof options !== 'object' || options === null) badarg(fn, `options must be an object, got ${String(options)}`);
  const { port = 0, packet, active = false, log = (line: string) => process.stderr.write(`${line}\n`) } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535) badarg(fn, `port must be an integer from 0 to 65535, got ${String(port)}`);
  if (!isPacketType(packet)) badarg(fn, `not a packet type: ${String(packet)}`);
  const activeOk =
    typeof active === 'boolean' || active === 'once' || (Number.isInteger(active) && (active as number) >= 1 && (active as number) <= MAX_ACTIVE_N);
  if (!activeOk) badarg(fn, `active must be true, false, 'once' or an integer from 1 to ${MAX_ACTIVE_N}, got ${String(active)}`);
  if (typeof log !== 'function') badarg(fn, 'log must be a function');
  return { port, packet, active, log };
}

/** The server process: owns the listen socket, keeps one acceptor waiting, stops on `'stop'`. */
async function serve(config: Config, announce: (outcome: ListenOutcome) => void): Promise<void> {
  processFlag('trap_exit', true);
  const listened = await gen_tcp.listen(config.port, [
    'binary',
    ['packet', config.packet],
    ['active', config.active],
    ['ip', 'loopback'],
    ['reuseaddr', true],
  ]);
  if (listened[0] === 'error') {
    announce(listened);
    return;
  }
  const listenSocket = listened[1];
  const port = gen_tcp.port(listenSocket);
  if (port[0] === 'error') {
    gen_tcp.close(listenSocket);
    announce(port);
    return;
  }
  announce(['ok', port[1]]);
  const me = self();
  const children = new Set<Pid>();
  const startAcceptor = (): void => {
    children.add(spawnLink(acceptor, listenSocket, me, config));
  };
  startAcceptor();
  for (;;) {
    const m = await receive('stop', ['accepted', _], ['EXIT', _, _]);
    if (m === 'stop') break;
    if (m[0] === 'accepted') {
      startAcceptor();
    } else {
      const [, pid, reason] = m;
      children.delete(pid as Pid);
      if (reason !== 'normal') config.log(`echo: connection process ${String(pid)} crashed: ${formatReason(reason)}`);
    }
  }
  gen_tcp.close(listenSocket);
  for (const child of children) exit(child, 'shutdown');
}

/** Waits for one connection, tells the server, then echoes on it until it closes. */
async function acceptor(listenSocket: ListenSocket, server: Pid, config: Config): Promise<void> {
  let socket: TcpSocket;
  for (;;) {
    const accepted = await gen_tcp.accept(listenSocket);
    if (accepted[0] === 'ok') {
      socket = accepted[1];
      break;
    }
    if (accepted[1] === 'closed') return;
    // Out of file descriptors or the like: say so and try again shortly, as a server should.
    config.log(`echo: accept failed: ${accepted[1]}`);
    await sleep(100);
  }
  send(server, ['accepted', self()]);
  if (config.active === false) await echoPassive(socket, config);
  else await echoActive(socket, config);
  gen_tcp.close(socket);
}

/** `{active, false}`: `recv(S, 0)` until the peer closes. */
async function echoPassive(socket: TcpSocket, config: Config): Promise<void> {
  for (;;) {
    const received = await gen_tcp.recv(socket, 0);
    if (received[0] === 'error') {
      if (received[1] !== 'closed') config.log(`echo: ${String(socket)}: recv failed: ${received[1]}`);
      return;
    }
    if (!(await echo(socket, config, received[1]))) return;
  }
}

/** Active modes: a message per packet; `once` re-armed after each, `N` on `tcp_passive`. */
async function echoActive(socket: TcpSocket, config: Config): Promise<void> {
  for (;;) {
    const m = await receive(['tcp', socket, _], ['http', socket, _], ['tcp_passive', socket], ['tcp_closed', socket], ['tcp_error', socket, _]);
    switch (m[0]) {
      case 'tcp':
      case 'http':
        if (!(await echo(socket, config, m[2]))) return;
        if (config.active === 'once') setopts(socket, [['active', 'once']]);
        break;
      case 'tcp_passive':
        setopts(socket, [['active', config.active as number]]);
        break;
      case 'tcp_error':
        // tcp_closed follows; the socket is closed already.
        config.log(`echo: ${String(socket)}: ${String(m[2])}`);
        return;
      case 'tcp_closed':
        return;
    }
  }
}

/**
 * Sends the reply to one packet; false when the socket can no longer send.
 * `send` blocks while the socket is busy (a peer that does not read), so a
 * connection never holds more than the socket's high watermark of replies.
 */
async function echo(socket: TcpSocket, config: Config, packet: unknown): Promise<boolean> {
  const sent = await gen_tcp.send(socket, echoReply(config.packet, packet));
  if (sent === 'ok') return true;
  if (sent[1] !== 'closed') config.log(`echo: ${String(socket)}: send failed: ${sent[1]}`);
  return false;
}

/**
 * What the echo server sends for one received packet of type `type`, so
 * that the peer reads the same packet back (see the module comment).
 * `packet` is what the socket delivered: a Buffer, or an HTTP term.
 */
export function echoReply(type: PacketType, packet: unknown): IoData {
  if (HTTP_TYPES.has(type)) return serialiseHttp(packet as HttpPacket);
  if (!Buffer.isBuffer(packet)) badarg('echoReply', `a ${String(type)} packet must be a Buffer, got ${typeof packet}`);
  // An fcgi packet is at least its 8-byte header; byte 6 is the padding length.
  if (type === 'fcgi') return [packet, Buffer.alloc(packet[6] ?? 0)];
  return packet;
}
