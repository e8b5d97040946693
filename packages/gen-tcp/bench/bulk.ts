/**
 * bulk: one connection, 1 GiB in 64 KiB writes, `{packet, 0}`; the server
 * is the receiver, in `{active, N}` or in passive `recv(s, 0)` (argv), and
 * acknowledges with one byte when it has counted every byte. Figure: MB/s
 * (10^6 bytes a second).
 *
 * The raw `node:net` receiver is the same for both modes (a `'data'`
 * handler). Erlang runs twice: with its default `buffer` and with
 * `{buffer, 65536}`; each gives its own row.
 *
 * Usage: `bulk.ts active | passive [bytes]`.
 */
import { bulk } from './client.js';
import { interleaveFresh, reportNet } from './rounds.js';
import { hasErlang, minorFaults, NO_ERLANG, startAll } from './servers.js';

const mode = process.argv[2] === 'passive' ? 'passive' : 'active';
const total = Number(process.argv[3] ?? 2 ** 30);
const CHUNK = 64 * 1024;
const DEADLINE = 120_000;
/**
 * Rounds unless `BENCH_ROUNDS` says: eleven. Medians of five and seven
 * rounds put bulk-active anywhere from 0.71x to 0.98x of raw in the runs of
 * 2026-11-24/25, and in one run of seven (2026-11-25) single turns ranged
 * from 2,131 to 2,849 MB/s for Beamline and from 2,307 to 3,711 for raw Node.
 */
const ROUNDS = 11;
/** Transfers to each new server before the measured one. */
const WARMUPS = 2;
const scenario = `bulk-${mode}`;

if (!hasErlang) process.stderr.write(`${NO_ERLANG}\n`);
const specs = [
  { impl: 'beamline' as const, scenario, args: [String(total)] },
  { impl: 'raw' as const, scenario: 'bulk', args: [String(total)] },
  ...(hasErlang
    ? [
        { impl: 'erlang' as const, scenario, args: [String(total)], name: 'erlang' },
        { impl: 'erlang' as const, scenario, args: [String(total), '65536'], name: 'erlang-b64k' },
      ]
    : []),
];
// New processes every round, so that the median is over processes: how a
// Node process's C heap settles early in its life (see heap-trim.ts) made
// one process's figures differ from the next one's.
const figures = await interleaveFresh(
  () => startAll(specs),
  // Whole transfers (the server acknowledges only once it has counted
  // `total` bytes), two of them: a Beamline receiver's JIT-compiled path is
  // still settling during its second GiB (user CPU per GiB 190-240 ms, then
  // 100-130 ms), raw Node's is not.
  async (s) => {
    for (let i = 0; i < WARMUPS; i++) await bulk(s.port, total, CHUNK, DEADLINE);
  },
  async (s) => {
    const before = minorFaults(s);
    const mbs = await bulk(s.port, total, CHUNK, DEADLINE);
    return { mbs, faults: minorFaults(s) - before };
  },
  ROUNDS,
);

const receiver = mode === 'active' ? 'receiver in {active, 100}' : 'receiver in passive recv';
const size = total === 2 ** 30 ? '1 GiB' : `${total.toLocaleString('en-US')} B`;
const b = figures.get('beamline')!.mbs;
const r = figures.get('raw')!.mbs;
reportNet({ scenario, metric: `${size} in 64 KiB writes, {packet,0}, ${receiver}; Erlang default buffer`, unit: 'MB/s', higherIsBetter: true, beamline: b, baseline: r, erlang: figures.get('erlang')?.mbs ?? null });
reportNet({ scenario: `${scenario}-b64k`, metric: `the same; Erlang with {buffer, 65536}`, unit: 'MB/s', higherIsBetter: true, beamline: b, baseline: r, erlang: figures.get('erlang-b64k')?.mbs ?? null });
