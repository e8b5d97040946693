/**
 * Patterns for selective receive. A pattern is:
 * - `_`, which accepts anything;
 * - a function, used as a predicate (a type guard narrows the result type);
 * - an array, which accepts an array of the same length whose elements match
 *   element by element (Erlang's tuple patterns: `['tcp', sock, _]`);
 * - a `Buffer`/`Uint8Array`, which accepts bytes of equal content;
 * - anything else, compared with `===` (atoms as strings, numbers, and pids,
 *   refs and sockets by identity).
 */

declare const wildcard: unique symbol;
/** The type of `_`. */
export type Wildcard = typeof wildcard;
/** Erlang's `_`: accepts any value in a pattern. */
export const _ = Symbol('_') as unknown as Wildcard;

export type Predicate = (value: any) => boolean;

/** Anything that can stand as a pattern. */
export type Pattern = Wildcard | Predicate | string | number | bigint | boolean | null | object;

/** The type of the values a pattern accepts. */
export type MatchOf<P> = P extends Wildcard
  ? unknown
  : P extends (value: any) => value is infer T
    ? T
    : P extends Predicate
      ? unknown
      : P extends readonly unknown[]
        ? { readonly [K in keyof P]: MatchOf<P[K]> }
        : P;

/** Does `value` match `pattern`? */
export function matches(pattern: unknown, value: unknown): boolean {
  if (pattern === _) return true;
  if (typeof pattern === 'function') return (pattern as Predicate)(value) === true;
  if (Array.isArray(pattern)) {
    if (!Array.isArray(value) || value.length !== pattern.length) return false;
    for (let i = 0; i < pattern.length; i++) {
      if (!matches(pattern[i], value[i])) return false;
    }
    return true;
  }
  if (pattern instanceof Uint8Array) {
    return value instanceof Uint8Array && Buffer.compare(pattern, value) === 0;
  }
  return pattern === value;
}
