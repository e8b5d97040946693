/**
 * accept rate: 20,000 connect/close cycles against 8 acceptors (the raw
 * `node:net` server has no acceptors: its `'connection'` handler closes).
 * The server closes each connection once accepted; the client keeps
 * `PARALLEL` cycles in flight. Figure: connections per second.
 *
 * Two Beamline rows from one run: `accept` (server-beamline.ts, acceptors
 * that close what they accept) and `accept-pool` (server-pool.ts, the
 * acceptor pool: a supervised process per connection that takes the socket
 * with `handshake` and closes it, as a Ranch protocol would).
 *
 * Usage: `accept.ts [cycles]`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { acceptCycles } from './client.js';
import { interleave, reportNet } from './rounds.js';
import { hasErlang, NO_ERLANG, nodeArgs, Server, startAll, stopAll, type Impl } from './servers.js';

const cycles = Number(process.argv[2] ?? 20_000);
/** Cycles in flight: one per acceptor. */
const PARALLEL = 8;
/** Rounds unless `BENCH_ROUNDS` says. */
const ROUNDS = 5;
const DEADLINE = 120_000;

if (!hasErlang) process.stderr.write(`${NO_ERLANG}\n`);
const impls: Impl[] = hasErlang ? ['beamline', 'raw', 'erlang'] : ['beamline', 'raw'];
const servers = await startAll(impls.map((impl) => ({ impl, scenario: 'accept' })));
try {
  // Beside the Beamline server: the servers take turns as Beamline, pool, raw, Erlang (each round one further on).
  servers.splice(1, 0, await startPoolServer());
} catch (error) {
  await stopAll(servers);
  throw error;
}
let figures;
try {
  figures = await interleave(
    servers,
    (s) => acceptCycles(s.port, Math.max(1000, cycles / 10), PARALLEL, DEADLINE),
    async (s) => ({ rate: await acceptCycles(s.port, cycles, PARALLEL, DEADLINE) }),
    ROUNDS,
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
reportNet({
  scenario: 'accept-pool',
  metric: `${cycles.toLocaleString('en-US')} connect/close cycles through the acceptor pool (a process per connection), 8 acceptors, ${PARALLEL} in flight`,
  unit: 'connections/s',
  higherIsBetter: true,
  beamline: figures.get('beamline pool')!.rate,
  baseline: figures.get('raw')!.rate,
  // The Erlang server is a bare acceptor loop, not Ranch: no like-for-like figure.
  erlang: null,
});

/** The "beamline pool" server (server-pool.ts), started as servers.ts starts the others. */
async function startPoolServer(): Promise<Server> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'server-pool.ts');
  const server = new Server('beamline pool', process.execPath, [...nodeArgs(), '--expose-gc', '--import', 'tsx', script, 'accept']);
  const line = await server.nextLine(60_000);
  const m = /^PORT (\d+)$/.exec(line);
  if (m === null) {
    await server.stop();
    throw new Error(`beamline pool server: expected PORT <n>, got ${line}`);
  }
  server.port = Number(m[1]);
  return server;
}
