/**
 * Erlang's assertive matches for the ported examples: `{ok, Sock} = Expr` and
 * `ok = Expr` crash the process with `{badmatch, Value}` when the value does
 * not match. Here they throw a `BadMatch`, which ends the process with that
 * error as its reason, as the Erlang process would end.
 */
import { term } from './io.js';

/** `error:{badmatch, Value}`. */
export class BadMatch extends Error {
  override readonly name = 'BadMatch';
  constructor(readonly value: unknown) {
    super(`no match of right hand side value ${term(value)}`);
  }
}

/** `{ok, X} = Result`: returns X, throws `BadMatch` for anything else. */
export function okMatch<R extends readonly [string, unknown] | string>(result: R): Extract<R, readonly ['ok', unknown]>[1] {
  if (Array.isArray(result) && result.length === 2 && result[0] === 'ok') return result[1] as Extract<R, readonly ['ok', unknown]>[1];
  throw new BadMatch(result);
}

/** `ok = Result`: returns `'ok'`, throws `BadMatch` for anything else. */
export function okAtom(result: unknown): 'ok' {
  if (result === 'ok') return 'ok';
  throw new BadMatch(result);
}

/** `error:{case_clause, Value}`: no clause of a `case` matched. */
export class CaseClause extends Error {
  override readonly name = 'CaseClause';
  constructor(readonly value: unknown) {
    super(`no case clause matching ${term(value)}`);
  }
}
