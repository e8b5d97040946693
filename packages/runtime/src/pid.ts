/**
 * Pids and references: opaque handles compared by identity (`===`), printed the
 * way Erlang prints them (`<0.42.0>`, `#Ref<0.0.0.7>`), so logs read like an
 * Erlang shell's.
 */
import { inspect } from 'node:util';

/** A process identifier. Only the runtime creates them; compare with `===`. */
export class Pid {
  /** Makes the type nominal: a Ref is never a Pid. */
  declare private readonly pidBrand: never;
  /** @internal serial number, unique for the life of the Node process */
  readonly id: number;
  /** @internal */
  constructor(id: number) {
    this.id = id;
  }
  toString(): string {
    return `<0.${this.id}.0>`;
  }
  /** `JSON.stringify` writes a pid as its printed form, `"<0.42.0>"`. */
  toJSON(): string {
    return this.toString();
  }
  [inspect.custom](): string {
    return this.toString();
  }
}

/** A unique reference, as made by `makeRef()`, `monitor()` and the timers. */
export class Ref {
  /** Makes the type nominal: a Pid is never a Ref. */
  declare private readonly refBrand: never;
  /** @internal */
  readonly id: number;
  /** @internal */
  constructor(id: number) {
    this.id = id;
  }
  toString(): string {
    return `#Ref<0.0.0.${this.id}>`;
  }
  toJSON(): string {
    return this.toString();
  }
  [inspect.custom](): string {
    return this.toString();
  }
}

/** The pid that signals sent from outside any process (top-level code, tests) come from. */
export const OUTSIDE = new Pid(0);

let nextRefId = 1;

/** `erlang:make_ref/0`: a reference unique for the life of the runtime. */
export function makeRef(): Ref {
  return new Ref(nextRefId++);
}

export function isPid(value: unknown): value is Pid {
  return value instanceof Pid;
}

export function isRef(value: unknown): value is Ref {
  return value instanceof Ref;
}
