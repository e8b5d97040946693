/**
 * Helpers shared by the gen-tcp test files.
 */

/** The value of an `['ok', value]` result; throws (failing the test) on `['error', reason]`. */
export function ok<R extends readonly [string, unknown]>(result: R): Extract<R, readonly ['ok', unknown]>[1] {
  if (result[0] !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(result)}`);
  return result[1];
}
