/**
 * The table of listeners, Ranch's `ranch_server`: what a listener's
 * processes publish (their pids, the listen socket, the address) and what
 * the API reads without a call. Written by the processes of the listener's
 * tree, read by anyone; one JavaScript thread, so no locking is needed.
 * An entry lives as long as its listener supervisor.
 */
import { badarg, type Pid } from '@beamline/runtime';
import type { ListenSocket } from '../listener.js';
import { show } from '../options.js';
import type { ListenerRef, Protocol, Settings } from './options.js';

export interface Listener {
  readonly ref: ListenerRef;
  readonly settings: Settings;
  readonly protocol: Protocol<unknown>;
  protocolOptions: unknown;
  /** The current limit (`setMaxConnections` changes it); `Infinity` for none. */
  maxConnections: number;
  /** Set by `suspendListener`, cleared by `resumeListener`. */
  suspended: boolean;
  listenerSup: Pid | undefined;
  connsSup: Pid | undefined;
  acceptorsSup: Pid | undefined;
  /** The open listen socket, while the acceptors run. */
  listenSocket: ListenSocket | undefined;
  /** The port first bound: a resumed listener listens on it again. */
  boundPort: number | undefined;
  /** Connections handed to a connection process, and connection processes ended, since the start. */
  accepted: number;
  terminated: number;
}

const listeners = new Map<ListenerRef, Listener>();

export function register(listener: Listener): void {
  listeners.set(listener.ref, listener);
}

/** Forgets `listener` if it is still the one under its name. */
export function forget(listener: Listener): void {
  if (listeners.get(listener.ref) === listener) listeners.delete(listener.ref);
}

export function find(ref: ListenerRef): Listener | undefined {
  return listeners.get(ref);
}

/** The listener named `ref`; badarg if there is none (Ranch's lookups crash the same way). */
export function lookup(fn: string, ref: ListenerRef): Listener {
  const l = listeners.get(ref);
  if (l === undefined) badarg(fn, `no listener named ${show(ref)}`);
  return l;
}

export function all(): Listener[] {
  return [...listeners.values()];
}
