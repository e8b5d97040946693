/**
 * Erlang's `=:=` for the values Beamline uses as terms. The behaviours need it
 * where OTP compares terms it did not make: child ids, gen_statem states,
 * generic timeout names, the reason `stop` expects back.
 */

/**
 * Equal as terms: arrays (tuples and lists) element by element, bytes by
 * content, everything else (atoms, numbers, pids, refs, objects) with `===`.
 */
export function sameTerm(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameTerm(a[i], b[i])) return false;
    return true;
  }
  if (a instanceof Uint8Array) return b instanceof Uint8Array && Buffer.compare(a, b) === 0;
  return false;
}
