/**
 * The gen_tcp soak (issue 5): waves of connections on loopback exchange
 * {packet,4} messages with an echo server behind a hand-made acceptor pool
 * (N processes looping on accept, one process per connection), and are
 * closed in four ways (client close, client reset, server close, client
 * crash). Before, at the peak and after: open file descriptors, sockets in
 * the `inet.i()` listing, processes and heap used after a forced GC; after
 * the last wave every figure must be back at its starting level.
 *
 * Run with `pnpm soak`, or on its own:
 *   node --expose-gc --import tsx packages/gen-tcp/soak/soak.ts
 * Environment: SOAK_CONNECTIONS (per wave, default 2000), SOAK_WAVES (5),
 * SOAK_MESSAGES (per connection, 20), SOAK_ACCEPTORS (16).
 * Exits with 1 if a message was lost or wrong, a call failed unexpectedly,
 * a figure did not come back, or the run passed its deadline.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import {
  _,
  after,
  exit,
  monitor,
  processes,
  receive,
  run,
  self,
  send,
  setLogger,
  sleep,
  spawn,
  type Pid,
} from '@beamline/runtime';
import * as gen_tcp from '../src/index.ts';
import type { ListenSocket, TcpSocket } from '../src/index.ts';

const CONNECTIONS = envInt('SOAK_CONNECTIONS', 2000);
const WAVES = envInt('SOAK_WAVES', 5);
const MESSAGES = envInt('SOAK_MESSAGES', 20);
/**
 * Acceptor processes. An acceptor woken by a connection waits for its turn
 * behind every runnable process: with a wave of 2,000 connections and a busy
 * run queue, 16 acceptors left some connections untaken for more than 15 s on
 * the 2-CPU machine of docs/reliability.md (late, not lost).
 */
const ACCEPTORS = envInt('SOAK_ACCEPTORS', 100);
/** How long a client waits for an echo (the first one includes waiting to be accepted). */
const RECV_TIMEOUT = 60_000;
/**
 * The listen backlog. A wave connects all at once: a backlog under the wave
 * lets the kernel's accept queue overflow while the event loop is busy, and
 * the kernel then drops handshakes and retries them seconds later (see
 * ListenOverflows in the report). The kernel caps it at net.core.somaxconn.
 */
const BACKLOG = envInt('SOAK_BACKLOG', 4096);
/** The whole run, waves and settling, must end within this. */
const DEADLINE_MS = 4 * 60_000;
/** Largest random body of a message. */
const MAX_BODY = 4096;
/** After the run the heap may be this much above its start (V8 keeps compiled code and caches). */
const HEAP_SLACK = 4 * 1024 * 1024;

function envInt(name: string, fallback: number): number {
  const text = process.env[name];
  const n = text === undefined ? fallback : Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${text}`);
  return n;
}

type Figures = { fds: number; sockets: number; processes: number; heap: number };

const openFds = (): number => readdirSync('/proc/self/fd').length;

/** The kernel's count of handshakes dropped because an accept queue was full (system-wide, Linux). */
function listenOverflows(): number | null {
  try {
    const [head, values] = readFileSync('/proc/net/netstat', 'utf8').split('\n').filter((l) => l.startsWith('TcpExt:'));
    const i = head?.split(' ').indexOf('ListenOverflows') ?? -1;
    return i < 0 ? null : Number(values?.split(' ')[i]);
  } catch {
    return null;
  }
}

/** Heap used after full collections (node --expose-gc); `nap` lets the event loop turn (sleep inside a process). */
async function heapAfterGc(nap: () => Promise<unknown> = () => new Promise((resolve) => setImmediate(resolve))): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run node with --expose-gc');
  for (let i = 0; i < 4; i++) {
    gc();
    await nap();
  }
  return process.memoryUsage().heapUsed;
}

const sample = (): Omit<Figures, 'heap'> => ({ fds: openFds(), sockets: gen_tcp.sockets().length, processes: processes().length });

// ---------------------------------------------------------------------------
// Tallies (one JavaScript thread: plain counters are safe)

const tally = { messages: 0, bytes: 0, accepted: 0, errors: 0 };
const errorSamples: string[] = [];

function fail(what: string): void {
  tally.errors++;
  if (errorSamples.length < 20) errorSamples.push(what);
}

// ---------------------------------------------------------------------------
// The server: an acceptor pool and a process per connection

/** The server closes the connection when the message is this (close mode 2). */
const CLOSE_PLEASE = Buffer.from('close please');

async function acceptor(l: ListenSocket): Promise<void> {
  for (;;) {
    const r = await gen_tcp.accept(l);
    if (r[0] === 'error') {
      if (r[1] !== 'closed') fail(`accept: ${r[1]}`);
      return;
    }
    tally.accepted++;
    const s = r[1];
    const handler = spawn(connection, s);
    const moved = gen_tcp.controllingProcess(s, handler);
    if (moved !== 'ok') fail(`controllingProcess: ${String(moved)}`);
    send(handler, 'go');
  }
}

/** Echoes each message back, reading one at a time with {active, once}. */
async function connection(s: TcpSocket): Promise<void> {
  await receive('go');
  gen_tcp.setopts(s, [['active', 'once']]);
  for (let i = 0; i < MESSAGES + 10; i++) {
    const m = await receive(['tcp', s, _], ['tcp_closed', s], ['tcp_error', s, _], after(RECV_TIMEOUT));
    if (m === undefined) {
      fail(`server: no message for ${RECV_TIMEOUT / 1000} s`);
      break;
    }
    if (m[0] === 'tcp_closed') return;
    if (m[0] === 'tcp_error') {
      fail(`server: tcp_error ${String(m[2])}`);
      return;
    }
    const data = m[2] as Buffer;
    if (data.equals(CLOSE_PLEASE)) break;
    const sent = await gen_tcp.send(s, data);
    if (sent !== 'ok') {
      fail(`server: send ${String(sent)}`);
      break;
    }
    gen_tcp.setopts(s, [['active', 'once']]);
  }
  gen_tcp.close(s);
}

// ---------------------------------------------------------------------------
// The clients

/** How a client ends its connection: its id modulo 4. */
const CLOSE_MODES = ['client close', 'client reset', 'server close', 'client crash'] as const;

class DeliberateCrash extends Error {}

/** Milliseconds from a client's connect call to its first echo: connect, accept, hand-off and one round trip. */
const firstEcho: number[] = [];

async function client(port: number, id: number, parent: Pid): Promise<void> {
  const t0 = Date.now();
  const r = await gen_tcp.connect('127.0.0.1', port, ['binary', ['packet', 4], ['active', false]], 10_000);
  if (r[0] === 'error') {
    fail(`connect: ${r[1]}`);
    return;
  }
  const c = r[1];
  for (let seq = 0; seq < MESSAGES; seq++) {
    const body = randomBytes(Math.floor(Math.random() * MAX_BODY));
    const head = Buffer.alloc(8);
    head.writeUInt32BE(id, 0);
    head.writeUInt32BE(seq, 4);
    const message = Buffer.concat([head, body]);
    const sent = await gen_tcp.send(c, message);
    if (sent !== 'ok') {
      fail(`client ${id}: send ${String(sent)}`);
      return;
    }
    const echo = await gen_tcp.recv(c, 0, RECV_TIMEOUT);
    if (echo[0] === 'error') {
      fail(`client ${id}: recv ${echo[1]} at message ${seq}`);
      return;
    }
    if (!(echo[1] as Buffer).equals(message)) {
      fail(`client ${id}: message ${seq} came back different`);
      return;
    }
    if (seq === 0) firstEcho.push(Date.now() - t0);
    tally.messages++;
    tally.bytes += message.length;
  }
  const mode = CLOSE_MODES[id % 4];
  if (mode === 'client close') {
    gen_tcp.close(c);
  } else if (mode === 'client reset') {
    gen_tcp.setopts(c, [['linger', [true, 0]]]);
    gen_tcp.close(c);
  } else if (mode === 'server close') {
    await gen_tcp.send(c, CLOSE_PLEASE);
    const end = await gen_tcp.recv(c, 0, RECV_TIMEOUT);
    if (end[0] !== 'error' || end[1] !== 'closed') fail(`client ${id}: after the server's close, recv said ${String(end)}`);
    gen_tcp.close(c);
  } else {
    // The owner's exit closes the socket.
    send(parent, ['crashing', id]);
    throw new DeliberateCrash(`client ${id} crashes on purpose`);
  }
}

// ---------------------------------------------------------------------------

interface Wave {
  readonly wave: number;
  readonly connections: number;
  readonly messages: number;
  readonly bytes: number;
  readonly errors: number;
  readonly ms: number;
  /** After the wave has settled, GC'd: a leak would grow from wave to wave. */
  readonly heap: number;
  readonly fds: number;
}

/** Polls until the sampled figures are at most `target`'s, or `ms` pass; `nap` waits (sleep inside a process). */
async function settle(target: Omit<Figures, 'heap'>, ms: number, nap: () => Promise<unknown>): Promise<Omit<Figures, 'heap'>> {
  const until = Date.now() + ms;
  let now = sample();
  while ((now.fds > target.fds || now.sockets > target.sockets || now.processes > target.processes) && Date.now() < until) {
    await nap();
    now = sample();
  }
  return now;
}

const cpuSeconds = (u: NodeJS.CpuUsage): string => ((u.user + u.system) / 1e6).toFixed(1);

function percentile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function main(): Promise<number> {
  const started = Date.now();
  const unexpectedCrashes: string[] = [];
  setLogger((report) => {
    if (report.kind === 'crash' && report.reason instanceof DeliberateCrash) return;
    unexpectedCrashes.push(`${report.kind}: ${'reason' in report ? String(report.reason) : ''}`);
  });

  const overflowsBefore = listenOverflows();
  const cpuAtStart = process.cpuUsage();
  const before: Figures = { ...sample(), heap: await heapAfterGc() };
  const peak = { ...before };
  const sampler = setInterval(() => {
    const now = sample();
    peak.fds = Math.max(peak.fds, now.fds);
    peak.sockets = Math.max(peak.sockets, now.sockets);
    peak.processes = Math.max(peak.processes, now.processes);
    peak.heap = Math.max(peak.heap, process.memoryUsage().heapUsed);
  }, 500);

  const waves: Wave[] = [];
  let overdue = false;
  await run(async () => {
    // The run process itself counts among the processes: the baseline is taken from here.
    const l = (await gen_tcp.listen(0, ['binary', ['packet', 4], ['active', false], ['ip', [127, 0, 0, 1]], ['backlog', BACKLOG]])) as readonly ['ok', ListenSocket];
    const port = (gen_tcp.port(l[1]) as readonly ['ok', number])[1];
    const pool = Array.from({ length: ACCEPTORS }, () => spawn(acceptor, l[1]));
    const me = self();
    for (let wave = 1; wave <= WAVES && !overdue; wave++) {
      const t0 = Date.now();
      const mark = { ...tally };
      const refs = new Map<unknown, Pid>();
      for (let i = 0; i < CONNECTIONS; i++) {
        const pid = spawn(client, port, (wave - 1) * CONNECTIONS + i, me);
        refs.set(monitor(pid), pid);
      }
      // Every client ends; a wave that outlives the deadline is cut short.
      while (refs.size > 0) {
        const m = await receive(['DOWN', _, 'process', _, _], ['crashing', _], after(Math.max(0, started + DEADLINE_MS - Date.now())));
        if (m === undefined) {
          overdue = true;
          fail(`deadline: ${refs.size} clients of wave ${wave} still running`);
          for (const pid of refs.values()) exit(pid, 'kill');
          break;
        }
        if (m[0] === 'DOWN') {
          refs.delete(m[1]);
          const reason = m[4];
          if (reason !== 'normal' && !(reason instanceof DeliberateCrash)) fail(`client exited with ${String(reason)}`);
        }
      }
      // The server side of the wave goes too: back to the pool and this process.
      const settled = await settle({ fds: Infinity, sockets: 1, processes: before.processes + 1 + ACCEPTORS }, 10_000, () => sleep(20));
      if (settled.sockets > 1 || settled.processes > before.processes + 1 + ACCEPTORS) {
        fail(`wave ${wave}: ${settled.sockets - 1} sockets and ${settled.processes - before.processes - 1 - ACCEPTORS} processes left over`);
      }
      waves.push({
        wave,
        connections: tally.accepted - mark.accepted,
        messages: tally.messages - mark.messages,
        bytes: tally.bytes - mark.bytes,
        errors: tally.errors - mark.errors,
        ms: Date.now() - t0,
        heap: await heapAfterGc(() => sleep(0)),
        fds: settled.fds,
      });
      process.stdout.write(`wave ${wave}/${WAVES} done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    }
    gen_tcp.close(l[1]);
    const poolRefs = pool.map((pid) => monitor(pid));
    for (const ref of poolRefs) await receive(['DOWN', ref, 'process', _, _], after(5000));
  });
  clearInterval(sampler);

  const settled = await settle(before, 10_000, () => new Promise((resolve) => setTimeout(resolve, 20)));
  const after_: Figures = { ...settled, heap: await heapAfterGc() };
  const back =
    after_.fds <= before.fds && after_.sockets <= before.sockets && after_.processes <= before.processes && after_.heap <= before.heap + HEAP_SLACK;
  const passed = back && tally.errors === 0 && unexpectedCrashes.length === 0 && !overdue;

  const mib = (n: number): string => (n / 1024 / 1024).toFixed(1);
  const lines = [
    `gen_tcp soak: ${WAVES} waves × ${CONNECTIONS} connections opened at once, ${MESSAGES} {packet,4} echoes each (bodies 0-${MAX_BODY} bytes), acceptor pool of ${ACCEPTORS}`,
    `closing: ${CLOSE_MODES.join(', ')} (a quarter each); Node ${process.version}, ${cpus().length} CPUs`,
    '',
    'wave  connections  messages  MiB echoed  errors  time     then: fds  heap MiB (GC\'d)',
    ...waves.map((w) =>
      `${String(w.wave).padEnd(5)} ${String(w.connections).padEnd(12)} ${String(w.messages).padEnd(9)} ${mib(w.bytes).padEnd(11)} ${String(w.errors).padEnd(7)} ${`${(w.ms / 1000).toFixed(1)} s`.padEnd(8)} ${String(w.fds).padEnd(10)} ${mib(w.heap)}`,
    ),
    '(fds after a wave include the listen socket)',
    '',
    '                       before    peak      after',
    `open fds               ${String(before.fds).padEnd(9)} ${String(peak.fds).padEnd(9)} ${after_.fds}`,
    `sockets (inet.i())     ${String(before.sockets).padEnd(9)} ${String(peak.sockets).padEnd(9)} ${after_.sockets}`,
    `processes              ${String(before.processes).padEnd(9)} ${String(peak.processes).padEnd(9)} ${after_.processes}`,
    `heap used MiB (GC'd)   ${mib(before.heap).padEnd(9)} ${mib(peak.heap).padEnd(9)} ${mib(after_.heap)}   (peak not GC'd)`,
    '',
    `connections accepted: ${tally.accepted}; messages echoed and checked: ${tally.messages} (${mib(tally.bytes)} MiB each way)`,
    `first echo after connect (ms): median ${percentile(firstEcho, 0.5)}, 99th percentile ${percentile(firstEcho, 0.99)}, max ${percentile(firstEcho, 1)}`,
    `errors: ${tally.errors}; unexpected crash reports: ${unexpectedCrashes.length}; time: ${((Date.now() - started) / 1000).toFixed(1)} s, CPU ${cpuSeconds(process.cpuUsage(cpuAtStart))} s`,
    `kernel ListenOverflows during the run (system-wide): ${overflowsBefore === null ? 'unknown' : (listenOverflows() ?? overflowsBefore) - overflowsBefore}; backlog ${BACKLOG}`,
    ...errorSamples.map((e) => `  error: ${e}`),
    ...unexpectedCrashes.slice(0, 10).map((e) => `  crash: ${e}`),
    `inet.i() after the run:`,
    gen_tcp.formatSockets().trimEnd(),
    `result: ${passed ? 'PASS' : 'FAIL'}${back ? '' : ' (a figure did not come back to its starting level)'}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
  return passed ? 0 : 1;
}

process.exitCode = await main();
