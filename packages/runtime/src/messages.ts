/**
 * System messages, built in one place so that their shapes stay the ones
 * Erlang code matches on.
 */
import type { Pid, Ref } from './pid.js';

/** `{'EXIT', Pid, Reason}`: an exit signal turned into a message by `trap_exit`. */
export type ExitMessage = readonly ['EXIT', Pid, unknown];
/** `{'DOWN', Ref, process, Pid | {Name, Node}, Reason}` from a monitor. */
export type DownMessage = readonly ['DOWN', Ref, 'process', Pid | readonly [string, string], unknown];
/** `{timeout, TimerRef, Msg}` from `startTimer`. */
export type TimeoutMessage<M = unknown> = readonly ['timeout', Ref, M];

/** The node name every local pid belongs to; Beamline has no distribution. */
export const LOCAL_NODE = 'nonode@nohost';

export function exitMessage(from: Pid, reason: unknown): ExitMessage {
  return ['EXIT', from, reason];
}

export function downMessage(ref: Ref, item: Pid | readonly [string, string], reason: unknown): DownMessage {
  return ['DOWN', ref, 'process', item, reason];
}

export function timeoutMessage<M>(ref: Ref, msg: M): TimeoutMessage<M> {
  return ['timeout', ref, msg];
}
