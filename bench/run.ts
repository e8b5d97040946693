/**
 * `pnpm bench`: runs every benchmark scenario in its own Node process (so the
 * heaps and JIT states do not mix), adds the Erlang/OTP column when `escript`
 * is installed, and prints one table with figures and ratios.
 * `pnpm bench --write` also regenerates docs/benchmarks.md.
 *
 * Benchmarks are never part of the test run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { networkMethod, networkSection } from '../packages/gen-tcp/bench/net-docs.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Scenario {
  /** Matches the `scenario` field the script reports. */
  readonly id: string;
  readonly cwd: string;
  readonly script: string;
  readonly args?: readonly string[];
  readonly nodeFlags?: readonly string[];
  /** Arguments for the Erlang escript, if there is an Erlang version. */
  readonly erlang?: { readonly script: string; readonly args: readonly string[] };
  /** The target, as text, and a check on the figures. */
  readonly target: string;
  readonly meets: (r: Figures) => boolean;
}

interface Figures {
  readonly beamline: number;
  readonly baseline: number;
  readonly erlang: number | undefined;
}

interface Reported {
  readonly scenario: string;
  readonly metric: string;
  readonly unit: string;
  readonly higherIsBetter: boolean;
  readonly beamline: number;
  readonly baseline: number;
  /** A further figure worth printing beside the row. */
  readonly note?: string;
  /**
   * The Erlang/OTP figure when the script measured it itself, interleaved
   * with the others (the network scenarios); `null` when it could not.
   */
  readonly erlang?: number | null;
}

const runtime = path.join(root, 'packages/runtime');
const runtimeErl = path.join(runtime, 'bench/erlang/runtime_bench.escript');
const genTcp = path.join(root, 'packages/gen-tcp');

/** A decoder scenario of `packages/gen-tcp/bench/decoder.ts`: the Framer against a hand-written decoder. */
const decoder = (id: string, arg: string): Scenario => ({
  id,
  cwd: genTcp,
  script: 'bench/decoder.ts',
  args: [arg],
  target: '≥ 0.8× hand-written',
  meets: (f) => f.beamline >= 0.8 * f.baseline,
});

/**
 * A network scenario of `packages/gen-tcp/bench/`: the script starts the
 * Beamline, raw node:net and Erlang servers, drives them with one node:net
 * client and reports every row of that run (the Erlang figure included), so
 * rows that share a script and arguments share one run.
 */
const net = (id: string, script: string, args: readonly string[], target: string, meets: (f: Figures) => boolean): Scenario => ({
  id,
  cwd: genTcp,
  script: `bench/${script}`,
  args,
  target,
  meets,
});
/** Ahead of Erlang wherever raw Node is (higher is better). */
const aheadOfErlang = (f: Figures): boolean => f.erlang === undefined || f.baseline <= f.erlang || f.beamline > f.erlang;
/** The same for a latency (lower is better). */
const quickerThanErlang = (f: Figures): boolean => f.erlang === undefined || f.baseline >= f.erlang || f.beamline < f.erlang;
const netScenarios: Scenario[] = [
  ...['1', '50'].flatMap((c) => [
    net(`pingpong-${c}`, 'pingpong.ts', [c], '≥ 0.9× raw, ahead of Erlang', (f) => f.beamline >= 0.9 * f.baseline && aheadOfErlang(f)),
    net(`pingpong-${c}-p50`, 'pingpong.ts', [c], '≤ 1.2× raw, ahead of Erlang', (f) => f.beamline <= 1.2 * f.baseline && quickerThanErlang(f)),
    net(`pingpong-${c}-p99`, 'pingpong.ts', [c], '≤ 1.2× raw, ahead of Erlang', (f) => f.beamline <= 1.2 * f.baseline && quickerThanErlang(f)),
  ]),
  ...['active', 'passive'].flatMap((mode) => [
    net(`bulk-${mode}`, 'bulk.ts', [mode], '≥ 0.9× raw, ahead of Erlang', (f) => f.beamline >= 0.9 * f.baseline && aheadOfErlang(f)),
    net(`bulk-${mode}-b64k`, 'bulk.ts', [mode], 'stretch: ahead of Erlang {buffer, 65536}', (f) => f.erlang === undefined || f.beamline > f.erlang),
  ]),
  net('accept', 'accept.ts', [], '≥ 0.8× raw, ahead of Erlang', (f) => f.beamline >= 0.8 * f.baseline && aheadOfErlang(f)),
  net('accept-pool', 'accept.ts', [], '≥ 0.8× raw', (f) => f.beamline >= 0.8 * f.baseline),
  net('conn-memory-10000', 'conn-memory.ts', ['10000'], 'reported (no target)', () => true),
];

const scenarios: Scenario[] = [
  {
    id: 'ring',
    cwd: runtime,
    script: 'bench/ring.ts',
    erlang: { script: runtimeErl, args: ['ring'] },
    target: '≥ 0.67× plain, ahead of Erlang',
    meets: (f) => f.beamline >= 0.67 * f.baseline && (f.erlang === undefined || f.beamline > f.erlang),
  },
  {
    id: 'spawn',
    cwd: runtime,
    script: 'bench/spawn.ts',
    erlang: { script: runtimeErl, args: ['spawn'] },
    target: '≥ 0.5× plain',
    meets: (f) => f.beamline >= 0.5 * f.baseline,
  },
  {
    id: 'memory-100000',
    cwd: runtime,
    script: 'bench/memory.ts',
    args: ['100000'],
    nodeFlags: ['--expose-gc'],
    erlang: { script: runtimeErl, args: ['memory', '100000'] },
    target: '≤ 1,024 B/process',
    meets: (f) => f.beamline <= 1024,
  },
  {
    id: 'memory-1000000',
    cwd: runtime,
    script: 'bench/memory.ts',
    args: ['1000000'],
    nodeFlags: ['--expose-gc', '--max-old-space-size=4096'],
    erlang: { script: runtimeErl, args: ['memory', '1000000'] },
    target: '≤ 1,024 B/process (1M under 1 GiB)',
    meets: (f) => f.beamline <= 1024,
  },
  {
    id: 'selective',
    cwd: runtime,
    script: 'bench/selective.ts',
    erlang: { script: runtimeErl, args: ['selective'] },
    target: '< 1,000 µs/receive',
    meets: (f) => f.beamline < 1000,
  },
  decoder('decode-packet4-64', 'packet4-64'),
  decoder('decode-packet4-64k', 'packet4-64k'),
  decoder('decode-line', 'line'),
  ...netScenarios,
];

const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const write = process.argv.includes('--write');
const hasErlang = spawnSync('escript', ['-h'], { stdio: 'ignore' }).error === undefined;

/** Output of each script run, by command: a script reporting several rows runs once. */
const outputs = new Map<string, string>();

function runScenario(s: Scenario): Reported {
  const argv = [...(s.nodeFlags ?? []), '--import', 'tsx', s.script, ...(s.args ?? [])];
  const key = JSON.stringify([s.cwd, argv]);
  let out = outputs.get(key);
  if (out === undefined) {
    out = execFileSync(process.execPath, argv, {
      cwd: s.cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 10 * 60_000,
    });
    outputs.set(key, out);
  }
  const results = out
    .split('\n')
    .filter((l) => l.startsWith('RESULT '))
    .map((l) => JSON.parse(l.slice('RESULT '.length)) as Reported);
  // The row this scenario names, or the script's only row.
  const r = results.find((x) => x.scenario === s.id) ?? (results.length === 1 ? results[0] : undefined);
  if (r === undefined) throw new Error(`${s.id}: no RESULT line for it in output:\n${out}`);
  return r;
}

function runErlang(s: Scenario): number | undefined {
  if (!hasErlang || s.erlang === undefined) return undefined;
  const out = execFileSync('escript', [s.erlang.script, ...s.erlang.args], { encoding: 'utf8', timeout: 10 * 60_000 });
  const value = Number(out.trim().split(/\s+/).pop());
  return Number.isFinite(value) ? value : undefined;
}

function fmt(x: number | undefined, unit: string): string {
  if (x === undefined || Number.isNaN(x)) return '—';
  if (unit.startsWith('µs')) return x.toFixed(1);
  return Math.round(x).toLocaleString('en-US');
}

/** Beamline relative to another column, as "how many times as good". */
function ratio(r: Reported, other: number | undefined): string {
  if (other === undefined || Number.isNaN(other) || other === 0) return '—';
  const x = r.higherIsBetter ? r.beamline / other : other / r.beamline;
  return `${x.toFixed(2)}×`;
}

const rows: string[] = [];
const notes: string[] = [];
let missed = 0;
console.log(`Beamline benchmarks on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`);
if (!hasErlang) console.log('Erlang/OTP column skipped: escript not found (apt-get install -y erlang-base to add it)');
for (const s of scenarios) {
  if (only.length > 0 && !only.some((o) => s.id.startsWith(o))) continue;
  process.stdout.write(`running ${s.id} … `);
  const r = runScenario(s);
  const erlang = r.erlang !== undefined ? (r.erlang ?? undefined) : runErlang(s);
  const ok = s.meets({ beamline: r.beamline, baseline: r.baseline, erlang });
  if (!ok) missed++;
  console.log(ok ? 'target met' : 'TARGET MISSED', r.note === undefined ? '' : `(${r.note})`);
  if (r.note !== undefined) notes.push(`- ${r.scenario}: ${r.note}`);
  rows.push(
    `| ${r.scenario} | ${r.metric} | ${r.unit} | ${fmt(r.beamline, r.unit)} | ${fmt(r.baseline, r.unit)} | ${ratio(r, r.baseline)} | ${fmt(erlang, r.unit)} | ${ratio(r, erlang)} | ${s.target} | ${ok ? 'met' : '**missed**'} |`,
  );
}

const table = [
  '| scenario | what | unit | Beamline | plain Node | vs plain | Erlang/OTP | vs Erlang | target | |',
  '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |',
  ...rows,
].join('\n');
console.log(`\n${table}\n\nRatios read "Beamline is N× as good" (for lower-is-better units the ratio is inverted).`);
if (missed > 0) console.log(`${missed} target(s) missed`);

if (write) {
  const erlVersion = hasErlang
    ? execFileSync('erl', ['-noshell', '-eval', 'io:format("~s", [erlang:system_info(otp_release)]), halt().'], { encoding: 'utf8' })
    : 'not installed';
  const file = path.join(root, 'docs/benchmarks.md');
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}`;
  const body = `# Benchmarks

Generated by \`pnpm bench --write\` on ${new Date().toISOString().slice(0, 10)}. Do not edit by hand: run it again.

- Machine: ${machine}
- Node ${process.version}; Erlang/OTP ${erlVersion}
- Each scenario runs in its own Node process; Beamline and the plain-Node baseline run interleaved in the same process (median of 5 rounds after warm-up, 9 for the ring; the memory rows measure once, Beamline then plain). The Erlang column runs the same scenario in \`packages/runtime/bench/erlang/runtime_bench.escript\` (compiled, default schedulers; median of 5 runs for ring and spawn, one run for selective and memory).
- The plain-Node baseline is a hand-written async queue per task, no runtime (\`packages/runtime/bench/baseline.ts\`). For the \`decode-*\` scenarios it is a decoder hand-written for that one framing (\`readUInt32BE\` and \`subarray\`, \`indexOf\` for lines) in \`packages/gen-tcp/bench/decoder.ts\`, fed the same 64 KiB chunks as the socket's \`Framer\` (median of 7 rounds after 2 warm-ups); those scenarios have no Erlang column.
${networkMethod}

${table}

Ratios read "Beamline is N× as good as that column" (for lower-is-better units the ratio is inverted).
${notes.length === 0 ? '' : `\nAlso measured in the same runs:\n${notes.join('\n')}\n`}
## Reading the figures

- This is a shared 2-core VM: the same script gives figures up to ±30% apart from
  one run to the next (both columns move; the plain-Node ring ranged from 6.3 to
  11 M messages/s over the session that added this suite). Compare ratios taken in
  one run, never figures across runs.
- ring: the plain baseline is a minimal hand-written queue (one promise per message
  and nothing else, ~9-11 M/s here). Beamline adds a scheduler that runs one
  process at a time (what makes \`self()\` a variable read) and lands between
  0.45× and 0.86× of it depending on the run (0.45-0.68× in the ten runs of
  2026-11-25); bundled into one module (esbuild, no tsx) it measured 0.72-0.77×
  when the suite was added and 0.60-0.62× on 2026-11-25. Both make the same
  promises per message (two, and one reaction job: counted with
  \`v8.promiseHooks\`); in \`perf\` the scheduler's own code, inlined into the
  process loop, takes about 60 ns a message and the promise builtins run about
  twice as long per message as the baseline's, as each message touches more
  memory (a process record, the run queue). It is ahead of Erlang/OTP in every run.
- spawn: a Beamline process whose body is synchronous starts and exits inside the
  scheduler's loop without a microtask, which is why it beats the async-function
  baseline.
- memory: most of a process's 930 bytes is its suspended async function and
  promise (the plain baseline's 738); see docs/architecture.md.
- selective: a scan of 10,000 queued messages costs about 24 ns a message through
  the pattern matcher; the plain baseline's \`findIndex\` with a fixed predicate is
  cheaper, Erlang's compiled receive cheaper still. All are well under the 1 ms target.
- decode-*: the socket's \`Framer\` keeps the chunks it is given and joins
  nothing on arrival: a packet inside one chunk is a view of it, one spanning
  chunks is copied once, when complete (tested in
  \`packages/gen-tcp/test/packet/properties.test.ts\`). The hand-written decoder
  joins its unread tail to each new chunk, so 64-KiB packets cost it about two
  copies, which is why the Framer is ahead there. With 64-byte packets and short
  lines both deliver views, and the Framer, which pays for its generality
  (any packet type, the buffer window, \`packet_size\`), lands between 0.85×
  and 1.3× of the hand-written decoder from run to run on this machine.
- decodePacket in a loop (the notes) is not what a socket runs. Its figure
  is low under tsx, which compiles with esbuild's keepNames: each call builds a
  \`bufferView\` and an options closure, and keepNames wraps each new function
  in \`Object.defineProperty\`. Bundled without keepNames the same loop measured
  about 76 MB/s for 64-byte packets, half the Framer, against 7-30 MB/s under tsx.

${networkSection}
## Commands
\`\`\`
pnpm bench                 # all scenarios, print the table
pnpm bench ring spawn      # some scenarios
pnpm bench --write         # and rewrite this file
pnpm bench pingpong bulk   # the network scenarios (or accept, conn-memory)
BENCH_ROUNDS=9 pnpm bench accept   # other round counts for the network scenarios
\`\`\`
`;
  if (!existsSync(path.dirname(file))) throw new Error('docs/ missing');
  writeFileSync(file, body);
  console.log(`wrote ${path.relative(root, file)}`);
}
