/**
 * Registered names: `register`, `unregister`, `whereis`, `registered`.
 * A name goes away when its process exits.
 */
import { badarg } from './errors.js';
import { Pid } from './pid.js';
import { procOf, type Proc } from './process.js';

const names = new Map<string, Proc>();

/** `erlang:register/2`. Throws `badarg` if the name is taken, the pid is dead or already named. */
export function register(name: string, pid: Pid): true {
  if (typeof name !== 'string' || name === '' || name === 'undefined') {
    badarg('register', `name must be a non-empty string other than 'undefined', got ${String(name)}`);
  }
  if (!(pid instanceof Pid)) badarg('register', `not a pid: ${String(pid)}`);
  const p = procOf(pid);
  if (p === null) badarg('register', `process ${pid} is not alive`);
  if (names.has(name)) badarg('register', `name '${name}' is already registered`);
  const x = p.more;
  if (x.name !== undefined) badarg('register', `process ${pid} is already registered as '${x.name}'`);
  names.set(name, p);
  x.name = name;
  return true;
}

/** `erlang:unregister/1`. Throws `badarg` if the name is not registered. */
export function unregister(name: string): true {
  const p = names.get(name);
  if (p === undefined) badarg('unregister', `name '${String(name)}' is not registered`);
  names.delete(name);
  p.more.name = undefined;
  return true;
}

/** `erlang:whereis/1`: the pid registered under `name`, or `undefined`. */
export function whereis(name: string): Pid | undefined {
  return names.get(name);
}

/** `erlang:registered/0`: every registered name. */
export function registered(): string[] {
  return [...names.keys()];
}

/** The live process registered under `name`, or undefined. */
export function lookup(name: string): Proc | undefined {
  return names.get(name);
}

export function unregisterProc(p: Proc): void {
  const x = p.extras;
  if (x === null || x.name === undefined) return;
  if (names.get(x.name) === p) names.delete(x.name);
  x.name = undefined;
}
