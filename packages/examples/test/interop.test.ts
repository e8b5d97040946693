/**
 * Interop with a real Erlang/OTP, for every packet type, both ways:
 * - Beamline echo servers (startEchoServer, in each active mode) answered by
 *   an Erlang client: one run of erlang/echo_client.escript does every case
 *   against every server and prints a line per case;
 * - an Erlang echo server (one run of erlang/echo_server.escript, a listen
 *   socket per packet type) answered by Beamline clients, passive and active.
 * The cases are echo-cases.ts's, under the same names on both sides: empty
 * payloads, 1 byte, 65,535 bytes with {packet,2}, 1 MiB with {packet,4},
 * lines with and without a trailing delimiter, pipelined HTTP requests…
 *
 * Needs `erl` and `escript` (Debian's erlang-base; .ci/run installs it).
 * Without them every test here fails and says so: nothing is skipped.
 */
import { spawn as spawnChild, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll } from '@beamline/runtime/testing';
import type { PacketType } from '@beamline/gen-tcp';
import { startEchoServer, type EchoActive, type EchoServer } from '../src/echo-server.ts';
import { casesFor, expectedResults, PACKET_TYPES, runCase, type ClientMode } from './echo-cases.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const erlangDir = path.join(here, 'erlang');

/** Fails with instructions when Erlang/OTP is not installed. */
function requireErlang(): void {
  for (const [cmd, args] of [
    ['erl', ['-noshell', '-eval', 'halt().']],
    ['escript', [path.join(erlangDir, 'echo_client.escript')]],
  ] as const) {
    const r = spawnSync(cmd, args, { timeout: 30_000, stdio: 'ignore' });
    if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
      throw new Error(
        `${cmd} was not found: these interop tests need Erlang/OTP. Install erlang-base (Debian/Ubuntu: apt-get install erlang-base; .ci/run installs it when erl is missing).`,
      );
    }
    if (r.error !== undefined || r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${String(r.error ?? `exit status ${String(r.status)}`)}`);
  }
}

/** Every case passing, keyed by case name: what each `ok` line of the escript adds up to. */
const allOk = (type: PacketType): Record<string, string> => Object.fromEntries(casesFor(type).map((c) => [c.name, 'ok']));

// ---------------------------------------------------------------------------

describe('Beamline echo server, Erlang client', () => {
  const MODES: readonly [label: string, active: EchoActive][] = [
    ['passive', false],
    ['true', true],
    ['once', 'once'],
    ['n3', 3],
  ];
  const servers: { type: PacketType; label: string; server: EchoServer }[] = [];
  const logs: string[] = [];
  /** `type\tlabel` → case name → `'ok'` or what failed. */
  const results = new Map<string, Record<string, string>>();
  let run: { code: number | null; stdout: string; stderr: string } = { code: null, stdout: '', stderr: '' };

  beforeAll(async () => {
    requireErlang();
    for (const type of PACKET_TYPES) {
      for (const [label, active] of MODES) {
        servers.push({ type, label, server: await startEchoServer({ packet: type, active, log: (l) => logs.push(l) }) });
      }
    }
    const args = servers.map((s) => `${String(s.type)}:${s.server.port}:${s.label}`);
    run = await new Promise((resolve) => {
      const child = spawnChild('escript', [path.join(erlangDir, 'echo_client.escript'), ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 150_000 });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('exit', (code) => resolve({ code, stdout, stderr }));
    });
    for (const line of run.stdout.split('\n')) {
      const [verdict, type, label, name, what] = line.split('\t');
      if (verdict !== 'ok' && verdict !== 'FAIL') continue;
      const key = `${type}\t${label}`;
      const entry = results.get(key) ?? {};
      entry[name as string] = verdict === 'ok' ? 'ok' : `FAIL ${what ?? ''}`;
      results.set(key, entry);
    }
  }, 180_000);

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.server.stop()));
    await killAll();
  });

  it('the Erlang client ran every case to the end', () => {
    const total = PACKET_TYPES.reduce<number>((n, type) => n + casesFor(type).length * MODES.length, 0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain(`done ${total}\n`);
    expect(run.code).toBe(0);
  });

  it.each(PACKET_TYPES.map((type) => [type]))('{packet, %j}: the Erlang client reads back what it sent, from a server in every active mode', (type) => {
    for (const [label] of MODES) {
      expect(results.get(`${String(type)}\t${label}`), `server --active ${label}`).toEqual(allOk(type));
    }
  });

  it('no server reported an error or a crash', () => {
    expect(logs).toEqual([]);
  });
});

// ---------------------------------------------------------------------------

interface ErlangServer {
  readonly child: ChildProcess;
  readonly ports: ReadonlyMap<string, number>;
  stderr(): string;
}

/** Starts echo_server.escript for every packet type; resolves once it prints `ready`. */
function startErlangServer(): Promise<ErlangServer> {
  const child = spawnChild('escript', [path.join(erlangDir, 'echo_server.escript'), ...PACKET_TYPES.map(String)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`echo_server.escript printed no "ready" within 30 s; stdout: ${stdout}; stderr: ${stderr}`));
    }, 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`echo_server.escript exited with ${String(code)}; stderr: ${stderr}`));
    });
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!/^ready \d+$/m.test(stdout)) return;
      clearTimeout(timer);
      const ports = new Map<string, number>();
      for (const m of stdout.matchAll(/^listening (\S+) (\d+)$/gm)) ports.set(m[1] as string, Number(m[2]));
      resolve({ child, ports, stderr: () => stderr });
    });
  });
}

async function stopErlangServer(server: ErlangServer | undefined): Promise<void> {
  if (server === undefined || server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  // Closing its stdin is how it is told to stop; a kill if it does not.
  server.child.stdin?.end();
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

describe('Erlang echo server, Beamline client', () => {
  const CLIENT_MODES: readonly ClientMode[] = [false, true, 'once'];
  let erlang: ErlangServer | undefined;

  beforeAll(async () => {
    requireErlang();
    erlang = await startErlangServer();
  }, 60_000);

  afterAll(async () => {
    await stopErlangServer(erlang);
    await killAll();
  }, 15_000);

  it.each(PACKET_TYPES.map((type) => [type]))('{packet, %j}: a Beamline client reads back what it sent, passive, active and once', async (type) => {
    const port = erlang?.ports.get(String(type));
    expect(port, 'the Erlang server listens for this type').toBeDefined();
    for (const mode of CLIENT_MODES) {
      const results: Record<string, unknown> = {};
      for (const c of casesFor(type)) results[c.name] = await runCase(port!, type, c, mode);
      expect(results, `client active ${String(mode)}`).toEqual(expectedResults(type));
    }
  }, 60_000);

  it('the Erlang server reported nothing on stderr and is still up', () => {
    expect(erlang?.stderr()).toBe('');
    expect(erlang?.child.exitCode).toBeNull();
  });
});
