/**
 * Selective receive, Erlang's `receive … after … end`, and the other ways a
 * process blocks: `sleep` and `awaitPromise`.
 *
 * `receive` takes the oldest message that one of its patterns accepts and
 * leaves the others in place, in order. While blocked, only messages that
 * arrived after the last look are examined (the save marker).
 */
import { clock } from './clock.js';
import { badarg } from './errors.js';
import { matches, type MatchOf, type Pattern } from './patterns.js';
import { WAKE_HANDOFF, WAKE_RECEIVE, WAKE_THROW, WAKE_VALUE, type Proc, type Wake } from './process.js';
import { blocked, currentProc, makeRunnable, spendReduction } from './scheduler.js';

/** A receive clause with a body, Erlang's `Pattern -> Body`. */
export class Clause<P = unknown, R = unknown> {
  constructor(
    readonly pattern: P,
    readonly body: (message: MatchOf<P>) => R,
  ) {
    if (typeof body !== 'function') badarg('on', 'the clause body must be a function');
  }
}

/** The `after` clause of a receive. */
export class After<R = undefined> {
  constructor(
    /** Milliseconds, or `Infinity` for Erlang's `infinity`. */
    readonly ms: number,
    readonly body: (() => R) | null,
  ) {
    if (typeof ms !== 'number' || Number.isNaN(ms) || ms < 0) {
      badarg('after', `timeout must be a non-negative number of milliseconds or 'infinity', got ${String(ms)}`);
    }
    if (body !== null && typeof body !== 'function') badarg('after', 'the body must be a function');
  }
}

export type ReceiveArg = Pattern | Clause<any, any> | After<any>;

/** `Pattern -> Body`: the receive resolves with what `body` returns for the matched message. */
export function on<const P extends Pattern, R>(pattern: P, body: (message: MatchOf<P>) => R): Clause<P, R> {
  return new Clause<P, R>(pattern, body);
}

/**
 * `after Ms -> Body`: the receive resolves with `body()` (or `undefined`
 * without a body) if no message matched within `ms` milliseconds. `0` looks at
 * the mailbox once; `Infinity` or `'infinity'` never times out.
 */
export function after(ms: number | 'infinity'): After<undefined>;
export function after<R>(ms: number | 'infinity', body: () => R): After<R>;
export function after<R>(ms: number | 'infinity', body?: () => R): After<R | undefined> {
  return new After(ms === 'infinity' ? Infinity : ms, body ?? null);
}

/** What a receive with arguments `A` resolves to. */
export type ReceiveResult<A extends readonly unknown[]> = {
  [K in keyof A]: A[K] extends After<infer R>
    ? R
    : A[K] extends Clause<any, infer R>
      ? Awaited<R>
      : MatchOf<A[K]>;
}[number];

/**
 * Erlang's `receive`. With no pattern, takes the oldest message. Resolves with
 * the matched message (or a clause body's result); with an `after` clause and
 * nothing matching in time, with the `after` body's result or `undefined`.
 * A process that is killed while it waits never resumes.
 */
export function receive(): Promise<unknown>;
export function receive<const A extends readonly ReceiveArg[]>(...args: A): Promise<ReceiveResult<A>>;
export function receive(): Promise<unknown> {
  const p = currentProc('receive');
  // `arguments`, not a rest parameter: the bare receive of every message loop allocates no array.
  if (arguments.length === 0) return receiveAny(p);
  const args: ReceiveArg[] = Array.prototype.slice.call(arguments);
  let afterClause: After<unknown> | null = null;
  let withBodies = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    // Tuple patterns, the usual clauses, are neither kind: one check instead of two instanceof.
    if (Array.isArray(a) || typeof a !== 'object' || a === null) continue;
    if (a instanceof Clause) {
      withBodies = true;
    } else if (a instanceof After) {
      if (i !== args.length - 1) badarg('receive', 'the after clause must be the last argument');
      afterClause = a;
      withBodies ||= a.body !== null;
    }
  }
  return receiveIn(p, args, afterClause, withBodies);
}

/** `timer:sleep/1`: blocks the process for `ms` milliseconds; resolves with `'ok'`. */
export function sleep(ms: number | 'infinity'): Promise<'ok'> {
  const p = currentProc('sleep');
  // A receive whose only clause is the `after`: no message can end it.
  const afterClause = after(ms, okBody);
  return receiveIn(p, [afterClause], afterClause, true) as Promise<'ok'>;
}

const okBody = (): 'ok' => 'ok';

/**
 * Awaits a promise the runtime does not know of (a file read, a fetch) as a
 * proper blocking operation: the other processes run meanwhile, `self()` is
 * right afterwards, and a process killed meanwhile never resumes. A bare
 * `await` of such a promise inside a process detaches it from the scheduler.
 */
export function awaitPromise<T>(promise: PromiseLike<T> | T): Promise<T> {
  const p = currentProc('awaitPromise');
  const pending = block(p, 'awaiting');
  const token = p.resolve;
  Promise.resolve(promise).then(
    (value) => wakeWith(p, token, WAKE_VALUE, value),
    (error: unknown) => wakeWith(p, token, WAKE_THROW, error),
  );
  blocked(p);
  return pending as Promise<T>;
}

/**
 * A process blocked on a driver (gen-tcp's recv): the driver answers it with
 * `answerDriverWait`, which makes it runnable with that value. Unlike
 * `awaitPromise` no second promise and no `then` callbacks are made, and the
 * answer reaches the scheduler without a microtask in between.
 */
export class DriverWait<T> {
  /** @internal */
  constructor(
    /** @internal */ readonly proc: Proc,
    /** @internal */ readonly token: unknown,
    /** What the blocked process awaits. */
    readonly promise: Promise<T>,
  ) {}
}

/**
 * Blocks the calling process until `answerDriverWait`. Call it last, right
 * before returning its promise for the caller to await: the scheduler moves
 * on to the next process at once, and that process's code may run before
 * `driverWait` returns (a new process's body starts synchronously), so an
 * answer it produces must be given to the wait once it is returned.
 */
export function driverWait<T>(): DriverWait<T> {
  const p = currentProc('driverWait');
  const promise = block(p, 'awaiting') as Promise<T>;
  const w = new DriverWait<T>(p, p.resolve, promise);
  blocked(p);
  return w;
}

/** Resumes the process blocked in `w` with `value`; nothing if it was killed meanwhile or answered already. */
export function answerDriverWait<T>(w: DriverWait<T>, value: T): void {
  wakeWith(w.proc, w.token, WAKE_VALUE, value);
}

function wakeWith(p: Proc, token: unknown, wake: Wake, value: unknown): void {
  if (p.status !== 'awaiting' || p.resolve !== token) return;
  p.wake = wake;
  p.value = value;
  makeRunnable(p);
}

/**
 * A pending promise for `p`, which now waits in `status`. The executor is
 * written inline on purpose: V8 inlines this form of the Promise constructor,
 * and a shared executor function cost 57 more bytes and ~15% per message.
 */
function block(p: Proc, status: 'waiting' | 'awaiting'): Promise<unknown> {
  p.status = status;
  return new Promise((resolve) => {
    p.resolve = resolve;
  });
}

/**
 * A blocked receive: its clauses, the save marker (messages before it were
 * already looked at), its timeout, and the clause that matched.
 */
export class Wait {
  scanFrom = 0;
  timer: unknown = undefined;
  timedOut = false;
  matched: Clause | After<unknown> | null = null;
  constructor(
    readonly args: readonly ReceiveArg[],
    /** The receive resolves through a clause body (`on`, or `after` with a body). */
    readonly withBodies: boolean,
  ) {}
}

/** A clause that accepts any message and resolves with it. */
const ANY = new Clause<unknown, unknown>(null, (m) => m);
/**
 * The wait of a bare `receive()`: shared by every process and never written
 * to. Its mailbox is empty while it waits (anything would have matched), so a
 * message is handed over directly (`deliver`).
 */
const ANY_WAIT = new Wait([ANY], false);

/** The clause the last `find` matched (read right after the call). */
let lastMatched: Clause | null = null;

/** `receive Msg -> Msg end`: the hot path of every message loop. */
function receiveAny(p: Proc): Promise<unknown> {
  if (p.queued > 0) {
    if (spendReduction()) return Promise.resolve(p.mbox!.take(0));
    return yieldToOthers(p, ANY_WAIT);
  }
  const pending = block(p, 'waiting');
  p.wait = ANY_WAIT;
  blocked(p);
  return pending;
}

/**
 * A receive with clauses (patterns, `on`) and maybe an `after` as the last
 * argument. With only an `after`, no message can match: Erlang's
 * `receive after T -> … end`.
 */
function receiveIn(p: Proc, args: readonly ReceiveArg[], afterClause: After<unknown> | null, withBodies: boolean): Promise<unknown> {
  // Look through what is already queued.
  if (p.queued > 0) {
    const found = find(p, args, 0);
    if (found >= 0) {
      const clause = lastMatched;
      if (!spendReduction()) return yieldToOthers(p, new Wait(args, withBodies));
      const message = p.mbox!.take(found);
      return Promise.resolve(clause === null ? message : clause.body(message));
    }
  }
  if (afterClause !== null && afterClause.ms === 0) {
    if (!spendReduction()) return yieldToOthers(p, new Wait(args, withBodies));
    return Promise.resolve(afterClause.body === null ? undefined : afterClause.body());
  }
  const pending = block(p, 'waiting');
  const w = new Wait(args, withBodies);
  w.scanFrom = p.queued;
  p.wait = w;
  if (afterClause !== null && afterClause.ms !== Infinity) {
    const token = p.resolve;
    w.timer = clock().schedule(afterClause.ms, () => onAfter(p, token));
  }
  blocked(p);
  return withBodies ? pending.then((message) => runMatched(w, message)) : pending;
}

/**
 * The slice or the batch is spent though a message is there (or an `after 0`
 * is due): the process goes to the back of the run queue and takes its
 * message when it is picked again. An `after 0` has had its wait, so it is
 * already timed out: picked again with no match, the process takes it at once.
 */
function yieldToOthers(p: Proc, w: Wait): Promise<unknown> {
  const pending = block(p, 'waiting');
  if (w !== ANY_WAIT) {
    const last = w.args[w.args.length - 1];
    w.timedOut = isAfter(last) && last.ms === 0;
    // If the message is gone by the time it runs again (a predicate that changed its mind), the after still holds.
    if (isAfter(last) && last.ms > 0 && last.ms !== Infinity) {
      const token = p.resolve;
      w.timer = clock().schedule(last.ms, () => onAfter(p, token));
    }
  }
  p.wait = w;
  p.wake = WAKE_RECEIVE;
  makeRunnable(p);
  blocked(p);
  return w.withBodies ? pending.then((message) => runMatched(w, message)) : pending;
}

/**
 * Index of the oldest message from `from` on that a clause accepts, or -1.
 * The clause (or null for a bare pattern) is left in `lastMatched`.
 */
function find(p: Proc, args: readonly ReceiveArg[], from: number): number {
  const mailbox = p.mbox;
  if (mailbox === null) return -1;
  const size = mailbox.size;
  const clauses = args.length > 0 && isAfter(args[args.length - 1]) ? args.length - 1 : args.length;
  if (clauses === 0) return -1;
  if (clauses === 1) {
    // One pattern: the common case, scanned without per-message dispatch on the clause kind.
    const a = args[0];
    const clause = isClause(a) ? a : null;
    lastMatched = clause;
    if (a === ANY) return from < size ? from : -1;
    const pattern = clause === null ? a : clause.pattern;
    for (let i = from; i < size; i++) {
      if (matches(pattern, mailbox.at(i))) return i;
    }
    return -1;
  }
  for (let i = from; i < size; i++) {
    const message = mailbox.at(i);
    for (let j = 0; j < clauses; j++) {
      const a = args[j];
      if (isClause(a)) {
        if (a === ANY || matches(a.pattern, message)) {
          lastMatched = a;
          return i;
        }
      } else if (matches(a, message)) {
        lastMatched = null;
        return i;
      }
    }
  }
  return -1;
}

/**
 * Whether a receive argument is an `on` clause / the `after` clause. Tuple
 * patterns, the usual arguments, are arrays: checked first, they skip the
 * instanceof (a builtin call in the wake path).
 */
function isClause(a: ReceiveArg | undefined): a is Clause<unknown, unknown> {
  return !Array.isArray(a) && a instanceof Clause;
}

function isAfter(a: ReceiveArg | undefined): a is After<unknown> {
  return !Array.isArray(a) && a instanceof After;
}

/** Runs the matched clause's body (in the process, after it resumed). */
function runMatched(w: Wait, message: unknown): unknown {
  const clause = w.matched;
  if (clause === null) return message;
  if (clause instanceof After) return clause.body === null ? undefined : clause.body();
  return clause.body(message);
}

function onAfter(p: Proc, token: unknown): void {
  if (p.resolve !== token) return;
  const w = p.wait!;
  w.timer = undefined;
  w.timedOut = true;
  if (p.status === 'waiting') {
    p.wake = WAKE_RECEIVE;
    makeRunnable(p);
  }
}

/**
 * Called by the scheduler for a process woken in a receive: takes the first
 * matching message since the save marker, or honours the timeout, or goes
 * back to waiting. Runs with `self()` set to `p`.
 */
export function resumeReceive(p: Proc): void {
  const w = p.wait!;
  if (w === ANY_WAIT) {
    // Yielded with a message in hand (handed-over messages never come here).
    if (p.queued > 0) finishReceive(p, w, p.mbox!.take(0));
    else goBackToWaiting(p);
    return;
  }
  let found: number;
  try {
    found = find(p, w.args, w.scanFrom);
  } catch (error) {
    // A predicate threw: the error surfaces in the process, at its receive (unless it ended the process).
    if (p.status === 'exited') blocked(p);
    else finishReceive(p, w, Promise.reject(error));
    return;
  }
  if (p.status === 'exited') {
    // A predicate ended its own process (exit(self(), 'kill')): it never resumes; the others go on.
    blocked(p);
    return;
  }
  if (found >= 0) {
    w.matched = lastMatched;
    finishReceive(p, w, p.mbox!.take(found));
    return;
  }
  if (w.timedOut) {
    const last = w.args[w.args.length - 1];
    w.matched = isAfter(last) ? last : null;
    finishReceive(p, w, undefined);
    return;
  }
  w.scanFrom = p.queued;
  goBackToWaiting(p);
}

function goBackToWaiting(p: Proc): void {
  p.status = 'waiting';
  blocked(p);
}

function finishReceive(p: Proc, w: Wait, value: unknown): void {
  const resolve = p.resolve!;
  p.resolve = null;
  p.wait = null;
  if (w.timer !== undefined) {
    clock().cancel(w.timer);
    w.timer = undefined;
  }
  resolve(value);
}

/**
 * Queues a message for `p`. A process blocked in a receive wakes up to look
 * at it; one blocked in a bare `receive()` has an empty mailbox, so the
 * message is handed to it directly, without going through the mailbox.
 */
export function deliver(p: Proc, message: unknown): void {
  if (p.status !== 'waiting') {
    p.mailbox.push(message);
  } else if (p.wait === ANY_WAIT) {
    p.wait = null;
    p.value = message;
    p.wake = WAKE_HANDOFF;
    makeRunnable(p);
  } else {
    p.mailbox.push(message);
    p.wake = WAKE_RECEIVE;
    makeRunnable(p);
  }
}

/** Forgets a blocked receive or await of an exiting process: it will never resume. */
export function abandonWait(p: Proc): void {
  p.resolve = null;
  p.value = undefined;
  const w = p.wait;
  p.wait = null;
  if (w !== null && w.timer !== undefined) {
    clock().cancel(w.timer);
    w.timer = undefined;
  }
}
