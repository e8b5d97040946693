/**
 * Erlang's assertive matches, for code ported line by line:
 * `{ok, Sock} = gen_tcp:accept(L)` and `ok = gen_tcp:send(S, D)` crash the
 * process with `{badmatch, Value}` when the value does not match. Here they
 * throw a `BadMatch`, which ends the process with that error as its reason,
 * as the Erlang process would end; and the value comes back typed.
 */
import { formatReason } from './errors.js';

/** `error:{badmatch, Value}`: an assertive match failed; `value` is what did not match. */
export class BadMatch extends Error {
  override readonly name = 'BadMatch';
  constructor(readonly value: unknown) {
    super(`no match of right hand side value ${formatReason(value)}`);
  }
}

/**
 * `{ok, X} = Result`: returns X from `['ok', X]`, throws `BadMatch` for
 * anything else (`['error', reason]` included).
 *
 * ```ts
 * const listen = okMatch(await gen_tcp.listen(5678, ['binary', ['packet', 0]]));
 * ```
 */
export function okMatch<R>(result: R): Extract<R, readonly ['ok', unknown]>[1] {
  if (Array.isArray(result) && result.length === 2 && result[0] === 'ok') return result[1] as Extract<R, readonly ['ok', unknown]>[1];
  throw new BadMatch(result);
}

/** `ok = Result`: returns `'ok'`, throws `BadMatch` for anything else. */
export function okAtom(result: unknown): 'ok' {
  if (result === 'ok') return 'ok';
  throw new BadMatch(result);
}
