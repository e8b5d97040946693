/**
 * Erlang's assertive matches for the ported examples: `{ok, Sock} = Expr` and
 * `ok = Expr` crash the process with `{badmatch, Value}` when the value does
 * not match. Here they throw the runtime's `BadMatch`, which ends the process
 * with that error as its reason, as the Erlang process would end; a `case`
 * without a matching clause throws `CaseClause`.
 */
import { term } from './io.js';

// `{ok, X} = Expr` and `ok = Expr` come from the runtime, for every ported program.
export { BadMatch, okAtom, okMatch } from '@beamline/runtime';

/** `error:{case_clause, Value}`: no clause of a `case` matched. */
export class CaseClause extends Error {
  override readonly name = 'CaseClause';
  constructor(readonly value: unknown) {
    super(`no case clause matching ${term(value)}`);
  }
}
