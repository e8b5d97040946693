/**
 * Child processes for the example tests: the runners (`node --import tsx
 * src/...`), `pnpm`, `escript`, `curl`. Every child is bounded in time and
 * tracked, so that `killChildren()` in an `afterAll` ends whatever a failed
 * test left running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const examplesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

const live = new Set<ChildProcess>();

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A running child whose output is collected as it comes. */
export class Child {
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  private readonly waiters = new Set<() => void>();

  constructor(readonly proc: ChildProcess) {
    live.add(proc);
    proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
      for (const w of this.waiters) w();
    });
    proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve) => {
      proc.on('close', (code, signal) => {
        live.delete(proc);
        for (const w of this.waiters) w();
        resolve({ code, signal });
      });
    });
  }

  /** Resolves with the first match of `re` in stdout; rejects after `ms` or when the child exits first. */
  waitFor(re: RegExp, ms = 15_000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const m = this.stdout.match(re);
        if (m !== null) {
          done();
          resolve(m);
        } else if (this.proc.exitCode !== null || this.proc.signalCode !== null) {
          done();
          reject(new Error(`child exited before printing ${re}; stdout: ${this.stdout}; stderr: ${this.stderr}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${re} within ${ms} ms; stdout: ${this.stdout}; stderr: ${this.stderr}`));
      }, ms);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Sends `signal` and waits for the exit; SIGKILL if it has not exited after `ms`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', ms = 5000): Promise<Exit> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), ms);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Starts `command args` in the examples package; killed with SIGKILL after `limitMs` whatever happens. */
export function start(command: string, args: readonly string[], limitMs = 30_000): Child {
  const proc = spawn(command, args, { cwd: examplesDir, stdio: ['pipe', 'pipe', 'pipe'] });
  const child = new Child(proc);
  const timer = setTimeout(() => proc.kill('SIGKILL'), limitMs);
  void child.exited.then(() => clearTimeout(timer));
  return child;
}

/** Starts a TypeScript file of the examples package with tsx. */
export function startTs(file: string, args: readonly string[], limitMs?: number): Child {
  return start(process.execPath, ['--import', 'tsx', path.join(examplesDir, file), ...args], limitMs);
}

/** Runs a command to its end (bounded by `limitMs`); resolves with its exit and output. */
export async function runToEnd(command: string, args: readonly string[], limitMs = 30_000): Promise<Exit & { stdout: string; stderr: string }> {
  const child = start(command, args, limitMs);
  child.proc.stdin?.end();
  const exit = await child.exited;
  return { ...exit, stdout: child.stdout, stderr: child.stderr };
}

/** Kills every child still running (SIGKILL) and waits for them. */
export async function killChildren(): Promise<void> {
  const waits: Promise<unknown>[] = [];
  for (const proc of live) {
    waits.push(new Promise((resolve) => proc.once('close', resolve)));
    proc.kill('SIGKILL');
  }
  await Promise.all(waits);
}

/** A port that was free a moment ago: for the examples that need the port before they listen. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}
