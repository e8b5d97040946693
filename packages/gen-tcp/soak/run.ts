/**
 * `pnpm soak`: the gen_tcp soak runs, each in a Node process of its own
 * (with --expose-gc, so they can measure the heap after a forced GC), one
 * after the other: soak.ts, then slow-reader.ts when it exists. Never part
 * of the tests. Each run is bounded; the exit code is non-zero if any run
 * failed or overran.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const RUNS: readonly { readonly file: string; readonly limitMs: number }[] = [
  { file: 'soak.ts', limitMs: 6 * 60_000 },
  { file: 'slow-reader.ts', limitMs: 2 * 60_000 },
];

const tsx = import.meta.resolve('tsx');

function runOne(path: string, limitMs: number): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', tsx, path], { stdio: 'inherit' });
    const timer = setTimeout(() => {
      process.stderr.write(`${path}: still running after ${limitMs / 1000} s, killed\n`);
      child.kill('SIGKILL');
    }, limitMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? (signal !== null ? 1 : 0));
    });
  });
}

let failed = 0;
for (const { file, limitMs } of RUNS) {
  const path = fileURLToPath(new URL(file, import.meta.url));
  if (!existsSync(path)) {
    process.stdout.write(`(${file} does not exist yet: skipped)\n`);
    continue;
  }
  process.stdout.write(`\n=== ${file} ===\n`);
  const code = await runOne(path, limitMs);
  if (code !== 0) {
    failed++;
    process.stdout.write(`${file}: exit code ${code}\n`);
  }
}
process.exitCode = failed === 0 ? 0 : 1;
