/**
 * Looking at processes from outside: `processes()` and `processInfo(pid)`.
 */
import { badarg } from './errors.js';
import { Pid } from './pid.js';
import { WAKE_HANDOFF, liveProcs, procOf, type ProcessStatus } from './process.js';

/** `erlang:processes/0`: the pids of every live process. */
export function processes(): Pid[] {
  return liveProcs();
}

export interface ProcessInfo {
  /** Erlang's status atoms: what the process is doing now. */
  readonly status: 'running' | 'runnable' | 'waiting';
  readonly messageQueueLen: number;
  /** The messages queued, oldest first. */
  readonly messages: readonly unknown[];
  readonly links: readonly Pid[];
  /**
   * Monitors this process holds, as `['process', pid]`, or `['process', [name, node]]`
   * for a monitor made by registered name (as Erlang shows them).
   */
  readonly monitors: readonly (readonly ['process', Pid | readonly [string, string]])[];
  /** Processes monitoring this one. */
  readonly monitoredBy: readonly Pid[];
  readonly registeredName: string | undefined;
  readonly trapExit: boolean;
}

const statusOf: Record<Exclude<ProcessStatus, 'exited'>, ProcessInfo['status']> = {
  runnable: 'runnable',
  running: 'running',
  waiting: 'waiting',
  awaiting: 'waiting',
  detached: 'waiting',
};

/** `erlang:process_info/1`: what the runtime knows of a live process, or `undefined` once it has exited. */
export function processInfo(pid: Pid): ProcessInfo | undefined {
  if (!(pid instanceof Pid)) badarg('processInfo', `not a pid: ${String(pid)}`);
  const p = procOf(pid);
  if (p === null || p.status === 'exited') return undefined;
  const x = p.extras;
  const messages = p.mbox === null ? [] : p.mbox.toArray();
  // A message handed straight to a process blocked in a bare receive is still queued for it.
  if (p.status === 'runnable' && p.wake === WAKE_HANDOFF) messages.unshift(p.value);
  return {
    status: statusOf[p.status],
    messageQueueLen: messages.length,
    messages,
    links: x?.links == null ? [] : [...x.links],
    monitors: x?.monitors == null ? [] : [...x.monitors].map(([ref, t]) => ['process', t.extras?.watchers?.get(ref)?.item ?? t] as const),
    monitoredBy: x?.watchers == null ? [] : [...x.watchers.values()].map((w) => w.watcher),
    registeredName: x?.name,
    trapExit: x?.trapExit ?? false,
  };
}
