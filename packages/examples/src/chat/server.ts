/**
 * The chat server: a line-based chat over gen_tcp, one process per client.
 *
 * Processes:
 *
 *   server (traps exits; owns the listen socket)
 *     ├── registry (linked)  ── rooms (linked to the registry)
 *     ├── acceptor (linked)  accept → spawn a client → hand it the socket → accept …
 *     └── clients (each links itself to the server)
 *
 * The server hears of every exit: a client that crashed is logged (its room
 * and the registry clean up through their monitors); the registry or the
 * acceptor failing stops the whole server. `stop()` ends the server with
 * reason `shutdown`, and the links carry it to every other process; each
 * client's socket closes as its owner goes.
 */
import { _, exit, formatReason, isPid, onExit, processFlag, receive, self, send, sleep, spawn, spawnLink, type Pid } from '@beamline/runtime';
import * as gen_tcp from '@beamline/gen-tcp';
import type { ListenSocket } from '@beamline/gen-tcp';
import { chatClient } from './client.js';
import { registry } from './registry.js';

export interface ChatOptions {
  /** TCP port on 127.0.0.1, 0 for any free one. @default 0 */
  readonly port?: number;
  /** How long a write to a client may wait on a client that does not read before it is dropped (ms). @default 5000 */
  readonly sendTimeout?: number;
  /** Where crashes of client processes are reported. @default a line on stderr */
  readonly log?: (line: string) => void;
}

export interface ChatServer {
  /** The port the server listens on. */
  readonly port: number;
  /** The server process. */
  readonly pid: Pid;
  /** Stops the server and every process of it, closing every connection; resolves once it is gone. */
  stop(): Promise<void>;
}

type Listening = readonly ['ok', number] | readonly ['error', string];

/**
 * Starts a chat server in its own processes. Call it from top-level code
 * (inside a process, wrap it in `awaitPromise`). Rejects with an Error when
 * the server cannot listen (`eaddrinuse`, …).
 */
export async function startChat(options: ChatOptions = {}): Promise<ChatServer> {
  const { port = 0, sendTimeout = 5000, log = (line: string) => process.stderr.write(`${line}\n`) } = options;
  let told!: (outcome: Listening) => void;
  const listening = new Promise<Listening>((resolve) => {
    told = resolve;
  });
  const pid = spawn(server, port, sendTimeout, log, told);
  const exited = new Promise<void>((resolve) => {
    onExit(pid, (reason) => {
      // A server that dies before it listens answers too (a later answer is ignored).
      told(['error', `the server exited: ${formatReason(reason)}`]);
      resolve();
    });
  });
  const outcome = await listening;
  if (outcome[0] === 'error') throw new Error(`chat: cannot listen on port ${port}: ${outcome[1]}`);
  return {
    port: outcome[1],
    pid,
    // A plain promise, not run(): inside a process it is awaited through awaitPromise, like start.
    stop: async () => {
      send(pid, 'stop');
      await exited;
    },
  };
}

async function server(port: number, sendTimeout: number, log: (line: string) => void, told: (outcome: Listening) => void): Promise<void> {
  processFlag('trap_exit', true);
  const listened = await gen_tcp.listen(port, [
    'binary',
    ['packet', 'line'],
    ['active', false],
    ['ip', [127, 0, 0, 1]],
    ['reuseaddr', true],
    // A client that stops reading is dropped rather than left to fill memory.
    ['send_timeout', sendTimeout],
    ['send_timeout_close', true],
  ]);
  if (listened[0] === 'error') {
    told(listened);
    return;
  }
  const listenSocket = listened[1];
  const reg = spawnLink(registry, self());
  const acceptor = spawnLink(acceptLoop, listenSocket, reg, self(), log);
  told(gen_tcp.port(listenSocket));

  for (;;) {
    const m = await receive('stop', ['EXIT', isPid, _]);
    if (m === 'stop') break;
    const [, pid, reason] = m;
    if (pid === reg || pid === acceptor) {
      log(`chat: the ${pid === reg ? 'registry' : 'acceptor'} exited (${formatReason(reason)}); stopping`);
      break;
    }
    if (reason !== 'normal' && reason !== 'shutdown') log(`chat: client ${pid} crashed: ${formatReason(reason)}`);
  }
  gen_tcp.close(listenSocket);
  exit('shutdown');
}

/** accept, spawn the client's process, make it the socket's owner, tell it so; again. */
async function acceptLoop(listenSocket: ListenSocket, reg: Pid, srv: Pid, log: (line: string) => void): Promise<void> {
  for (;;) {
    const accepted = await gen_tcp.accept(listenSocket);
    if (accepted[0] === 'error') {
      if (accepted[1] === 'closed') return;
      // Out of file descriptors or the like: a server waits a little and goes on.
      log(`chat: accept failed: ${accepted[1]}`);
      await sleep(100);
      continue;
    }
    const socket = accepted[1];
    const pid = spawn(chatClient, socket, reg, srv);
    gen_tcp.controllingProcess(socket, pid);
    send(pid, ['go', socket]);
  }
}
