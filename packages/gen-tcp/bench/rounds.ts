/**
 * Rounds of a network scenario: one warm-up per server, then `rounds()`
 * measured rounds, the servers taking turns inside each round (Beamline,
 * raw, Erlang, Beamline, …) so that all see the same machine state; each
 * figure is the median of its rounds.
 */
import { median, type Result } from '../../runtime/bench/harness.js';
import { rounds, type Server } from './servers.js';

/** A scenario's result line with the Erlang figure (`null`: not measured). */
export interface NetResult extends Result {
  readonly erlang: number | null;
}

export function reportNet(result: NetResult): void {
  console.log(`RESULT ${JSON.stringify(result)}`);
}

/**
 * Runs `measure` against every server: `warmup` once each, then the rounds.
 * `measure` returns named figures (a rate, latencies); the result maps each
 * server's name to the median of each figure. Progress goes to stderr.
 */
export async function interleave<K extends string>(
  servers: readonly Server[],
  warmup: (s: Server) => Promise<unknown>,
  measure: (s: Server) => Promise<Record<K, number>>,
): Promise<Map<string, Record<K, number>>> {
  for (const s of servers) await warmup(s);
  const samples = new Map<string, Record<K, number>[]>(servers.map((s) => [s.name, []]));
  const n = rounds();
  for (let r = 0; r < n; r++) {
    const line: string[] = [];
    for (const s of servers) {
      const figures = await measure(s);
      samples.get(s.name)!.push(figures);
      line.push(`${s.name} ${Object.entries(figures).map(([k, v]) => `${k}=${fmt(v as number)}`).join(' ')}`);
    }
    process.stderr.write(`  round ${r + 1}/${n}: ${line.join(' | ')}\n`);
  }
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
