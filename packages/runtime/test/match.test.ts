/**
 * okMatch / okAtom: Erlang's `{ok, X} = Expr` and `ok = Expr`.
 */
import { describe, expect, it } from 'vitest';
import { BadMatch, okAtom, okMatch, run, spawnMonitor, receive, _ } from '../src/index.ts';

describe('okMatch', () => {
  it('returns the value of an ok tuple, typed', () => {
    const result = ['ok', 42] as readonly ['ok', number] | readonly ['error', string];
    const n: number = okMatch(result);
    expect(n).toBe(42);
  });

  it('throws BadMatch carrying the value for anything else', () => {
    for (const value of [['error', 'closed'], 'ok', ['ok'], ['ok', 1, 2], undefined, 7]) {
      let caught: unknown;
      try {
        okMatch(value);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(BadMatch);
      expect((caught as BadMatch).value).toBe(value);
      expect((caught as BadMatch).message).toMatch(/^no match of right hand side value /);
    }
  });

  it('a failed match ends the process with the BadMatch as its reason, as in Erlang', async () => {
    await run(async () => {
      const [pid, ref] = spawnMonitor(() => {
        okMatch(['error', 'econnrefused'] as const);
      });
      const [, , , , reason] = await receive(['DOWN', ref, 'process', pid, _]);
      expect(reason).toBeInstanceOf(BadMatch);
      expect((reason as BadMatch).value).toEqual(['error', 'econnrefused']);
    });
  });
});

describe('okAtom', () => {
  it("returns 'ok' for 'ok' and throws BadMatch otherwise", () => {
    expect(okAtom('ok')).toBe('ok');
    expect(() => okAtom(['error', 'closed'])).toThrow(BadMatch);
    expect(() => okAtom(['ok', 1])).toThrow(/no match of right hand side value/);
  });
});
