/**
 * spawn: 100,000 processes spawned and exited. Figure: spawns per second
 * (from the first spawn to the last exit).
 */
import { receive, run, self, send, spawn, type Pid } from '@beamline/runtime';
import { AsyncQueue } from './baseline.js';
import { measure, report } from './harness.js';

const N = 100_000;

let exited = 0;
function child(parent: Pid): void {
  if (++exited === N) send(parent, 'done');
}

async function beamline(): Promise<number> {
  exited = 0;
  const t0 = performance.now();
  await run(async () => {
    const me = self();
    for (let i = 0; i < N; i++) spawn(child, me);
    await receive('done');
  });
  return N / ((performance.now() - t0) / 1000);
}

async function plain(): Promise<number> {
  let done = 0;
  let finish!: () => void;
  const all = new Promise<void>((resolve) => (finish = resolve));
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    // A task with its own queue, started on a later turn like a spawned process.
    const inbox = new AsyncQueue<unknown>();
    void (async (q: AsyncQueue<unknown>) => {
      await null;
      if (q !== undefined && ++done === N) finish();
    })(inbox);
  }
  await all;
  return N / ((performance.now() - t0) / 1000);
}

const figures = await measure(
  [
    { name: 'beamline', run: beamline },
    { name: 'plain', run: plain },
  ],
  5,
  2,
);
report({
  scenario: 'spawn',
  metric: '100,000 processes spawned and exited',
  unit: 'spawns/s',
  higherIsBetter: true,
  beamline: figures.get('beamline')!,
  baseline: figures.get('plain')!,
});
