/**
 * @beamline/runtime: Erlang's process model for TypeScript.
 * The public API, export by export; nothing else is public.
 */

// Processes
export { spawn, spawnLink, spawnMonitor, run, self, send, isProcessAlive, ProcessExitError } from './spawn.js';
export type { ProcessBody } from './spawn.js';

// Receiving
export { receive, on, after, sleep, awaitPromise, Clause, After } from './receive.js';
export type { ReceiveArg, ReceiveResult } from './receive.js';
export { _ } from './patterns.js';
export type { Pattern, MatchOf, Wildcard, Predicate } from './patterns.js';

// Exits, links, monitors
export { exit, link, unlink, monitor, demonitor, processFlag } from './signals.js';
export type { DemonitorOption, ProcessFlag } from './signals.js';

// Names
export { register, unregister, whereis, registered } from './registry.js';

// Timers
export { sendAfter, startTimer, cancelTimer, readTimer } from './timers.js';

// Identity
export { Pid, Ref, makeRef, isPid, isRef, OUTSIDE } from './pid.js';

// Introspection, telemetry, logging
export { processes, processInfo } from './introspection.js';
export type { ProcessInfo } from './introspection.js';
export { telemetry, EventBus } from './telemetry.js';
export type { RuntimeEvents } from './telemetry.js';
export { setLogger, defaultLogger } from './logger.js';
export type { Logger, LogReport } from './logger.js';

// Assertive matches: `{ok, X} = Expr`, `ok = Expr`
export { okMatch, okAtom, BadMatch } from './match.js';

// Errors and system messages
export { BeamlineError, ProcessExit, formatReason, badarg } from './errors.js';
export type { ErrorCode } from './errors.js';
export { LOCAL_NODE, exitMessage, downMessage, timeoutMessage } from './messages.js';
export type { ExitMessage, DownMessage, TimeoutMessage } from './messages.js';

// Time
export type { Clock } from './clock.js';

// OTP behaviours: namespaces, as the Erlang modules (genServer.call, supervisor.startChild)
export * as genServer from './behaviours/gen-server.js';
export * as supervisor from './behaviours/supervisor.js';
export * as genStatem from './behaviours/gen-statem.js';
export { CallExit } from './behaviours/gen.js';
export type { From, ServerName, ServerRef, StartResult, StartOptions } from './behaviours/gen.js';
export type { GenServer } from './behaviours/gen-server.js';
export type { Supervisor, ChildSpec, SupFlags } from './behaviours/supervisor.js';
export type { GenStatem } from './behaviours/gen-statem.js';

// For drivers (gen-tcp): owner exit hooks and moving queued messages
export { driverTimeout, onExit, takeMessages } from './driver.js';
export { answerDriverWait, driverWait, type DriverWait } from './receive.js';
