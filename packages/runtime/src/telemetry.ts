/**
 * The runtime's event bus (eventemitter3). Events are only built when someone
 * listens: every emit site checks `telemetry.listening` first, so an
 * unobserved runtime pays one property read per event.
 */
import { EventEmitter } from 'eventemitter3';
import { reportListenerFailure } from './logger.js';
import type { Pid, Ref } from './pid.js';

export interface RuntimeEvents {
  spawn: [event: { pid: Pid; parent: Pid | undefined }];
  exit: [event: { pid: Pid; reason: unknown }];
  link: [event: { from: Pid; to: Pid }];
  unlink: [event: { from: Pid; to: Pid }];
  monitor: [event: { ref: Ref; watcher: Pid; target: Pid | string }];
  demonitor: [event: { ref: Ref; watcher: Pid }];
  /** Free-form events of other packages (gen-tcp's socket open/close/accept). */
  [event: `${string}:${string}`]: [event: Record<string, unknown>];
}

/** An EventEmitter that knows whether anyone listens at all. */
export class EventBus extends EventEmitter<RuntimeEvents> {
  /** True while at least one listener is attached. */
  listening = false;

  override on<T extends EventEmitter.EventNames<RuntimeEvents>>(
    event: T,
    fn: EventEmitter.EventListener<RuntimeEvents, T>,
    context?: unknown,
  ): this {
    super.on(event, fn, context);
    this.listening = true;
    return this;
  }

  override addListener<T extends EventEmitter.EventNames<RuntimeEvents>>(
    event: T,
    fn: EventEmitter.EventListener<RuntimeEvents, T>,
    context?: unknown,
  ): this {
    return this.on(event, fn, context);
  }

  override once<T extends EventEmitter.EventNames<RuntimeEvents>>(
    event: T,
    fn: EventEmitter.EventListener<RuntimeEvents, T>,
    context?: unknown,
  ): this {
    super.once(event, fn, context);
    this.listening = true;
    return this;
  }

  override removeListener<T extends EventEmitter.EventNames<RuntimeEvents>>(
    event: T,
    fn?: EventEmitter.EventListener<RuntimeEvents, T>,
    context?: unknown,
    once?: boolean,
  ): this {
    super.removeListener(event, fn, context, once);
    this.listening = this.eventNames().length > 0;
    return this;
  }

  override off<T extends EventEmitter.EventNames<RuntimeEvents>>(
    event: T,
    fn?: EventEmitter.EventListener<RuntimeEvents, T>,
    context?: unknown,
    once?: boolean,
  ): this {
    return this.removeListener(event, fn, context, once);
  }

  override removeAllListeners(event?: EventEmitter.EventNames<RuntimeEvents>): this {
    super.removeAllListeners(event);
    this.listening = this.eventNames().length > 0;
    return this;
  }

  override emit<T extends EventEmitter.EventNames<RuntimeEvents>>(
    event: T,
    ...args: EventEmitter.EventArgs<RuntimeEvents, T>
  ): boolean {
    let had = false;
    try {
      had = super.emit(event, ...args);
    } catch (error) {
      // A listener's bug must not break the scheduler or the process that emitted.
      reportListenerFailure(String(event), error);
      had = true;
    }
    // A `once` listener may have just removed itself.
    if (had) this.listening = this.eventNames().length > 0;
    return had;
  }
}

/** The one bus: lifecycle events of processes, and of sockets from gen-tcp. */
export const telemetry = new EventBus();
