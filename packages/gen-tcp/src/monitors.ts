/**
 * Socket monitors: `inet:monitor/1` and `inet:cancel_monitor/1`. A process
 * that monitors a socket gets `['DOWN', ref, 'port', socket, info]` once when
 * the socket's port goes (its `close`, its owner's exit, or the end of an
 * active socket with `exit_on_close`), like an Erlang port monitor. `info` is
 * `normal`, the owner's exit reason, or the error that ended the socket.
 * A monitor also ends when its process exits.
 */
import { makeRef, onExit, send, type Pid, type Ref } from '@beamline/runtime';

/** `{'DOWN', MRef, port, Socket, Info}`. */
export type SocketDownMessage<S = object> = readonly ['DOWN', Ref, 'port', S, unknown];

interface Entry {
  readonly target: object;
  readonly watcher: Pid;
  readonly unhook: () => void;
}

/** Every live monitor by its reference, and each socket's monitors. */
const byRef = new Map<Ref, Entry>();
const bySocket = new WeakMap<object, Set<Ref>>();

/** A monitor of `target` for `watcher`; the caller has checked the port lives. */
export function addMonitor(target: object, watcher: Pid): Ref {
  const ref = makeRef();
  const unhook = onExit(watcher, () => removeMonitor(ref));
  byRef.set(ref, { target, watcher, unhook });
  let refs = bySocket.get(target);
  if (refs === undefined) bySocket.set(target, (refs = new Set()));
  refs.add(ref);
  return ref;
}

/** The DOWN of a monitor set on a port that is gone already (OTP: `noproc`). */
export function deadMonitor(target: object, watcher: Pid): Ref {
  const ref = makeRef();
  send(watcher, ['DOWN', ref, 'port', target, 'noproc']);
  return ref;
}

/** Turns off `ref` if `caller` set it and it has not fired: true; false otherwise. */
export function cancelMonitor(ref: Ref, caller: Pid): boolean {
  const entry = byRef.get(ref);
  if (entry === undefined || entry.watcher !== caller) return false;
  removeMonitor(ref);
  return true;
}

function removeMonitor(ref: Ref): void {
  const entry = byRef.get(ref);
  if (entry === undefined) return;
  byRef.delete(ref);
  entry.unhook();
  bySocket.get(entry.target)?.delete(ref);
}

/** The port of `target` is gone: every monitor fires once, in the order they were set. */
export function portDown(target: object, info: unknown): void {
  const refs = bySocket.get(target);
  if (refs === undefined) return;
  bySocket.delete(target);
  for (const ref of refs) {
    const entry = byRef.get(ref);
    if (entry === undefined) continue;
    byRef.delete(ref);
    entry.unhook();
    send(entry.watcher, ['DOWN', ref, 'port', target, info]);
  }
}
