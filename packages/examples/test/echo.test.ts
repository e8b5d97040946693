/**
 * The `echo` command (src/echo.ts) and the server behind it
 * (src/echo-server.ts): its arguments, what it sends back for each packet
 * type, and the command itself run as a child process, answered by
 * Beamline clients for every packet type and every case of echo-cases.ts.
 * Every child is bounded in time and killed at the end.
 */
import { spawn as spawnChild, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { awaitPromise, exit, isProcessAlive, run } from '@beamline/runtime';
import { killAll } from '@beamline/runtime/testing';
import * as gen_tcp from '@beamline/gen-tcp';
import type { PacketType } from '@beamline/gen-tcp';
import { parseEchoArgs } from '../src/echo-args.ts';
import { echoReply, startEchoServer, type EchoActive } from '../src/echo-server.ts';
import { casesFor, expectedResults, PACKET_TYPES, runCase, type ClientMode } from './echo-cases.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const examplesDir = path.join(here, '..');
const repoRoot = path.join(examplesDir, '../..');

// ---------------------------------------------------------------------------
// Arguments

describe('echo arguments', () => {
  it.each([
    [['--port', '0', '--packet', '4'], { kind: 'run', port: 0, packet: 4, active: false }],
    [['--', '--port', '7000', '--packet', 'raw', '--active', 'once'], { kind: 'run', port: 7000, packet: 'raw', active: 'once' }],
    [['--packet=http_bin', '--port=65535', '--active=true'], { kind: 'run', port: 65535, packet: 'http_bin', active: true }],
    [['--port', '1', '--packet', '0', '--active', '32767'], { kind: 'run', port: 1, packet: 0, active: 32767 }],
    [['--port', '1', '--packet', 'line', '--active', 'false'], { kind: 'run', port: 1, packet: 'line', active: false }],
    [['--port', '1', '--packet', '2', '--help'], { kind: 'help' }],
  ])('%j', (argv, expected) => {
    expect(parseEchoArgs(argv)).toEqual(expected);
  });

  it('takes every packet type by its Erlang name', () => {
    for (const type of PACKET_TYPES) {
      expect(parseEchoArgs(['--port', '0', '--packet', String(type)])).toMatchObject({ kind: 'run', packet: type });
    }
  });

  it.each([
    [['--packet', '4'], '--port is required'],
    [['--port', '0'], '--packet is required'],
    [['--port', '0', '--packet', '4', '--verbose'], 'unknown option --verbose'],
    [['--port', '0', '--packet', '4', '-v'], 'unknown option -v'],
    [['--port', '0', '--packet', '4', 'extra'], 'unexpected argument "extra"'],
    [['--port', '0', '--port', '1', '--packet', '4'], '--port given twice'],
    [['--port', '--packet', '4'], '--port needs a value'],
    [['--port', '0', '--packet'], '--packet needs a value'],
    [['--port', '65536', '--packet', '4'], '--port must be an integer from 0 to 65535, got "65536"'],
    [['--port', '-1', '--packet', '4'], '--port must be an integer from 0 to 65535, got "-1"'],
    [['--port', '8x', '--packet', '4'], '--port must be an integer from 0 to 65535, got "8x"'],
    [['--port', '0', '--packet', '3'], 'got "3"'],
    [['--port', '0', '--packet', 'HTTP'], 'got "HTTP"'],
    [['--port', '0', '--packet', '4', '--active', '0'], '--active must be once, true, false or an integer from 1 to 32767, got "0"'],
    [['--port', '0', '--packet', '4', '--active', '32768'], 'got "32768"'],
    [['--port', '0', '--packet', '4', '--active', 'yes'], 'got "yes"'],
  ])('%j is refused: %s', (argv, message) => {
    const r = parseEchoArgs(argv);
    expect(r.kind).toBe('error');
    expect((r as { message: string }).message).toContain(message);
  });
});

// ---------------------------------------------------------------------------
// What is sent back

describe('echoReply', () => {
  it('sends 1/2/4 and the header-keeping types as received (send adds the 1/2/4 header)', () => {
    const data = Buffer.from([1, 2, 3]);
    for (const type of [1, 2, 4, 'raw', 0, 'line', 'asn1', 'cdr', 'sunrm', 'tpkt'] as const) expect(echoReply(type, data)).toBe(data);
  });

  it('gives an fcgi record its padding back, as zero bytes', () => {
    const record = Buffer.from([1, 5, 0, 1, 0, 2, 3, 0, 0x61, 0x62]);
    expect(Buffer.concat(echoReply('fcgi', record) as Buffer[])).toEqual(Buffer.from([1, 5, 0, 1, 0, 2, 3, 0, 0x61, 0x62, 0, 0, 0]));
  });

  it('turns an HTTP term back into its line', () => {
    expect((echoReply('http', ['http_request', 'GET', ['abs_path', [47]], [1, 1]]) as Buffer).toString()).toBe('GET / HTTP/1.1\r\n');
    expect((echoReply('httph_bin', 'http_eoh') as Buffer).toString()).toBe('\r\n');
  });

  it('refuses a byte packet that is not a Buffer with badarg', () => {
    expect(() => echoReply(4, 'text')).toThrow(/badarg.*echoReply/s);
  });
});

// ---------------------------------------------------------------------------
// startEchoServer, in this process

describe('startEchoServer', () => {
  afterEach(async () => {
    await killAll();
  });

  it('refuses bad options with badarg', async () => {
    await expect(startEchoServer({ packet: 3 as unknown as PacketType })).rejects.toThrow(/badarg.*not a packet type: 3/s);
    await expect(startEchoServer({ packet: 4, port: 70000 })).rejects.toThrow(/badarg.*port must be an integer/s);
    await expect(startEchoServer({ packet: 4, active: 0 })).rejects.toThrow(/badarg.*active must be/s);
    await expect(startEchoServer({ packet: 4, active: 'twice' as unknown as EchoActive })).rejects.toThrow(/badarg.*active must be/s);
  });

  it('rejects with the posix reason when the port is taken', async () => {
    const logs: string[] = [];
    const first = await startEchoServer({ packet: 4, log: (l) => logs.push(l) });
    await expect(startEchoServer({ packet: 4, port: first.port })).rejects.toThrow(`echo server: cannot listen on port ${first.port}: eaddrinuse`);
    await first.stop();
    expect(logs).toEqual([]);
  });

  it('serves several connections at once, and stop closes them and the listen socket', async () => {
    const logs: string[] = [];
    const server = await startEchoServer({ packet: 2, active: 'once', log: (l) => logs.push(l) });
    const result = await run(async () => {
      const clients: gen_tcp.TcpSocket[] = [];
      for (let i = 0; i < 3; i++) {
        const c = await gen_tcp.connect([127, 0, 0, 1], server.port, ['binary', ['packet', 2], ['active', false]], 2000);
        if (c[0] === 'error') throw new Error(`connect: ${c[1]}`);
        clients.push(c[1]);
      }
      const echoed: string[] = [];
      for (const [i, c] of clients.entries()) await gen_tcp.send(c, `client ${i}`);
      for (const c of clients) {
        const r = await gen_tcp.recv(c, 0, 2000);
        echoed.push(r[0] === 'ok' ? (r[1] as Buffer).toString() : `error ${String(r[1])}`);
      }
      return { clients, echoed };
    });
    expect(result.echoed).toEqual(['client 0', 'client 1', 'client 2']);
    await server.stop();
    const after = await run(async () => {
      const ends = [];
      for (const c of result.clients) ends.push(await gen_tcp.recv(c, 0, 2000));
      const again = await gen_tcp.connect([127, 0, 0, 1], server.port, ['binary'], 2000);
      return { ends, again };
    });
    expect(after.ends).toEqual([['error', 'closed'], ['error', 'closed'], ['error', 'closed']]);
    expect(after.again).toEqual(['error', 'econnrefused']);
    expect(logs).toEqual([]);
  });

  it('starts from inside a process through awaitPromise; stop resolves after a kill too', async () => {
    const logs: string[] = [];
    const outcome = await run(async () => {
      const server = await awaitPromise(startEchoServer({ packet: 'line', active: true, log: (l) => logs.push(l) }));
      const connected = await gen_tcp.connect([127, 0, 0, 1], server.port, ['binary', ['packet', 'line'], ['active', false]], 2000);
      if (connected[0] === 'error') throw new Error(`connect: ${connected[1]}`);
      const c = connected[1];
      await gen_tcp.send(c, 'hi\n');
      const echoed = await gen_tcp.recv(c, 0, 2000);
      // The connection's process is linked to the server: it goes with it, and so does its socket.
      exit(server.pid, 'kill');
      await awaitPromise(server.stop());
      return { echoed, after: await gen_tcp.recv(c, 0, 2000), alive: isProcessAlive(server.pid) };
    });
    expect(outcome).toEqual({ echoed: ['ok', Buffer.from('hi\n')], after: ['error', 'closed'], alive: false });
    expect(logs).toEqual([]);
  });

  it.each([false, true, 'once', 2] as const)('with active %j, logs emsgsize and closes on a header over the limit', async (active) => {
    const logs: string[] = [];
    const server = await startEchoServer({ packet: 4, active, log: (l) => logs.push(l) });
    const end = await run(async () => {
      const connected = await gen_tcp.connect([127, 0, 0, 1], server.port, ['binary', ['active', false]], 2000);
      if (connected[0] === 'error') throw new Error(`connect: ${connected[1]}`);
      const c = connected[1];
      // A good packet and its echo, then a 4-byte length no OTP receiver accepts. (Both
      // in one write would lose the echo in active true/N: gen-tcp closes the socket as
      // soon as it frames the bad header, before the owner has answered the good packet.)
      await gen_tcp.send(c, [[0, 0, 0, 2], 'ok']);
      const first = await gen_tcp.recv(c, 6, 2000);
      await gen_tcp.send(c, [0xff, 0xff, 0xff, 0xff]);
      const then = await gen_tcp.recv(c, 0, 2000);
      return [first, then];
    });
    expect(end).toEqual([['ok', Buffer.from([0, 0, 0, 2, 0x6f, 0x6b])], ['error', 'closed']]);
    await server.stop();
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/^echo: #Port<0\.\d+>: (recv failed: )?emsgsize$/);
  });
});

// ---------------------------------------------------------------------------
// The command, as a child process

interface Cli {
  readonly port: number;
  readonly child: ChildProcess;
  stderr(): string;
  stop(): Promise<void>;
}

/** Waits this long for `listening <port>` (generous: other test runs may load the machine). */
const START_TIMEOUT = 60_000;

/**
 * Starts the echo command and resolves once it prints `listening <port>`;
 * rejects with its stderr if it exits or stays silent. `viaPnpm` runs it as
 * the README says, through the package script, in its own process group so
 * that pnpm, tsx and node all go at the end.
 */
function startCli(args: readonly string[], viaPnpm = false): Promise<Cli> {
  const child = viaPnpm
    ? spawnChild('pnpm', ['--filter', '@beamline/examples', 'echo', '--', ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    : spawnChild(process.execPath, ['--import', 'tsx', 'src/echo.ts', ...args], { cwd: examplesDir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const kill = (signal: NodeJS.Signals): void => {
      try {
        if (viaPnpm && child.pid !== undefined) process.kill(-child.pid, signal);
        else child.kill(signal);
      } catch {
        // already gone
      }
    };
    kill('SIGTERM');
    const timer = setTimeout(() => kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise<Cli>((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`echo ${args.join(' ')}: no "listening" line within ${START_TIMEOUT} ms; stderr: ${stderr}`));
    }, START_TIMEOUT);
    const onData = (): void => {
      const m = /^listening (\d+)$/m.exec(stdout);
      if (m === null) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      resolve({ port: Number(m[1]), child, stderr: () => stderr, stop });
    };
    child.stdout?.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`echo ${args.join(' ')} exited with ${String(code)} before listening; stderr: ${stderr}`));
    });
  });
}

/** Runs the command to its end (for arguments it must refuse), bounded in time. */
function runCliToEnd(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawnChild(process.execPath, ['--import', 'tsx', 'src/echo.ts', ...args], { cwd: examplesDir, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const SERVER_MODES: readonly string[] = ['false', 'true', 'once', '3'];
const CLIENT_MODES: readonly ClientMode[] = [false, true, 'once'];

describe('echo command', () => {
  // One command per packet type, started together; server and client modes
  // rotate so that every mode meets several packet types.
  const runs = PACKET_TYPES.map((type, i) => ({
    type,
    active: SERVER_MODES[i % SERVER_MODES.length] as string,
    client: CLIENT_MODES[i % CLIENT_MODES.length] as ClientMode,
  }));
  const clis = new Map<PacketType, Cli>();

  beforeAll(async () => {
    // Three start-ups at a time: the machine is shared, and each one compiles with tsx.
    const queue = [...runs];
    const starter = async (): Promise<void> => {
      for (let r = queue.shift(); r !== undefined; r = queue.shift()) {
        clis.set(r.type, await startCli(['--port', '0', '--packet', String(r.type), '--active', r.active]));
      }
    };
    await Promise.all([starter(), starter(), starter()]);
  }, 240_000);

  afterAll(async () => {
    await Promise.all([...clis.values()].map((c) => c.stop()));
    await killAll();
  }, 15_000);

  it.each(runs)('--packet $type --active $active: every case comes back (client active $client)', async ({ type, client }) => {
    const cli = clis.get(type);
    expect(cli, 'the command started').toBeDefined();
    const results: Record<string, unknown> = {};
    for (const c of casesFor(type)) results[c.name] = await runCase(cli!.port, type, c, client);
    expect(results).toEqual(expectedResults(type));
    // Nothing for a peer to worry about was reported.
    expect(cli!.stderr()).toBe('');
  }, 60_000);

  it('serves connections one after another and side by side, until killed', async () => {
    const cli = clis.get(4)!;
    const [oneCase] = casesFor(4);
    const together = await Promise.all([0, 1, 2, 3].map(() => runCase(cli.port, 4, casesFor(4)[2]!, false)));
    for (const r of together) expect(r).toEqual(expectedResults(4)['65535 bytes']);
    expect(await runCase(cli.port, 4, oneCase!)).toEqual(expectedResults(4)['empty']);
    expect(cli.child.exitCode).toBeNull();
  }, 60_000);

  it('runs from the package script: pnpm --filter @beamline/examples echo -- --port 0 --packet 2 --active once', async () => {
    const cli = await startCli(['--port', '0', '--packet', '2', '--active', 'once'], true);
    try {
      const c = casesFor(2).find((x) => x.name === '65535 bytes')!;
      expect(await runCase(cli.port, 2, c)).toEqual(expectedResults(2)['65535 bytes']);
    } finally {
      await cli.stop();
    }
  }, 90_000);

  it('says what is wrong with its arguments on stderr, with the usage, and exits 2', async () => {
    const bad = await runCliToEnd(['--port', '0', '--packet', '4', '--colour', 'red']);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^echo: unknown option --colour\n\nusage: pnpm --filter @beamline\/examples echo -- --port P --packet T/);
    const help = await runCliToEnd(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: /);
  }, 90_000);

  it('exits 1 with the reason when it cannot listen', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const r = await runCliToEnd(['--port', String(port), '--packet', 'line']);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`echo: echo server: cannot listen on port ${port}: eaddrinuse\n`);
      expect(r.stdout).toBe('');
    } finally {
      taken.close();
    }
  }, 90_000);
});
