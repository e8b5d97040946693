/**
 * The pool's telemetry events, on the runtime's one bus (`telemetry` from
 * @beamline/runtime). The runtime knows nothing of gen-tcp: its
 * `RuntimeEvents` map leaves room for `package:event` names, and this module
 * declares the pool's names and payloads into that map (TypeScript
 * declaration merging), so `telemetry.on('pool:accept', (e) => e.socket)` is
 * typed for whoever imports @beamline/gen-tcp. As every emit site of the
 * runtime does, each one here first checks `telemetry.listening`, so an
 * unobserved pool builds no event.
 *
 * Order for one connection: `pool:accept` (acceptor), `pool:connection-start`
 * (connections supervisor, once the process owns the socket), then one of
 * `pool:connection-stop` or `pool:connection-crash`.
 */
import type { Pid } from '@beamline/runtime';
import type { TcpSocket } from '../socket.js';
import type { ListenerRef } from './options.js';

declare module '@beamline/runtime' {
  interface RuntimeEvents {
    /** An acceptor accepted a connection (before any connection process exists). */
    'pool:accept': [event: { ref: ListenerRef; acceptor: Pid; socket: TcpSocket }];
    /** A connection process was started and now owns the socket. */
    'pool:connection-start': [event: { ref: ListenerRef; pid: Pid; socket: TcpSocket }];
    /**
     * A connection process ended with `normal`, `shutdown` or
     * `['shutdown', _]`, or was stopped by the listener's own shutdown
     * (whatever its reason, `killed` included).
     */
    'pool:connection-stop': [event: { ref: ListenerRef; pid: Pid; reason: unknown }];
    /** A connection process ended with any other reason while the listener served. */
    'pool:connection-crash': [event: { ref: ListenerRef; pid: Pid; reason: unknown }];
    /**
     * A connection process could not be started: the protocol's `startLink`
     * threw or returned something else than `['ok', pid]`. The socket is closed.
     */
    'pool:start-error': [event: { ref: ListenerRef; reason: unknown }];
  }
}

/** The names of the pool's events. */
export type PoolEventName = 'pool:accept' | 'pool:connection-start' | 'pool:connection-stop' | 'pool:connection-crash' | 'pool:start-error';

/** `normal`, `shutdown` and `['shutdown', _]`: the exits that are no crash, as for a supervisor. */
export function isNormalExit(reason: unknown): boolean {
  return reason === 'normal' || reason === 'shutdown' || (Array.isArray(reason) && reason.length === 2 && reason[0] === 'shutdown');
}
