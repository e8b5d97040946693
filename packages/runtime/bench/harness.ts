/**
 * Measuring: each scenario runs its variants interleaved (Beamline, baseline,
 * Beamline, …) after a warm-up, and reports the median of the rounds, so both
 * see the same machine state.
 */
export interface Variant {
  readonly name: string;
  /** Runs once and returns the figure (higher is better unless the scenario says otherwise). */
  readonly run: () => Promise<number>;
}

export async function measure(variants: readonly Variant[], rounds: number, warmup = 1): Promise<Map<string, number>> {
  const samples = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  for (let r = 0; r < warmup + rounds; r++) {
    for (const v of variants) {
      const figure = await v.run();
      if (r >= warmup) samples.get(v.name)!.push(figure);
    }
  }
  return new Map([...samples].map(([name, xs]) => [name, median(xs)]));
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** A scenario's result line, printed as one JSON object for the runner to collect. */
export interface Result {
  readonly scenario: string;
  readonly metric: string;
  readonly unit: string;
  /** Whether a larger figure is better. */
  readonly higherIsBetter: boolean;
  readonly beamline: number;
  readonly baseline: number;
  readonly note?: string;
}

export function report(result: Result): void {
  console.log(`RESULT ${JSON.stringify(result)}`);
}
