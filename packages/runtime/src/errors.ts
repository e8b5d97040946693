/**
 * The runtime's error catalogue. Programming errors throw a `BeamlineError`
 * with a stable `code` (Erlang's `error:badarg`, `error:noproc`, …); a process
 * that ends itself with `exit(reason)` throws a `ProcessExit`, which the
 * scheduler turns into the process's exit reason.
 */
import { inspect } from 'node:util';

export type ErrorCode = 'badarg' | 'noproc' | 'not_in_process';

/** A programming error raised by a runtime call, like an Erlang `error:` exception. */
export class BeamlineError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = 'BeamlineError';
    this.code = code;
  }
}

/** Throws `badarg` naming the function and the culprit. */
export function badarg(fn: string, what: string): never {
  throw new BeamlineError('badarg', `${fn}: ${what}`);
}

/**
 * Thrown by `exit(reason)` to end the calling process, like Erlang's
 * `exit/1`. It is not an `Error` (no stack is captured); a `try`/`catch` that
 * catches it behaves like Erlang's `catch exit:Reason`.
 */
export class ProcessExit {
  readonly reason: unknown;
  constructor(reason: unknown) {
    this.reason = reason;
  }
  toString(): string {
    return `exit(${formatReason(this.reason)})`;
  }
}

/** Prints an exit reason the way an Erlang shell would show the term. */
export function formatReason(reason: unknown): string {
  if (typeof reason === 'string') return reason;
  if (reason instanceof Error) return reason.stack ?? `${reason.name}: ${reason.message}`;
  return inspect(reason, { depth: 6, breakLength: Infinity });
}

/** Reasons that are not reported as crashes: `normal`, `shutdown`, `['shutdown', _]`. */
export function isQuietReason(reason: unknown): boolean {
  return (
    reason === 'normal' ||
    reason === 'shutdown' ||
    (Array.isArray(reason) && reason.length === 2 && reason[0] === 'shutdown')
  );
}
