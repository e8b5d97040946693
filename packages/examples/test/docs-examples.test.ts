/**
 * The programs in docs/getting-started.md run and print what the page says
 * they print: each ```ts block followed by an "Output:" block is written to
 * a file in packages/examples/src (where its imports resolve, as the page
 * tells the reader to do), run with tsx, and its output compared. Pids and
 * refs are numbered by the run, so `<0.N.0>` compares as a shape.
 */
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '../../..');

interface Program {
  readonly heading: string;
  readonly code: string;
  readonly output: string;
}

/** Every ```ts block that an "Output:" block follows, with the heading it sits under. */
function programs(markdown: string): Program[] {
  const found: Program[] = [];
  const pattern = /```ts\n([\s\S]*?)```\n\s*Output:\s*\n\s*```\n([\s\S]*?)```/g;
  for (const match of markdown.matchAll(pattern)) {
    const before = markdown.slice(0, match.index);
    const heading = [...before.matchAll(/^## (.+)$/gm)].pop()?.[1] ?? '(top)';
    found.push({ heading, code: match[1]!, output: match[2]! });
  }
  return found;
}

const normalise = (text: string): string => text.replace(/<\d+\.\d+\.\d+>/g, '<pid>').replace(/#Ref<[\d.]+>/g, '#Ref<ref>').trimEnd();

function runTs(file: string): Promise<{ stdout: string; stderr: string; failed: boolean }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', file], { cwd: root, timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ stdout, stderr, failed: error !== null });
    });
  });
}

const page = readFileSync(path.join(root, 'docs/getting-started.md'), 'utf8');

describe('docs/getting-started.md', () => {
  const found = programs(page);

  it('has programs with their output', () => {
    expect(found.length).toBeGreaterThanOrEqual(4);
  });

  for (const [i, program] of found.entries()) {
    it(`"${program.heading}" prints what the page shows`, async () => {
      const file = path.join(here, `../src/docs-example-${i}.scratch.ts`);
      writeFileSync(file, program.code);
      try {
        const { stdout, stderr, failed } = await runTs(file);
        expect(failed, stderr).toBe(false);
        expect(normalise(stdout)).toBe(normalise(program.output));
      } finally {
        rmSync(file, { force: true });
      }
    }, 30_000);
  }
});
