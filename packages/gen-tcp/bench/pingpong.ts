/**
 * echo ping-pong: `{packet, 4}`, 64-byte messages, an `{active, once}`
 * server with an acceptor pool of 4; C client connections (argv, 1 or 50),
 * each with one message in flight, 200,000 round trips in all. Figures:
 * round trips per second, and the p50 and p99 round-trip latency (µs).
 *
 * Usage: `pingpong.ts <connections> [round trips]`.
 */
import { pingPong } from './client.js';
import { interleave, reportNet } from './rounds.js';
import { hasErlang, NO_ERLANG, startAll, stopAll, type Impl } from './servers.js';

const conns = Number(process.argv[2] ?? 1);
const total = Number(process.argv[3] ?? 200_000);
const DEADLINE = 180_000;
/**
 * Rounds unless `BENCH_ROUNDS` says: nine. With five, four full runs on
 * 2026-11-25 (small read-path changes between them) put pingpong-50
 * between 0.87x and 1.26x of raw.
 */
const ROUNDS = 9;

if (!hasErlang) process.stderr.write(`${NO_ERLANG}\n`);
const impls: Impl[] = hasErlang ? ['beamline', 'raw', 'erlang'] : ['beamline', 'raw'];
const servers = await startAll(impls.map((impl) => ({ impl, scenario: 'echo' })));
let figures;
try {
  figures = await interleave(
    servers,
    (s) => pingPong(s.port, conns, Math.max(1000, total / 10), DEADLINE),
    async (s) => {
      const f = await pingPong(s.port, conns, total, DEADLINE);
      return { rate: f.rate, p50: f.p50, p99: f.p99 };
    },
    ROUNDS,
  );
} finally {
  await stopAll(servers);
}

const what = `${total.toLocaleString('en-US')} round trips of 64 B, {packet,4}, {active,once}, ${conns} connection${conns === 1 ? '' : 's'}`;
const b = figures.get('beamline')!;
const r = figures.get('raw')!;
const e = figures.get('erlang');
reportNet({ scenario: `pingpong-${conns}`, metric: what, unit: 'round trips/s', higherIsBetter: true, beamline: b.rate, baseline: r.rate, erlang: e?.rate ?? null });
reportNet({ scenario: `pingpong-${conns}-p50`, metric: `${conns} connection${conns === 1 ? '' : 's'}: median round trip`, unit: 'µs (p50)', higherIsBetter: false, beamline: b.p50, baseline: r.p50, erlang: e?.p50 ?? null });
reportNet({ scenario: `pingpong-${conns}-p99`, metric: `${conns} connection${conns === 1 ? '' : 's'}: 99th percentile round trip`, unit: 'µs (p99)', higherIsBetter: false, beamline: b.p99, baseline: r.p99, erlang: e?.p99 ?? null });
