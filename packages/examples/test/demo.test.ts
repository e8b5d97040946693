/**
 * The main demo (`pnpm start`) runs to the end and every check in it passes.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));

describe('demo', () => {
  it('runs every check, exits 0 and leaves no process running', async () => {
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', path.join(here, '../src/demo.ts')], { cwd: path.join(here, '..'), timeout: 20_000 }, (error, out) => {
        resolve({ code: error === null ? 0 : ((error as NodeJS.ErrnoException & { code?: number }).code as unknown as number), stdout: out });
      });
    });
    expect(stdout).toMatch(/(\d+)\/\1 checks passed; 0 processes left running/);
    expect(stdout).not.toMatch(/^FAIL/m);
    expect(code).toBe(0);
  }, 30_000);
});
