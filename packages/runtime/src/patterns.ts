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

/** The type of `_` (a class, so that the type survives inside array literals). */
export class Wildcard {
  declare private readonly brand: never;
  toString(): string {
    return '_';
  }
}
/** Erlang's `_`: accepts any value in a pattern. */
export const _: Wildcard = new Wildcard();

export type Predicate = (value: any) => boolean;

type Simple = Wildcard | Predicate | string | number | bigint | boolean | null | object;
/**
 * Anything that can stand as a pattern. Tuples are spelled out (two levels)
 * so that `_` inside an array literal keeps its own type and reads as `unknown`.
 */
export type Pattern = Simple | readonly (Simple | readonly Simple[])[];

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

/** Does `value` match `pattern`? Ordered so that the common miss (a different atom) costs two comparisons. */
export function matches(pattern: unknown, value: unknown): boolean {
  if (pattern === value) return true;
  switch (typeof pattern) {
    case 'object':
      if (pattern === null) return false;
      if (pattern === _) return true;
      if (Array.isArray(pattern)) return matchesTuple(pattern, value);
      if (pattern instanceof Uint8Array) return value instanceof Uint8Array && Buffer.compare(pattern, value) === 0;
      return false;
    case 'function':
      // Any truthy result matches, as a TypeScript user expects of a predicate.
      return Boolean((pattern as Predicate)(value));
    default:
      return false;
  }
}

function matchesTuple(pattern: readonly unknown[], value: unknown): boolean {
  if (!Array.isArray(value) || value.length !== pattern.length) return false;
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p !== value[i] && p !== _ && !matches(p, value[i])) return false;
  }
  return true;
}
