/**
 * An HTTP/1.1 server on gen_tcp: `{packet, http_bin}` for request lines and
 * headers, `{packet, raw}` for bodies, keep-alive and pipelining
 * (connection.ts), a small router (router.ts).
 *
 * Processes:
 *
 *   server (traps exits; owns the listen socket)
 *     ├── acceptor (linked)  accept → spawn a connection → hand it the socket → accept …
 *     └── connections (each links itself to the server)
 *
 * A connection that crashes is logged and costs only its own client;
 * `stop()` ends the server with reason `shutdown`, which the links carry to
 * every connection.
 */
import { _, after, exit, formatReason, isPid, link, monitor, onExit, processFlag, receive, run, self, send, sleep, spawn, spawnLink, type Pid } from '@beamline/runtime';
import * as gen_tcp from '@beamline/gen-tcp';
import type { ListenSocket, TcpSocket } from '@beamline/gen-tcp';
import { serveConnection, type ConnectionOptions } from './connection.js';

export interface HttpOptions {
  /** TCP port on 127.0.0.1, 0 for any free one. @default 0 */
  readonly port?: number;
  /** Largest request body (bytes); a larger Content-Length is answered 413. @default 1 MiB */
  readonly maxBody?: number;
  /** Most header lines in a request; more is 431. @default 100 */
  readonly maxHeaders?: number;
  /** Idle time after which a kept-alive connection is closed (ms). @default 15000 */
  readonly idleTimeout?: number;
  /** Time a started request has to arrive, for each read (ms); then 408. @default 10000 */
  readonly requestTimeout?: number;
  /** Where crashes are reported. @default a line on stderr */
  readonly log?: (line: string) => void;
}

export interface HttpServer {
  readonly port: number;
  /** The server process. */
  readonly pid: Pid;
  /** Stops the server, closing every connection; resolves once it is gone. */
  stop(): Promise<void>;
}

type Listening = readonly ['ok', number] | readonly ['error', string];

/** Starts the server in its own processes (from top-level code). Rejects with an Error when it cannot listen. */
export async function startHttp(options: HttpOptions = {}): Promise<HttpServer> {
  const {
    port = 0,
    maxBody = 1 << 20,
    maxHeaders = 100,
    idleTimeout = 15_000,
    requestTimeout = 10_000,
    log = (line: string) => process.stderr.write(`${line}\n`),
  } = options;
  const connection: ConnectionOptions = { maxBody, maxHeaders, idleTimeout, requestTimeout };
  let told!: (outcome: Listening) => void;
  const listening = new Promise<Listening>((resolve) => {
    told = resolve;
  });
  const pid = spawn(server, port, connection, log, told);
  onExit(pid, (reason) => told(['error', `the server exited: ${formatReason(reason)}`]));
  const outcome = await listening;
  if (outcome[0] === 'error') throw new Error(`http: cannot listen on port ${port}: ${outcome[1]}`);
  return {
    port: outcome[1],
    pid,
    stop: () =>
      run(async () => {
        const ref = monitor(pid);
        send(pid, 'stop');
        await receive(['DOWN', ref, 'process', pid, _], after(5000));
      }),
  };
}

async function server(port: number, connection: ConnectionOptions, log: (line: string) => void, told: (outcome: Listening) => void): Promise<void> {
  processFlag('trap_exit', true);
  const listened = await gen_tcp.listen(port, [
    'binary',
    ['packet', 'http_bin'],
    ['active', false],
    ['ip', [127, 0, 0, 1]],
    ['reuseaddr', true],
    ['backlog', 1024],
    // Request and header lines up to 8 KB, as most servers take; a longer one
    // is emsgsize, and the socket closes without an answer.
    ['packet_size', 8192],
    ['nodelay', true],
  ]);
  if (listened[0] === 'error') {
    told(listened);
    return;
  }
  const listenSocket = listened[1];
  const acceptor = spawnLink(acceptLoop, listenSocket, self(), connection, log);
  told(gen_tcp.port(listenSocket));

  for (;;) {
    const m = await receive('stop', ['EXIT', isPid, _]);
    if (m === 'stop') break;
    const [, pid, reason] = m;
    if (pid === acceptor) {
      log(`http: the acceptor exited (${formatReason(reason)}); stopping`);
      break;
    }
    if (reason !== 'normal' && reason !== 'shutdown') log(`http: connection ${pid} crashed: ${formatReason(reason)}`);
  }
  gen_tcp.close(listenSocket);
  exit('shutdown');
}

/** accept, spawn the connection's process, make it the socket's owner, tell it so; again. */
async function acceptLoop(listenSocket: ListenSocket, srv: Pid, connection: ConnectionOptions, log: (line: string) => void): Promise<void> {
  for (let id = 1; ; ) {
    const accepted = await gen_tcp.accept(listenSocket);
    if (accepted[0] === 'error') {
      if (accepted[1] === 'closed') return;
      log(`http: accept failed: ${accepted[1]}`);
      await sleep(100);
      continue;
    }
    const socket = accepted[1];
    const pid = spawn(connectionProcess, socket, id++, srv, connection);
    gen_tcp.controllingProcess(socket, pid);
    send(pid, ['go', socket]);
  }
}

async function connectionProcess(socket: TcpSocket, id: number, srv: Pid, connection: ConnectionOptions): Promise<void> {
  link(srv);
  await receive(['go', socket]);
  await serveConnection(socket, id, connection);
}
