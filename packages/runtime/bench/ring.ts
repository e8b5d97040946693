/**
 * ring: 1,000 processes in a ring, a message passed 1,000 times around
 * (1,000,000 sends). Figure: messages per second.
 */
import { receive, run, self, send, spawn, type Pid } from '@beamline/runtime';
import { AsyncQueue } from './baseline.js';
import { measure, report } from './harness.js';

const N = 1000;
const LAPS = 1000;
const SENDS = N * LAPS;

async function node(next: Pid): Promise<void> {
  for (;;) {
    const m = (await receive()) as number;
    send(next, m);
    if (m === 0) return;
  }
}

async function beamline(): Promise<number> {
  const t0 = performance.now();
  await run(async () => {
    let next = self();
    for (let i = 0; i < N - 1; i++) next = spawn(node, next);
    send(next, LAPS);
    for (;;) {
      const m = (await receive()) as number;
      if (m === 0) break;
      send(next, m - 1);
    }
  });
  return SENDS / ((performance.now() - t0) / 1000);
}

async function plain(): Promise<number> {
  const t0 = performance.now();
  const queues = Array.from({ length: N }, () => new AsyncQueue<number>());
  const tasks: Promise<void>[] = [];
  for (let i = 1; i < N; i++) {
    const inbox = queues[i]!;
    const next = queues[i - 1]!;
    tasks.push(
      (async () => {
        for (;;) {
          const m = await inbox.pop();
          next.push(m);
          if (m === 0) return;
        }
      })(),
    );
  }
  const first = queues[0]!;
  queues[N - 1]!.push(LAPS);
  for (;;) {
    const m = await first.pop();
    if (m === 0) break;
    queues[N - 1]!.push(m - 1);
  }
  await Promise.all(tasks);
  return SENDS / ((performance.now() - t0) / 1000);
}

const figures = await measure(
  [
    { name: 'beamline', run: beamline },
    { name: 'plain', run: plain },
  ],
  9,
  2,
);
report({
  scenario: 'ring',
  metric: '1,000 processes, 1,000 laps (1,000,000 sends)',
  unit: 'messages/s',
  higherIsBetter: true,
  beamline: figures.get('beamline')!,
  baseline: figures.get('plain')!,
});
