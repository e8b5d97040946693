/**
 * Runs one gen_tcp documentation example from the command line:
 *
 *   pnpm --filter @beamline/examples doc:client-server -- [--port 5678]
 *   pnpm --filter @beamline/examples doc:pool -- [--port 0] [--workers 3]
 *   pnpm --filter @beamline/examples doc:client -- --port P [--message hello]
 *   pnpm --filter @beamline/examples doc:send-timeout -- [--port P] [--send-timeout 5000]
 *
 * (or `tsx src/gen-tcp-doc/main.ts <example> [flags]`). Exit code 0 when the
 * example did what the documentation says, 1 when it did not, 2 for a bad
 * command line.
 */
import { isDeepStrictEqual } from 'node:util';
import { _, after, exit, receive, run, self, send, sleep, spawn, spawnMonitor } from '@beamline/runtime';
import * as gen_tcp from '@beamline/gen-tcp';
import { flagsOrExit, usageError } from '../flags.js';
import * as clientServer from './client-server.js';
import { client as poolClient } from './client.js';
import * as io from './io.js';
import { BadMatch, okMatch } from './match.js';
import * as pool from './pool.js';
import * as sendTimeout from './send-timeout.js';

const USAGE = `usage: tsx src/gen-tcp-doc/main.ts <example> [flags]

  client-server [--port 5678]   server() and client(): the server prints the binary it read
  pool [--port 0] [--workers 3] start(Num, LPort): prints "listening <port>", serves until
                                SIGINT/SIGTERM, then its workers say goodbye
  client --port P [--message M] client(PortNo, Message) against a running pool
  send-timeout [--port P] [--send-timeout MS]
                                forwards binaries to a server that never reads (one is
                                started here unless --port is given) until send times out`;

const [example, ...argv] = process.argv.slice(2);
switch (example) {
  case 'client-server': {
    const flags = flagsOrExit('client-server', USAGE, argv, { port: 'port' });
    // The client connects to the port the server listens on, so it must be known beforehand.
    if (flags.port === 0) usageError('client-server', USAGE, '--port must not be 0: client() must know the port server() listens on');
    await runClientServer(flags.port ?? clientServer.PORT);
    break;
  }
  case 'pool': {
    const flags = flagsOrExit('pool', USAGE, argv, { port: 'port', workers: 'count' });
    await runPool(flags.workers ?? 3, flags.port ?? 0);
    break;
  }
  case 'client': {
    const flags = flagsOrExit('client', USAGE, argv, { port: 'port', message: 'text' });
    if (flags.port === undefined) usageError('client', USAGE, '--port is required');
    await runClient(flags.port, flags.message ?? 'hello');
    break;
  }
  case 'send-timeout': {
    const flags = flagsOrExit('send-timeout', USAGE, argv, { port: 'port', 'send-timeout': 'count' });
    await runSendTimeout(flags.port, flags['send-timeout'] ?? 5000);
    break;
  }
  default:
    usageError('gen-tcp-doc', USAGE, example === undefined ? 'which example?' : `unknown example ${JSON.stringify(example)}`);
}

/** server() in one process and client() in another, as in two Erlang shells. */
async function runClientServer(port: number): Promise<void> {
  await run(async () => {
    const me = self();
    const [srv, srvRef] = spawnMonitor(async () => {
      send(me, ['server returned', await clientServer.server(port)]);
    });
    // In the documentation client() runs in another shell once server() listens.
    // Here it is tried again while the connection is refused: 100 tries, 20 ms apart.
    for (let attempt = 1; ; attempt++) {
      const [, ref] = spawnMonitor(clientServer.client, port);
      const [, , , , reason] = await receive(['DOWN', ref, 'process', _, _]);
      if (reason === 'normal') break;
      const refused = reason instanceof BadMatch && isDeepStrictEqual(reason.value, ['error', 'econnrefused']);
      if (!refused || attempt === 100) {
        exit(srv, 'kill');
        return fail(`client() failed: ${String(reason)}`);
      }
      await sleep(20);
    }
    io.format('client() returned ok~n', []);
    const m = await receive(['server returned', _], ['DOWN', srvRef, 'process', srv, _], after(5000));
    if (m === undefined) {
      exit(srv, 'kill');
      return fail('server() did not return within 5 s');
    }
    if (m[0] === 'DOWN') return fail(`server() failed: ${String(m[4])}`);
    io.format('server() returned ~p~n', [m[1]]);
  });
}

/** start(Num, LPort); the listen socket lives as long as this process. */
async function runPool(num: number, lPort: number): Promise<void> {
  await run(async () => {
    const port = await pool.start(num, lPort);
    if (typeof port !== 'number') return fail(`start(${num}, ${lPort}) returned ${io.term(port)}`);
    const me = self();
    const stop = (): void => {
      send(me, 'stop');
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    process.stdout.write(`listening ${port}\n`);
    await receive('stop');
    // Returning closes the listen socket: each worker's accept returns {error,closed}.
    return undefined;
  });
  // Let the workers print their goodbyes; connections still open do not keep the program alive.
  setTimeout(() => process.exit(process.exitCode ?? 0), 300).unref();
}

async function runClient(port: number, message: string): Promise<void> {
  await run(async () => {
    const a = await poolClient(port, message);
    io.format('~p~n', [a]);
    if (a[0] !== 'ok') process.exitCode = 1;
  });
}

/**
 * A client process hands 60,000-byte binaries to the loop of send-timeout.ts
 * until the answer is not data_sent. Without --port the server is a process
 * here that accepts and never reads.
 */
async function runSendTimeout(port: number | undefined, timeout: number): Promise<void> {
  await run(async () => {
    const me = self();
    let silent = null;
    if (port === undefined) {
      silent = spawn(async () => {
        const l = okMatch(await gen_tcp.listen(0, ['binary', ['active', false], ['ip', [127, 0, 0, 1]]]));
        send(me, ['port', okMatch(gen_tcp.port(l))]);
        okMatch(await gen_tcp.accept(l)); // and never recv: the peer's window fills up
        await sleep('infinity');
      });
      const [, p] = await receive(['port', _]);
      port = p as number;
    }
    const [forwarder, ref] = spawnMonitor(sendTimeout.start, 'localhost', port, timeout);
    const chunk = Buffer.alloc(60_000, 0x2a);
    const started = Date.now();
    let sent = 0;
    // Bounded: 20,000 binaries are 1.2 GB, far more than any socket buffers.
    for (; sent < 20_000; sent++) {
      send(forwarder, [me, 'send_data', chunk]);
      const reply = await receive([forwarder, _], ['DOWN', ref, 'process', forwarder, _]);
      if (reply[0] === 'DOWN') return fail(`the forwarder died: ${String(reply[4])}`);
      if (reply[1] === 'data_sent') continue;
      io.format('~w after ~w binaries (~w bytes) and ~w ms~n', [reply[1], sent, sent * chunk.length, Date.now() - started]);
      if (!isDeepStrictEqual(reply[1], ['error_sending', 'timeout'])) process.exitCode = 1;
      break;
    }
    if (sent === 20_000) fail('every send succeeded: the server was reading after all');
    if (silent !== null) exit(silent, 'kill');
  });
}

function fail(message: string): undefined {
  process.stderr.write(`${message}\n`);
  process.exitCode = 1;
  return undefined;
}
