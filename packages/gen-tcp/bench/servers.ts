/**
 * The servers of a network scenario, each in its own OS process: Beamline
 * (`server-beamline.ts`), raw `node:net` (`server-raw.ts`) and Erlang/OTP
 * (`erlang/net_bench.escript`). A server prints `PORT <n>` once it listens,
 * answers commands on its stdin with one line on its stdout, and exits when
 * its stdin closes, so a scenario that dies takes its servers with it.
 *
 * Commands: `BASE` (note the memory now, after GC) and `MEMORY <n>` (wait
 * for n open connections, then print `MEMORY <bytes per connection>` over
 * `BASE`; the Node servers add ` RSS <bytes>`, their resident set growth per
 * connection).
 */
import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { within } from './client.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const packageDir = path.resolve(here, '..');
export const escriptPath = path.join(here, 'erlang/net_bench.escript');

export type Impl = 'beamline' | 'raw' | 'erlang';

/** Whether the Erlang column can run (`escript` on the PATH). */
export const hasErlang = spawnSync('escript', ['-h'], { stdio: 'ignore' }).error === undefined;

export const NO_ERLANG =
  'Erlang/OTP column skipped: escript not found (Debian/Ubuntu: apt-get install -y erlang-base)';

export class Server {
  readonly #child: ChildProcessByStdio<Writable, Readable, null>;
  readonly #lines: string[] = [];
  #waiting: ((line: string) => void) | null = null;
  #exited = false;
  port = 0;

  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
  ) {
    this.#child = spawn(command, args, { cwd: packageDir, stdio: ['pipe', 'pipe', 'inherit'] });
    let partial = '';
    this.#child.stdout.setEncoding('utf8');
    this.#child.stdout.on('data', (text: string) => {
      partial += text;
      for (let nl = partial.indexOf('\n'); nl >= 0; nl = partial.indexOf('\n')) {
        const line = partial.slice(0, nl).trim();
        partial = partial.slice(nl + 1);
        if (line === '') continue;
        const waiting = this.#waiting;
        if (waiting !== null) {
          this.#waiting = null;
          waiting(line);
        } else {
          this.#lines.push(line);
        }
      }
    });
    this.#child.on('exit', () => {
      this.#exited = true;
      this.#waiting?.('EXITED');
    });
  }

  /** The server's OS process id (for the Erlang server, the VM's). */
  get pid(): number {
    return this.#child.pid ?? -1;
  }

  /** The next line the server prints, within `ms`. */
  nextLine(ms: number): Promise<string> {
    const queued = this.#lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.#exited) return Promise.reject(new Error(`${this.name} server exited`));
    return within(
      ms,
      `${this.name} server`,
      new Promise<string>((resolve, reject) => {
        this.#waiting = (line) => (line === 'EXITED' ? reject(new Error(`${this.name} server exited`)) : resolve(line));
      }),
    ).finally(() => {
      this.#waiting = null;
    });
  }

  /** Sends a command line and returns the answer line. */
  async command(line: string, ms: number): Promise<string> {
    this.#child.stdin.write(`${line}\n`);
    return this.nextLine(ms);
  }

  /** Closes its stdin (it exits) and waits for it to go, killing it after `ms`. */
  async stop(ms = 10_000): Promise<void> {
    if (this.#exited) return;
    const gone = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    this.#child.stdin.end();
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), ms);
    await gone;
    clearTimeout(timer);
  }
}

/**
 * Starts one server and waits for its port. `scenario` and `args` are what
 * its script takes: `echo`, `bulk-active`, `bulk-passive`, `accept` (and for
 * Erlang bulk, a buffer size).
 */
export async function startServer(impl: Impl, scenario: string, args: readonly string[] = [], name: string = impl): Promise<Server> {
  const server =
    impl === 'erlang'
      ? new Server(name, 'escript', [escriptPath, scenario, ...args])
      : new Server(name, process.execPath, [...nodeArgs(), '--expose-gc', '--import', 'tsx', path.join(here, `server-${impl}.ts`), scenario, ...args]);
  const line = await server.nextLine(60_000);
  const m = /^PORT (\d+)$/.exec(line);
  if (m === null) {
    await server.stop();
    throw new Error(`${name} server: expected PORT <n>, got ${line}`);
  }
  server.port = Number(m[1]);
  return server;
}

/** Extra flags for the Node servers, e.g. `BENCH_NODE_ARGS=--cpu-prof` to profile them. */
export function nodeArgs(): string[] {
  return (process.env['BENCH_NODE_ARGS'] ?? '').split(/\s+/).filter((a) => a !== '');
}

/** Starts the servers one after the other (so their start-ups do not compete). */
export async function startAll(specs: readonly { impl: Impl; scenario: string; args?: readonly string[]; name?: string }[]): Promise<Server[]> {
  const servers: Server[] = [];
  try {
    for (const spec of specs) servers.push(await startServer(spec.impl, spec.scenario, spec.args ?? [], spec.name ?? spec.impl));
  } catch (error) {
    await stopAll(servers);
    throw error;
  }
  return servers;
}

export async function stopAll(servers: readonly Server[]): Promise<void> {
  await Promise.all(servers.map((s) => s.stop()));
}

/**
 * Number of measured rounds (after one warm-up round): `BENCH_ROUNDS`, else
 * `fallback` (5: on the 2-core VM two runs with 3 put pingpong-50's p50 at
 * 1.03x and 0.81x of raw's, 25 minutes apart).
 */
export function rounds(fallback = 5): number {
  const n = Number(process.env['BENCH_ROUNDS'] ?? fallback);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/**
 * The minor page faults of `s`'s process so far, from /proc (Linux); NaN
 * where that cannot be read. Printed with the bulk rounds: see "Bulk" in
 * docs/benchmarks.md.
 */
export function minorFaults(s: Server): number {
  try {
    const stat = readFileSync(`/proc/${s.pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7]);
  } catch {
    return Number.NaN;
  }
}
