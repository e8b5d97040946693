/**
 * memory: N idle processes blocked in `receive`. Figure: heap bytes per
 * process (lower is better). Run with --expose-gc; N from argv (100,000 or
 * 1,000,000), one size per Node process so the heaps do not mix.
 */
import { receive, spawn, send } from '@beamline/runtime';
import { settle } from '@beamline/runtime/testing';
import { AsyncQueue } from './baseline.js';
import { report } from './harness.js';

const N = Number(process.argv[2] ?? 100_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('memory bench needs node --expose-gc');

function heap(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

async function idle(): Promise<void> {
  await receive();
}

async function beamline(): Promise<number> {
  // Spawned from top-level code (spawn works outside processes), so that the
  // measuring code can await settle() without being a process itself.
  const before = heap();
  const pids = [];
  for (let i = 0; i < N; i++) pids.push(spawn(idle));
  await settle(100_000);
  const perProcess = (heap() - before) / N;
  for (const pid of pids) send(pid, 'stop');
  await settle(100_000);
  return perProcess;
}

async function plain(): Promise<number> {
  const before = heap();
  const queues: AsyncQueue<unknown>[] = [];
  for (let i = 0; i < N; i++) {
    const q = new AsyncQueue<unknown>();
    queues.push(q);
    void (async () => {
      await q.pop();
    })();
  }
  await new Promise((resolve) => setImmediate(resolve));
  const perTask = (heap() - before) / N;
  for (const q of queues) q.push('stop');
  return perTask;
}

const which = process.argv[3];
const beamlineBytes = which === 'plain' ? NaN : await beamline();
const plainBytes = which === 'beamline' ? NaN : await plain();
report({
  scenario: `memory-${N}`,
  metric: `${N.toLocaleString('en-US')} idle processes blocked in receive`,
  unit: 'heap bytes/process',
  higherIsBetter: false,
  beamline: beamlineBytes,
  baseline: plainBytes,
});
