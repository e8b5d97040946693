/**
 * Rounds of a network scenario: one warm-up per server, then `rounds()`
 * measured rounds, the servers taking turns inside each round so that all
 * see the same machine state. Each round starts one server further on
 * (Beamline, raw, Erlang; then raw, Erlang, Beamline; …), so none is always
 * first, and each turn starts after SETTLE_MS of quiet, so that what the
 * server before it left running (Erlang's schedulers busy-wait for a while
 * after work) does not fall into it. Each figure is the median of its
 * rounds. `interleaveFresh` starts new server processes for each round.
 */
import { median, type Result } from '../../runtime/bench/harness.js';
import { rounds, stopAll, type Server } from './servers.js';

/** A scenario's result line with the Erlang figure (`null`: not measured). */
export interface NetResult extends Result {
  readonly erlang: number | null;
}

export function reportNet(result: NetResult): void {
  console.log(`RESULT ${JSON.stringify(result)}`);
}

/**
 * Runs `measure` against every server: `warmup` once each, then the rounds
 * (`n` unless `BENCH_ROUNDS` says otherwise). `measure` returns named
 * figures (a rate, latencies); the result maps each server's name to the
 * median of each figure. Progress goes to stderr.
 */
export async function interleave<K extends string>(
  servers: readonly Server[],
  warmup: (s: Server) => Promise<unknown>,
  measure: (s: Server) => Promise<Record<K, number>>,
  n: number,
): Promise<Map<string, Record<K, number>>> {
  for (const s of servers) await warmup(s);
  const samples = new Map<string, Record<K, number>[]>();
  const total = rounds(n);
  for (let r = 0; r < total; r++) await round(servers, r, measure, samples, `${r + 1}/${total}`);
  return medians(samples);
}

/**
 * The same with new server processes for every round (`start` them, warm
 * each up, measure each, stop them): for figures that depend on the state a
 * process settles into early and keeps, such as where the C allocator puts
 * Node's read buffers (see docs/benchmarks.md, bulk). `n` rounds unless
 * `BENCH_ROUNDS` says otherwise.
 */
export async function interleaveFresh<K extends string>(
  start: () => Promise<Server[]>,
  warmup: (s: Server) => Promise<unknown>,
  measure: (s: Server) => Promise<Record<K, number>>,
  n: number,
): Promise<Map<string, Record<K, number>>> {
  const samples = new Map<string, Record<K, number>[]>();
  const total = rounds(n);
  for (let r = 0; r < total; r++) {
    const servers = await start();
    try {
      for (const s of servers) await warmup(s);
      await round(servers, r, measure, samples, `${r + 1}/${total} (new processes)`);
    } finally {
      await stopAll(servers);
    }
  }
  return medians(samples);
}

/** Quiet before each measured turn. */
const SETTLE_MS = 500;

/** Measured round `r`: each server in turn, from the `r`th on; the figures join `samples`. */
async function round<K extends string>(
  servers: readonly Server[],
  r: number,
  measure: (s: Server) => Promise<Record<K, number>>,
  samples: Map<string, Record<K, number>[]>,
  label: string,
): Promise<void> {
  const line: string[] = [];
  for (let i = 0; i < servers.length; i++) {
    const s = servers[(r + i) % servers.length]!;
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const figures = await measure(s);
    const xs = samples.get(s.name) ?? [];
    xs.push(figures);
    samples.set(s.name, xs);
    line.push(`${s.name} ${Object.entries(figures).map(([k, v]) => `${k}=${fmt(v as number)}`).join(' ')}`);
  }
  process.stderr.write(`  round ${label}: ${line.join(' | ')}\n`);
}

function medians<K extends string>(samples: Map<string, Record<K, number>[]>): Map<string, Record<K, number>> {
  const out = new Map<string, Record<K, number>>();
  for (const [name, xs] of samples) {
    const keys = Object.keys(xs[0]!) as K[];
    out.set(name, Object.fromEntries(keys.map((k) => [k, median(xs.map((x) => x[k]))])) as Record<K, number>);
  }
  return out;
}

function fmt(x: number): string {
  return x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1);
}
