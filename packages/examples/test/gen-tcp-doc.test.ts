/**
 * The gen_tcp documentation's examples (src/gen-tcp-doc) over real sockets on
 * this machine: each ported function in this process, each runner as a
 * child process (one through pnpm, as a user types it), and each against
 * the same example run by Erlang/OTP (test/erlang/gen_tcp_doc.escript), both
 * ways, printing the same lines.
 */
import { createServer, type Server, type Socket as NetSocket } from 'node:net';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { _, after, awaitPromise, isProcessAlive, receive, run, self, send, sleep, spawn, spawnMonitor, type Pid } from '@beamline/runtime';
import { killAll } from '@beamline/runtime/testing';
import * as gen_tcp from '@beamline/gen-tcp';
import { sockets, type TcpSocket } from '@beamline/gen-tcp';
import * as clientServer from '../src/gen-tcp-doc/client-server.ts';
import { client } from '../src/gen-tcp-doc/client.ts';
import * as io from '../src/gen-tcp-doc/io.ts';
import { BadMatch, okMatch as ok } from '../src/gen-tcp-doc/match.ts';
import * as pool from '../src/gen-tcp-doc/pool.ts';
import * as sendTimeout from '../src/gen-tcp-doc/send-timeout.ts';
import { freePort, killChildren, runToEnd, start, startTs } from './children.ts';

const ESCRIPT = 'test/erlang/gen_tcp_doc.escript';
const MAIN = 'src/gen-tcp-doc/main.ts';
const bytes = (text: string): number[] => [...Buffer.from(text)];

/** What the examples print with io:format, collected per test. */
let printed = '';
let restoreOutput: (text: string) => void = () => {};
beforeEach(() => {
  printed = '';
  restoreOutput = io.setOutput((text) => {
    printed += text;
  });
});
afterEach(async () => {
  io.setOutput(restoreOutput);
  await killAll();
});
afterAll(killChildren);

/** Waits (inside a process) until `test()` holds: 5 ms steps, at most `ms`. */
async function until(test: () => boolean, ms = 2000): Promise<void> {
  for (let waited = 0; !test(); waited += 5) {
    if (waited >= ms) throw new Error(`condition not met within ${ms} ms`);
    await sleep(5);
  }
}

const listensOn = (port: number) => () => sockets().some((r) => r.foreign === '*:*' && r.local.endsWith(`:${port}`));

describe('io:format, as the examples use it', () => {
  it('writes terms as ~w and ~p do', () => {
    expect(io.sprintf('accept returned ~w - goodbye!~n', [['error', 'closed']])).toBe('accept returned {error,closed} - goodbye!\n');
    expect(io.sprintf('~p~n', [['ok', bytes('HELLO')]])).toBe('{ok,"HELLO"}\n');
    expect(io.sprintf('~w', [['ok', bytes('HI')]])).toBe('{ok,[72,73]}');
    expect(io.sprintf('~p', [Buffer.from('Some Data')])).toBe('<<"Some Data">>');
    expect(io.sprintf('~p', [Buffer.from([0, 1, 255])])).toBe('<<0,1,255>>');
    expect(io.sprintf('~w ~w ~~ ~s', ['EXIT', 'error_sending', bytes('text')])).toBe("'EXIT' error_sending ~ text");
    expect(() => io.sprintf('~w ~w', ['one'])).toThrow(/no argument for ~w/);
    expect(() => io.sprintf('~x', [1])).toThrow(/unknown directive ~x/);
  });
});

describe('client/0, server/0 and do_recv/2', () => {
  it('server() returns the binary that client() sent', async () => {
    const port = await freePort();
    const got = await run(async () => {
      const me = self();
      spawn(async () => send(me, ['server', await clientServer.server(port)]));
      await until(listensOn(port));
      expect(await clientServer.client(port)).toBe('ok');
      const [, bin] = await receive(['server', _], after(2000, () => ['timeout', null] as const));
      return bin;
    });
    expect(got).toEqual(Buffer.from('Some Data'));
  });

  it('do_recv/2 gathers every packet until the peer closes, and server() closes both sockets', async () => {
    const port = await freePort();
    await run(async () => {
      const me = self();
      spawn(async () => send(me, ['server', await clientServer.server(port)]));
      await until(listensOn(port));
      const s = ok(await gen_tcp.connect('localhost', port, ['binary']));
      for (const piece of ['one ', 'two ', 'three']) {
        expect(await gen_tcp.send(s, piece)).toBe('ok');
        await sleep(30); // separate segments: do_recv's recv(Sock, 0) returns them one by one
      }
      gen_tcp.close(s);
      const [, bin] = await receive(['server', _], after(2000, () => ['timeout', null] as const));
      expect(bin).toEqual(Buffer.from('one two three'));
      expect(sockets().filter((r) => r.local.endsWith(`:${port}`))).toEqual([]);
    });
  });

  it('client() crashes with {badmatch, {error, econnrefused}} when nothing listens', async () => {
    const port = await freePort();
    const reason = await run(async () => {
      const [, ref] = spawnMonitor(clientServer.client, port);
      const [, , , , why] = await receive(['DOWN', ref, 'process', _, _]);
      return why;
    });
    expect(reason).toBeInstanceOf(BadMatch);
    expect((reason as BadMatch).value).toEqual(['error', 'econnrefused']);
    expect((reason as BadMatch).message).toBe("no match of right hand side value [ 'error', 'econnrefused' ]");
  });

  it('pnpm doc:client-server runs both and prints what the server read', async () => {
    const port = await freePort();
    const r = await runToEnd('pnpm', ['--silent', '--filter', '@beamline/examples', 'doc:client-server', '--', '--port', String(port)]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('client() returned ok\nserver() returned <<"Some Data">>\n');
    expect(r.code).toBe(0);
  }, 30_000);

  it('refuses --port 0 with exit code 2: the client could not know the port', async () => {
    const r = await runToEnd(process.execPath, ['--import', 'tsx', MAIN, 'client-server', '--port', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--port must not be 0');
  });

  it('the ported server() reads what the Erlang client() sends', async () => {
    const port = await freePort();
    const got = await run(async () => {
      const me = self();
      spawn(async () => send(me, ['server', await clientServer.server(port)]));
      await until(listensOn(port));
      const erl = await awaitPromise(runToEnd('escript', [ESCRIPT, 'client0', String(port)]));
      expect(erl.stdout).toBe('ok\n');
      const [, bin] = await receive(['server', _], after(5000, () => ['timeout', null] as const));
      return bin;
    });
    expect(got).toEqual(Buffer.from('Some Data'));
  }, 30_000);

  it('the Erlang server() reads what the ported client() sends', async () => {
    const port = await freePort();
    const erl = start('escript', [ESCRIPT, 'server', String(port)]);
    const result = await run(async () => {
      // Erlang's server() prints nothing before it accepts: try while the connection is refused.
      for (let attempt = 1; ; attempt++) {
        const [, ref] = spawnMonitor(clientServer.client, port);
        const [, , , , reason] = await receive(['DOWN', ref, 'process', _, _]);
        if (reason === 'normal' || attempt === 200) return reason;
        await sleep(50);
      }
    });
    expect(result).toBe('normal');
    expect(await erl.exited).toEqual({ code: 0, signal: null });
    expect(erl.stdout).toBe('<<"Some Data">>\n');
  }, 30_000);
});

describe('the acceptor pool: start/2, start_servers/2, server/1, loop/1', () => {
  const lines = (): string[] => printed.split('\n').filter((l) => l !== '');

  it('serves as many connections at once as it has workers; the next waits for a free one', async () => {
    await run(async () => {
      const me = self();
      // The listen socket belongs to the process that calls start/2: this one, until it is told to stop.
      const owner = spawn(async () => {
        send(me, ['port', await pool.start(2, 0)]);
        await receive('stop');
      });
      const [, port] = await receive(['port', _]);
      if (typeof port !== 'number') throw new Error(`start returned ${io.term(port)}`);

      // Two connections that stay open take both workers.
      const held: TcpSocket[] = [];
      for (const word of ['one', 'two']) {
        const s = ok(await gen_tcp.connect('localhost', port, ['binary', ['packet', 2], ['active', false]]));
        expect(await gen_tcp.send(s, word)).toBe('ok');
        expect(await gen_tcp.recv(s, 0, 2000)).toEqual(['ok', Buffer.from(word.toUpperCase())]);
        held.push(s);
      }
      // The worker's end of each: the accepted socket whose peer is the client's local port.
      const rows = held.map((c) => {
        const [, clientPort] = ok(gen_tcp.sockname(c));
        const row = sockets().find((r) => r.local.endsWith(`:${port}`) && r.foreign.endsWith(`:${clientPort}`));
        if (row === undefined) throw new Error('no accepted socket');
        return row;
      });
      expect(rows[0]?.owner).not.toBe(rows[1]?.owner);

      spawn(async () => send(me, ['third', await client(port, 'three')]));
      expect(await receive(['third', _], after(300))).toBeUndefined();

      // The first connection closes: its worker says so, then takes the third client and serves it.
      gen_tcp.close(held[0] as TcpSocket);
      expect(await receive(['third', _], after(2000))).toEqual(['third', ['ok', bytes('THREE')]]);
      await until(() => lines().length === 2);
      expect(lines()[0]).toBe(`Socket ${rows[0]?.port} closed [${rows[0]?.owner}]`);
      expect(lines()[1]).toMatch(new RegExp(`^Socket #Port<0\\.\\d+> closed \\[${escape(String(rows[0]?.owner))}\\]$`));

      gen_tcp.close(held[1] as TcpSocket);
      await until(() => lines().length === 3);
      expect(lines()[2]).toBe(`Socket ${rows[1]?.port} closed [${rows[1]?.owner}]`);

      // The owner of the listen socket exits: both workers' accept returns {error,closed}.
      send(owner, 'stop');
      await until(() => lines().length === 5);
      expect(lines().slice(3)).toEqual(['accept returned {error,closed} - goodbye!', 'accept returned {error,closed} - goodbye!']);
      await until(() => !isProcessAlive(rows[0]?.owner as Pid) && !isProcessAlive(rows[1]?.owner as Pid));
    });
  });

  it('start/2 returns {error, Reason} when it cannot listen', async () => {
    const result = await run(async () => {
      const taken = ok(await gen_tcp.listen(0, []));
      const port = ok(gen_tcp.port(taken));
      return await pool.start(1, port);
    });
    expect(result).toEqual(['error', 'eaddrinuse']);
  });

  it('pnpm doc:pool and doc:client; the Erlang client/2 against the ported pool, the ported client/2 against the Erlang pool', async () => {
    const server = startTs(MAIN, ['pool', '--port', '0', '--workers', '3']);
    const port = Number((await server.waitFor(/^listening (\d+)$/m))[1]);

    const fromRunner = await runToEnd(process.execPath, ['--import', 'tsx', MAIN, 'client', '--port', String(port), '--message', 'from the runner']);
    expect(fromRunner.stdout).toBe('{ok,"FROM THE RUNNER"}\n');
    expect(fromRunner.code).toBe(0);
    const fromErlang = await runToEnd('escript', [ESCRIPT, 'client', String(port), 'from erlang']);
    expect(fromErlang.stdout).toBe('{ok,"FROM ERLANG"}\n');
    const inProcess = await run(() => client(port, ['in ', Buffer.from('process')]));
    expect(inProcess).toEqual(['ok', bytes('IN PROCESS')]);

    expect(await server.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    const out = server.stdout.split('\n').filter((l) => l !== '');
    expect(out[0]).toBe(`listening ${port}`);
    expect(out.filter((l) => /^Socket #Port<0\.\d+> closed \[<0\.\d+\.0>\]$/.test(l))).toHaveLength(3);
    expect(out.filter((l) => l === 'accept returned {error,closed} - goodbye!')).toHaveLength(3);
    expect(out).toHaveLength(7);
    expect(server.stderr).toBe('');

    // The Erlang pool, the same code, answered by the ported client/2.
    const erl = start('escript', [ESCRIPT, 'pool', '2']);
    const erlPort = Number((await erl.waitFor(/^listening (\d+)$/m))[1]);
    expect(await run(() => client(erlPort, 'to erlang'))).toEqual(['ok', bytes('TO ERLANG')]);
    // client/2 closes as it returns: let the Erlang server see that close before the pool stops.
    await erl.waitFor(/^Socket #Port<0\.\d+> closed/m);
    erl.proc.stdin?.end(); // the escript stops when its input closes
    expect(await erl.exited).toEqual({ code: 0, signal: null });
    const erlOut = erl.stdout.split('\n').filter((l) => l !== '');
    expect(erlOut.slice(1, 2)[0]).toMatch(/^Socket #Port<0\.\d+> closed \[<0\.\d+\.0>\]$/);
    expect(erlOut.slice(2)).toEqual(['accept returned {error,closed} - goodbye!', 'accept returned {error,closed} - goodbye!']);
  }, 40_000);
});

describe('the send time-out loop', () => {
  /** A server that accepts and never reads: what the documentation calls a hanging receiver. */
  async function silentServer(): Promise<{ server: Server; port: number; peers: NetSocket[] }> {
    const peers: NetSocket[] = [];
    const server = createServer({ pauseOnConnect: true }, (sock) => {
      peers.push(sock);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { server, port: (server.address() as { port: number }).port, peers };
  }

  /** Hands `chunk` to the loop until it answers something else than data_sent (at most `max` times). */
  async function feed(forwarder: Pid, chunk: Buffer, max: number): Promise<{ sent: number; last: unknown; blockedMs: number }> {
    const me = self();
    for (let sent = 0; sent < max; sent++) {
      const t0 = Date.now();
      send(forwarder, [me, 'send_data', chunk]);
      const [, answer] = await receive([forwarder, _]);
      if (answer !== 'data_sent') return { sent, last: answer, blockedMs: Date.now() - t0 };
    }
    return { sent: max, last: 'data_sent', blockedMs: 0 };
  }

  it('answers {error_sending, timeout} once the server stops reading, after send_timeout, and closes', async () => {
    const peer = await silentServer();
    try {
      const result = await run(async () => {
        const [forwarder, ref] = spawnMonitor(sendTimeout.start, 'localhost', peer.port, 200);
        const fed = await feed(forwarder, Buffer.alloc(60_000, 1), 5000);
        const [, , , , reason] = await receive(['DOWN', ref, 'process', forwarder, _], after(2000, () => [0, 0, 0, 0, 'still alive'] as const));
        return { ...fed, reason };
      });
      expect(result.last).toEqual(['error_sending', 'timeout']);
      // The kernel buffers took some megabytes before send blocked at all.
      expect(result.sent).toBeGreaterThan(2);
      // Not before send_timeout (200 ms); the upper bound only says it fires (generous, for a loaded machine).
      expect(result.blockedMs).toBeGreaterThanOrEqual(190);
      expect(result.blockedMs).toBeLessThan(5000);
      expect(result.reason).toBe('normal'); // loop/1 returned after gen_tcp:close(Sock)
      expect(printed).toBe('Send timeout, closing!\n');
      // The server sees the connection end once it reads again.
      const [socket] = peer.peers;
      const ended = new Promise<void>((resolve) => socket?.once('close', () => resolve()));
      socket?.resume();
      await ended;
    } finally {
      for (const s of peer.peers) s.destroy();
      peer.server.close();
    }
  }, 20_000);

  it('answers {error_sending, Reason} for any other send error', async () => {
    // A server that resets the connection once data arrives.
    const server = createServer((sock) => sock.once('data', () => sock.resetAndDestroy()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const result = await run(async () => {
        const [forwarder, ref] = spawnMonitor(sendTimeout.start, 'localhost', (server.address() as { port: number }).port, 1000);
        const me = self();
        let last: unknown = 'data_sent';
        for (let i = 0; i < 200 && last === 'data_sent'; i++) {
          send(forwarder, [me, 'send_data', Buffer.from('x')]);
          [, last] = await receive([forwarder, _]);
          await sleep(10);
        }
        const [, , , , reason] = await receive(['DOWN', ref, 'process', forwarder, _], after(2000, () => [0, 0, 0, 0, 'still alive'] as const));
        return { last, reason };
      });
      // Without show_econnreset a reset reads as closed.
      expect(result).toEqual({ last: ['error_sending', 'closed'], reason: 'normal' });
      expect(printed).toBe('Some other error on socket (closed), closing');
    } finally {
      server.close();
    }
  });

  it('pnpm doc:send-timeout, with the server it starts itself', async () => {
    const r = await runToEnd('pnpm', ['--silent', '--filter', '@beamline/examples', 'doc:send-timeout', '--', '--send-timeout', '300']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Send timeout, closing!\n\{error_sending,timeout\} after \d+ binaries \(\d+ bytes\) and \d+ ms\n$/);
    expect(r.code).toBe(0);
  }, 30_000);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
