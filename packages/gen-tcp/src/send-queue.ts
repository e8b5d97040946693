/**
 * The send side of a connected socket: OTP's busy port, watermarks,
 * `send_timeout`, `send_timeout_close` and `delay_send`, over a `net.Socket`.
 *
 * The queued output is `net.writableLength`: the bytes Node holds in user
 * space because the kernel has not taken them yet, OTP's driver queue
 * (`send_pend`). The rules are inet_drv's `tcp_sendv`, checked with erl (OTP 25):
 * - Queue empty before the send: write, answer `ok` at once, however much
 *   of it stays queued.
 * - Queue not empty: append; when the queue is now at or over
 *   `high_watermark` the socket turns busy and the sender waits until the
 *   queue drains to `low_watermark` (`ok`), `send_timeout` fires (`timeout`,
 *   its data stays queued; with `send_timeout_close` the socket closes), or
 *   the socket fails (`closed`, or `econnreset` with `show_econnreset`).
 *   `send_timeout` 0 answers `timeout` at once and the socket never turns busy.
 * - While the socket is busy, every other sender waits before its data is
 *   written (ERTS suspends port commands to a busy port). When the socket is
 *   free again they go, oldest first; the first whose data makes the socket
 *   busy again waits there, with its own timeout.
 * - A sender killed while it waits: if its data was written (it made the
 *   socket busy) the data is still sent and the busy state and its timer run
 *   on; if it was waiting for its turn, its data is never written.
 * - A waiting sender's data is framed and copied when it calls, as an
 *   Erlang binary is immutable: changing its Buffers afterwards does not
 *   change what goes out. (A send written at once is not copied: Node holds
 *   the caller's Buffers until the kernel takes them; see differences.md.)
 *
 * The fast path (queue empty, nobody waiting) allocates nothing beyond what
 * `net.write` does and passes it no callback. A send made behind queued
 * output passes the socket's one callback (`written`), which checks the low
 * watermark with two comparisons on each completed write: the sender that
 * makes the socket busy is always one of those, so its release is seen, at
 * the latest when its own write completes (a callback-less write ahead of it
 * is not checked; OTP's driver could release a little earlier).
 */
import type { Socket as NetSocket } from 'node:net';
import { awaitPromise, onExit, self, type Pid } from '@beamline/runtime';
import type { SocketOptions } from './options.js';
import { posixReason } from './posix.js';
import { countOut, type Stats } from './stats.js';

export type SendResult = 'ok' | readonly ['error', 'closed' | 'enotconn' | 'emsgsize' | 'econnreset' | 'timeout' | string];

/** What the queue needs of its socket. `opts` is read on every call, so setopts takes effect at once. */
export interface SendHost {
  readonly net: NetSocket;
  readonly opts: SocketOptions;
  readonly stats: Stats;
  /** The OS socket was reset: a sender released by the close hears `econnreset` with `show_econnreset`. */
  readonly osReset: boolean;
}

/** What the socket layer does for the queue. */
export interface SendHooks<H extends SendHost> {
  /**
   * Sends the framed `chunks` for `caller` whose turn came after waiting on
   * a busy socket: the socket's usual checks (it may have closed
   * meanwhile), then `SendQueue#send` again. Returns a promise when the
   * send waits again.
   */
  readonly resend: (host: H, chunks: readonly Buffer[], caller: Pid | null) => SendResult | Promise<SendResult>;
  /**
   * The Node socket died under a waiting sender (the peer reset it, or our
   * write failed) before the socket layer closed it: the socket's reaction
   * to the failed write (OTP's `tcp_send_error`), and what the sender is told.
   */
  readonly failed: (host: H) => SendResult;
  /** `send_timeout_close`: close the socket after a timed-out send, dropping its queued output. */
  readonly closeOnTimeout: (host: H) => void;
}

/** The sender whose data made the socket busy. */
interface Busy {
  /** null once the sender was killed: nobody to answer, the busy state runs on */
  resolve: ((result: SendResult) => void) | null;
  timer: ReturnType<typeof setTimeout> | null;
  unhook: () => void;
}

/** A sender waiting for its turn; its data (framed, copied) is not written yet. */
interface Suspended {
  readonly chunks: readonly Buffer[];
  readonly pid: Pid | null;
  readonly resolve: (result: SendResult | Promise<SendResult>) => void;
  unhook: () => void;
}

const TIMEOUT: SendResult = Object.freeze(['error', 'timeout'] as const);
const noop = (): void => {};

/**
 * @internal How long a closed socket's queued output may make no progress
 * before it is dropped: OTP's INET_CLOSE_TIMEOUT, 5 s. Tests shorten it.
 */
export const closeTiming = { progressMs: 5000 };

/** The caller's pid, or null outside processes (send works from anywhere; only waiting needs a process to wake). */
function currentPid(): Pid | null {
  try {
    return self();
  } catch {
    return null;
  }
}

/**
 * What a waiting `send` returns. The caller blocks (`awaitPromise`) only
 * when it awaits the result: a process that drops it goes on, its data
 * queued or waiting for its turn, instead of being left half-blocked.
 */
class SendWait extends Promise<SendResult> {
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }
  readonly #result: Promise<SendResult>;
  constructor(result: Promise<SendResult>) {
    super(noop);
    this.#result = result;
  }
  override then<A = SendResult, B = never>(
    onFulfilled?: ((value: SendResult) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    const waiting = currentPid() === null ? this.#result : awaitPromise(this.#result);
    return waiting.then(onFulfilled, onRejected);
  }
}

export class SendQueue<H extends SendHost> {
  private readonly host: H;
  private readonly hooks: SendHooks<H>;
  private busy: Busy | null = null;
  private suspended: Suspended[] | null = null;
  private corked = false;
  private watching = false;
  private draining = false;
  /** inside `failed`: the socket layer may close the socket, the busy sender is answered first */
  private failing = false;
  private netError: string | null = null;
  /**
   * Passed to every `net.write`: a completed write may bring the queue down
   * to the low watermark. A failed one does not free the sender: the socket
   * is failing (`netClosed` answers it).
   */
  private readonly written = (error?: Error | null): void => {
    const busy = this.busy;
    if (busy === null || error) return;
    if (this.host.net.writableLength > this.host.opts.lowWatermark) return;
    this.release(busy, 'ok');
  };
  /** delay_send's flush, made on first use. */
  private flush: (() => void) | null = null;

  constructor(host: H, hooks: SendHooks<H>) {
    this.host = host;
    this.hooks = hooks;
  }

  /** Whether a sender waits on this socket now (OTP's busy port). */
  get isBusy(): boolean {
    return this.busy !== null;
  }

  /** Senders waiting for their turn (not counting the one that made the socket busy). */
  get waiting(): number {
    return this.suspended?.length ?? 0;
  }

  /**
   * `gen_tcp:send/2` after the socket's checks: `chunks` is the data framed.
   * `caller` is undefined for a call from user code (a `SendWait`: the
   * process that awaits it waits with `awaitPromise`), or the pid (or null)
   * of a resumed sender, which gets a plain promise.
   */
  send(chunks: readonly Buffer[], caller?: Pid | null): SendResult | Promise<SendResult> {
    if (this.busy !== null) return this.suspend(chunks, caller);
    const { net, opts } = this.host;
    const queued = net.writableLength;
    if (opts.delaySend && !this.corked) {
      // OTP queues and flushes on a 0 timer; writes until then go out together.
      this.corked = true;
      net.cork();
      setImmediate(
        (this.flush ??= () => {
          this.corked = false;
          this.host.net.uncork();
        }),
      );
    }
    // Only a send made behind queued output can make the socket busy, so
    // only its writes need to report their completion. A write without a
    // callback that completes at once costs Node no nextTick; one with a
    // callback costs a tick object and a tick (about a microsecond per
    // ping-pong round trip).
    const written = queued === 0 ? undefined : this.written;
    let bytes = 0;
    for (const chunk of chunks) {
      if (chunk.length === 0) continue;
      bytes += chunk.length;
      net.write(chunk, written);
    }
    countOut(this.host.stats, bytes);
    if (queued === 0 || net.writableLength < opts.highWatermark) return 'ok';
    return this.block(caller);
  }

  /**
   * The socket layer closed the connection (`close`, the owner's exit, a
   * peer close or error it told, a failed send): a busy sender gets
   * `closed` (`econnreset` after a reset, with `show_econnreset`), the
   * waiting ones what a send on the closed socket gets. Queued output keeps
   * going out; if it makes no progress for 5 s (`closeTiming`), or `linger`
   * is `[true, T]` and T seconds pass, the Node socket is destroyed and the
   * rest dropped.
   */
  closed(): void {
    const busy = this.busy;
    if (busy !== null) this.release(busy, ['error', this.resetShown() ? 'econnreset' : 'closed']);
    else if (!this.failing) this.resume();
    this.drainAfterClose();
  }

  private block(caller: Pid | null | undefined): SendResult | Promise<SendResult> {
    const timeout = this.host.opts.sendTimeout;
    // OTP: with send_timeout 0 the send answers timeout at once, its data
    // queued, and the socket neither turns busy nor closes.
    if (timeout === 0) return TIMEOUT;
    this.watchNet();
    const pid = caller === undefined ? currentPid() : caller;
    let resolve!: (result: SendResult) => void;
    const promise = new Promise<SendResult>((r) => {
      resolve = r;
    });
    const busy: Busy = { resolve, timer: null, unhook: noop };
    if (timeout !== 'infinity') busy.timer = setTimeout(() => this.timedOut(busy), timeout);
    // Killed while it waits: nobody to answer, but the busy state and the timer run on (as OTP's).
    if (pid !== null) busy.unhook = onExit(pid, () => (busy.resolve = null));
    this.busy = busy;
    return caller === undefined ? new SendWait(promise) : promise;
  }

  private suspend(chunks: readonly Buffer[], caller: Pid | null | undefined): SendResult | Promise<SendResult> {
    const pid = caller === undefined ? currentPid() : caller;
    let resolve!: (result: SendResult | Promise<SendResult>) => void;
    const promise = new Promise<SendResult>((r) => {
      resolve = r;
    });
    // Copied now: the caller may reuse its Buffers while it waits (a resumed sender's are ours already).
    const own = caller === undefined ? [Buffer.concat(chunks as Buffer[])] : chunks;
    const waiter: Suspended = { chunks: own, pid, resolve, unhook: noop };
    const list = (this.suspended ??= []);
    list.push(waiter);
    // Killed before its turn: its data is never written, the next one keeps its place.
    if (pid !== null) {
      waiter.unhook = onExit(pid, () => {
        const i = list.indexOf(waiter);
        if (i >= 0) list.splice(i, 1);
      });
    }
    return caller === undefined ? new SendWait(promise) : promise;
  }

  private release(busy: Busy, result: SendResult): void {
    this.busy = null;
    if (busy.timer !== null) clearTimeout(busy.timer);
    busy.unhook();
    busy.resolve?.(result);
    if (!this.failing) this.resume();
  }

  private timedOut(busy: Busy): void {
    if (this.busy !== busy) return;
    this.busy = null;
    busy.unhook();
    busy.resolve?.(TIMEOUT);
    // OTP answers the sender first, then closes.
    if (this.host.opts.sendTimeoutClose) this.hooks.closeOnTimeout(this.host);
    this.resume();
  }

  /** The socket is free: the waiting senders go, oldest first, until one makes it busy again. */
  private resume(): void {
    const list = this.suspended;
    if (list === null) return;
    while (this.busy === null) {
      const waiter = list.shift();
      if (waiter === undefined) return;
      waiter.unhook();
      // A promise when this sender made the socket busy again: it waits on that.
      waiter.resolve(this.hooks.resend(this.host, waiter.chunks, waiter.pid));
    }
  }

  /** The Node socket closed under a waiting sender: the socket layer reacts as to a failed write. */
  private netClosed(): void {
    const busy = this.busy;
    if (busy === null) return;
    this.busy = null;
    if (busy.timer !== null) clearTimeout(busy.timer);
    busy.unhook();
    this.failing = true;
    let answer: SendResult;
    try {
      answer = this.hooks.failed(this.host);
    } finally {
      this.failing = false;
    }
    busy.resolve?.(answer);
    this.resume();
  }

  private resetShown(): boolean {
    // osReset: the socket layer may close on a reset before this queue's own error listener runs.
    const e = this.netError;
    return (this.host.osReset || e === 'econnreset' || e === 'epipe') && this.host.opts.showEconnreset;
  }

  /** From the first wait on: a socket that dies under a waiting sender releases it. */
  private watchNet(): void {
    if (this.watching) return;
    this.watching = true;
    const net = this.host.net;
    net.on('error', (error: Error) => {
      this.netError = posixReason(error);
    });
    net.once('close', () => this.netClosed());
  }

  private drainAfterClose(): void {
    const net = this.host.net;
    if (this.draining || net.destroyed || net.writableLength === 0) return;
    this.draining = true;
    const [lingerOn, lingerSeconds] = this.host.opts.linger;
    let last = progressMark(net);
    const check = setInterval(() => {
      if (net.destroyed || net.writableLength === 0) {
        clearInterval(check);
        return;
      }
      const now = progressMark(net);
      if (now === last) drop();
      last = now;
    }, closeTiming.progressMs);
    check.unref();
    const deadline = lingerOn ? setTimeout(drop, lingerSeconds * 1000) : null;
    deadline?.unref();
    function drop(): void {
      clearInterval(check);
      if (deadline !== null) clearTimeout(deadline);
      net.destroy();
    }
  }
}

/**
 * How far the output has got: Node's queue length, and libuv's count of
 * bytes not yet taken by the kernel, which also moves inside one large write.
 */
function progressMark(net: NetSocket): string {
  const handle = (net as unknown as { _handle?: { writeQueueSize?: number } | null })._handle;
  return `${net.writableLength}/${handle?.writeQueueSize ?? -1}`;
}
