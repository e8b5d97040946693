/**
 * selective receive: a process with 10,000 unmatched messages queued receives
 * a matching one. Figure: microseconds per receive (lower is better).
 */
import { _, receive, run, self, send } from '@beamline/runtime';
import { measure, report } from './harness.js';

const QUEUED = 10_000;
const RECEIVES = 1_000;

async function beamline(): Promise<number> {
  let perReceive = 0;
  await run(async () => {
    const me = self();
    for (let i = 0; i < QUEUED; i++) send(me, ['noise', i]);
    const t0 = performance.now();
    for (let i = 0; i < RECEIVES; i++) {
      send(me, ['match', i]);
      const m = await receive(['match', _]);
      if ((m[1] as number) !== i) throw new Error('wrong message');
    }
    perReceive = ((performance.now() - t0) * 1000) / RECEIVES;
  });
  return perReceive;
}

/** Plain Node: an array scanned with a predicate and spliced, as a hand-written mailbox would do. */
async function plain(): Promise<number> {
  const box: unknown[] = [];
  for (let i = 0; i < QUEUED; i++) box.push(['noise', i]);
  const isMatch = (m: unknown): boolean => Array.isArray(m) && m.length === 2 && m[0] === 'match';
  const t0 = performance.now();
  for (let i = 0; i < RECEIVES; i++) {
    box.push(['match', i]);
    const at = box.findIndex(isMatch);
    const m = (await Promise.resolve(box.splice(at, 1)[0])) as [string, number];
    if ((m[1] as number) !== i) throw new Error('wrong message');
  }
  return ((performance.now() - t0) * 1000) / RECEIVES;
}

const figures = await measure(
  [
    { name: 'beamline', run: beamline },
    { name: 'plain', run: plain },
  ],
  5,
  1,
);
report({
  scenario: 'selective',
  metric: 'receive past 10,000 unmatched messages',
  unit: 'µs/receive',
  higherIsBetter: false,
  beamline: figures.get('beamline')!,
  baseline: figures.get('plain')!,
});
