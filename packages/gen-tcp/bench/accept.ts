/**
 * accept rate: 20,000 connect/close cycles against 8 acceptors (the raw
 * `node:net` server has no acceptors: its `'connection'` handler closes).
 * The server closes each connection once accepted; the client keeps
 * `PARALLEL` cycles in flight. Figure: connections per second.
 *
 * Usage: `accept.ts [cycles]`.
 */
import { acceptCycles } from './client.js';
import { interleave, reportNet } from './rounds.js';
import { hasErlang, NO_ERLANG, startAll, stopAll, type Impl } from './servers.js';

const cycles = Number(process.argv[2] ?? 20_000);
/** Cycles in flight: one per acceptor. */
const PARALLEL = 8;
const DEADLINE = 120_000;

if (!hasErlang) process.stderr.write(`${NO_ERLANG}\n`);
const impls: Impl[] = hasErlang ? ['beamline', 'raw', 'erlang'] : ['beamline', 'raw'];
const servers = await startAll(impls.map((impl) => ({ impl, scenario: 'accept' })));
let figures;
try {
  figures = await interleave(
    servers,
    (s) => acceptCycles(s.port, Math.max(1000, cycles / 10), PARALLEL, DEADLINE),
    async (s) => ({ rate: await acceptCycles(s.port, cycles, PARALLEL, DEADLINE) }),
  );
} finally {
  await stopAll(servers);
}

reportNet({
  scenario: 'accept',
  metric: `${cycles.toLocaleString('en-US')} connect/close cycles, 8 acceptors, ${PARALLEL} in flight`,
  unit: 'connections/s',
  higherIsBetter: true,
  beamline: figures.get('beamline')!.rate,
  baseline: figures.get('raw')!.rate,
  erlang: figures.get('erlang')?.rate ?? null,
});
