/**
 * Reports of what nobody else is told about: a crash of a process that no
 * one links to or monitors (OTP's error logger), a process found awaiting a
 * promise the runtime does not know of, an exit hook that threw.
 * The logger is replaceable with `setLogger`.
 */
import { badarg, formatReason } from './errors.js';
import type { Pid } from './pid.js';
import type { Proc } from './process.js';

export type LogReport =
  | { readonly kind: 'crash'; readonly pid: Pid; readonly reason: unknown }
  | { readonly kind: 'detached'; readonly pid: Pid }
  | { readonly kind: 'hook_failed'; readonly pid: Pid; readonly error: unknown }
  | { readonly kind: 'listener_failed'; readonly event: string; readonly error: unknown }
  | {
      /** OTP's supervisor report: a child crashed, failed to start or to stop, or the supervisor gave up. */
      readonly kind: 'supervisor';
      readonly supervisor: Pid;
      readonly context: 'child_terminated' | 'start_error' | 'shutdown_error' | 'shutdown';
      readonly reason: unknown;
      /** The child: `pid` (or `pids` for simple_one_for_one), `id`, `start`, `restart`, `shutdown`, `type`. */
      readonly offender: Readonly<Record<string, unknown>>;
    };

export type Logger = (report: LogReport) => void;

export const defaultLogger: Logger = (report) => {
  switch (report.kind) {
    case 'crash':
      console.error(`=CRASH REPORT==== process ${report.pid} exited with reason:\n${formatReason(report.reason)}`);
      return;
    case 'detached':
      console.error(
        `=WARNING REPORT==== process ${report.pid} awaited a promise the runtime does not know of; ` +
          'wrap it in awaitPromise() so that self(), receive and kills keep working',
      );
      return;
    case 'hook_failed':
      console.error(`=ERROR REPORT==== exit hook of ${report.pid} threw:\n${formatReason(report.error)}`);
      return;
    case 'listener_failed':
      console.error(`=ERROR REPORT==== telemetry listener for '${report.event}' threw:\n${formatReason(report.error)}`);
      return;
    case 'supervisor':
      console.error(
        `=SUPERVISOR REPORT==== supervisor ${report.supervisor}, context ${report.context}, reason:\n` +
          `${formatReason(report.reason)}\noffender: ${formatReason(report.offender)}`,
      );
      return;
  }
};

let logger: Logger = defaultLogger;

/** Replaces the logger; returns the previous one. */
export function setLogger(next: Logger): Logger {
  if (typeof next !== 'function') badarg('setLogger', 'the logger must be a function');
  const previous = logger;
  logger = next;
  return previous;
}

function log(report: LogReport): void {
  try {
    logger(report);
  } catch {
    // A broken logger must not take the scheduler down with it.
  }
}

export function reportCrash(pid: Pid, reason: unknown): void {
  log({ kind: 'crash', pid, reason });
}

export function reportDetached(p: Proc): void {
  log({ kind: 'detached', pid: p.pid });
}

export function reportHookFailure(pid: Pid, error: unknown): void {
  log({ kind: 'hook_failed', pid, error });
}

export function reportListenerFailure(event: string, error: unknown): void {
  log({ kind: 'listener_failed', event, error });
}

export function reportSupervisor(report: Omit<Extract<LogReport, { kind: 'supervisor' }>, 'kind'>): void {
  log({ kind: 'supervisor', ...report });
}
