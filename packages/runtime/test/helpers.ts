/**
 * Helpers shared by the runtime's test files.
 */
import { BeamlineError, receive } from '../src/index.ts';

/** A process body that blocks forever (until killed). */
export const idle = (): Promise<unknown> => receive(() => false);

/** What `fn` throws; fails the test if it does not throw. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

/** The `code` of the BeamlineError `fn` throws; rethrows anything else. */
export function errorCode(fn: () => unknown): string {
  const error = thrown(fn);
  if (error instanceof BeamlineError) return error.code;
  throw error;
}
