/**
 * The incremental framer a socket feeds with what it receives: chunks go in
 * with `push`, complete packets come out in order with `next`, as
 * `inet_drv.c` frames a socket's input with `{packet, Type}`.
 *
 * Copying: pushing never copies; a packet that lies within one chunk is
 * delivered as a `subarray` of it, or as the chunk itself when it is all
 * of it (either way it shares the chunk's memory); one that
 * spans chunks is joined by one `Buffer.concat` when it is complete.
 * Parsing is lazy: `next` frames one packet at a time, so options changed
 * with `configure` (an `inet:setopts` switching from `line` to `raw`, say)
 * apply to every byte not yet delivered.
 *
 * Where the socket differs from `decodePacket` (all checked against OTP 25
 * sockets with `gen_tcp:recv/2`):
 * - the error is `emsgsize`, not `invalid`, and it ends the framing: the
 *   socket reports it and closes. Packets before the bad one are still
 *   delivered first.
 * - the receive buffer (`bufferSize`, OTP's `buffer` option, 1460 by
 *   default) is the window the family looks through. `line` cuts lines
 *   longer than the buffer into buffer-sized packets (`buffer 8`,
 *   `"0123456789abcdef\n"` arrives as `"01234567"`, `"89abcdef"`, `"\n"`),
 *   and a `packet_size` larger than the buffer does not prevent it; a
 *   `packet_size` smaller than the buffer makes the long line `emsgsize`.
 *   When the buffer is full and the family still needs more (a 4-byte header
 *   with `buffer 2`), the buffer grows to `packet_size` if that is larger,
 *   else the result is `emsgsize` (`inet_drv.c#tcp_remain`). Packets whose
 *   length is known are reassembled whatever their size.
 * - `raw` delivers each chunk as it came, like one read of the driver; unlike
 *   the driver it does not cut a chunk to the buffer size (Node reads up to
 *   64 KiB at once, and raw boundaries mean nothing on a stream).
 * - a partial packet left at close is discarded (`pending()` says how big).
 * - the HTTP types deliver terms (`nextHttp`), and the framer remembers
 *   whether it reads a start line or headers, as the driver's `http_state`
 *   does: a request or status line moves it to headers, `http_eoh` back to
 *   a start line (pipelined requests), whatever the type says
 *   (`http` vs `httph` only forces headers). Changing the type keeps that
 *   state, as `inet:setopts` does in OTP 25: a server can read headers with
 *   `http_bin`, a body with `raw`, then the next request with `http_bin`.
 */
import { badarg } from '@beamline/runtime';
import { ChunkQueue } from './chunk-queue.js';
import { describe } from './describe.js';
import { INVALID, MORE, newScanState, type PacketFamily, type ScanState } from './family.js';
import { familyOf, type PacketType } from './families.js';
import { HTTP_MODES, httpHeaderFamily, type HttpLineMode } from './http-line.js';
import { parseHttp, type HttpPacket } from './http.js';
import { checkInteger, isPlainObject } from './options.js';
import { raw } from './raw.js';

/** Options of a framer, named after the socket options they come from. */
export interface FramerOptions {
  /**
   * `packet_size`: the largest packet accepted, 0 for no limit; larger is
   * `emsgsize`. For 1/2/4 the body, for `line` the whole line. 0..2^32-1.
   * @default 0
   */
  readonly packetSize?: number | undefined;
  /**
   * `line_delimiter`: the byte that ends a line. 0..255.
   * @default 10 (`\n`)
   */
  readonly lineDelimiter?: number | undefined;
  /**
   * `buffer`: the receive buffer size, where `line` cuts long lines.
   * 1..2^31-1.
   * @default 1460
   */
  readonly bufferSize?: number | undefined;
}

/** What `configure` may change: the options and the packet type. */
export interface FramerChanges extends FramerOptions {
  readonly type?: PacketType | undefined;
}

/** Why framing stopped; a socket reports it as `['error', reason]` and closes. */
export type FramerError = 'emsgsize';

/** A framer is framing, or has failed for good on an invalid header. */
export type FramerState =
  | { readonly tag: 'framing' }
  | { readonly tag: 'failed'; readonly reason: FramerError };

/** OTP's default `buffer`. */
export const DEFAULT_BUFFER_SIZE = 1460;
const FRAMING: FramerState = { tag: 'framing' };
const EMSGSIZE: FramerState = { tag: 'failed', reason: 'emsgsize' };
const OPTION_KEYS = new Set(['packetSize', 'lineDelimiter', 'bufferSize']);
const CHANGE_KEYS = new Set([...OPTION_KEYS, 'type']);

/** Frames one socket's input stream into packets. */
export class Framer {
  readonly #queue = new ChunkQueue();
  #family: PacketFamily;
  /** The family `next` frames with: `#family`, or its header twin while reading HTTP headers. */
  #framing: PacketFamily;
  /** For the HTTP types: how lines parse; `undefined` for the byte types. */
  #http: HttpLineMode | undefined;
  /** OTP's `http_state`: reading header lines (true) or a start line. */
  #inHeaders = false;
  #state: FramerState = FRAMING;
  /** What the family reads; `truncLen` follows `#window`. */
  readonly #limits = { packetSize: 0, truncLen: DEFAULT_BUFFER_SIZE, delimiter: 10 };
  #bufferSize = DEFAULT_BUFFER_SIZE;
  /** The driver's buffer for the packet being framed: `#bufferSize`, or more after growing to `packet_size`. */
  #window = DEFAULT_BUFFER_SIZE;
  /** Nothing new can be framed until the queue holds this many bytes. */
  #need = 0;
  readonly #scan: ScanState = newScanState();

  constructor(type: PacketType, options: FramerOptions = {}) {
    this.#family = this.#framing = familyOf(type, 'createFramer');
    this.#http = HTTP_MODES.get(this.#family);
    this.#apply(options, OPTION_KEYS, 'createFramer');
  }

  /** `framing`, or `failed` with the reason once a header was invalid. */
  get state(): FramerState {
    return this.#state;
  }

  /** Whether the type is one of the HTTP types, whose packets come from `nextHttp`. */
  get isHttp(): boolean {
    return this.#http !== undefined;
  }

  /** Adds received bytes (not copied). Ignored once the framer has failed. */
  push(chunk: Buffer): void {
    if (this.#state.tag === 'failed') return;
    this.#queue.push(chunk);
  }

  /**
   * The next complete packet, or `undefined` when more bytes are needed or
   * the framer has failed (see `state`). 1/2/4 packets come without their
   * header, possibly empty; `line` packets keep their delimiter.
   */
  next(): Buffer | undefined {
    if (this.#state.tag === 'failed') return undefined;
    const queue = this.#queue;
    if (this.#family === raw) return queue.length === 0 ? undefined : queue.takeHead();
    if (queue.length < this.#need || queue.length === 0) return undefined;
    for (;;) {
      const n = Math.min(queue.length, this.#window);
      this.#limits.truncLen = this.#window;
      const total = this.#framing.length(queue, n, this.#limits, this.#scan);
      if (total === INVALID) return this.#fail();
      if (total === MORE) {
        if (n < this.#window) {
          this.#need = queue.length + 1;
          return undefined;
        }
        // The buffer is full and the family cannot tell yet.
        if (this.#limits.packetSize > this.#window) {
          this.#window = this.#limits.packetSize;
          continue;
        }
        return this.#fail();
      }
      if (total > queue.length) {
        this.#need = total;
        return undefined;
      }
      return this.#cut(total);
    }
  }

  /**
   * Where the payload starts when `bytes[0, length)`, arriving with nothing
   * pending, is exactly one valid packet (raw: any bytes; 1/2/4: one whole
   * packet within `packet_size`), else -1: push them instead. For a socket's
   * short reads, which it then copies out once, as the packet.
   */
  wholePacket(bytes: Uint8Array, length: number): number {
    const whole = this.#framing.whole;
    if (whole === undefined || this.#state.tag === 'failed' || this.#queue.length !== 0) return -1;
    return whole(bytes, length, this.#limits, this.#bufferSize);
  }

  /**
   * For the HTTP types, the next packet as its term (`http.ts`), or
   * `undefined` as for `next`. A request or status line switches to
   * header lines, `http_eoh` back to a start line; a malformed line is
   * `['http_error', line]` and changes nothing. `badarg` for other types.
   */
  nextHttp(): HttpPacket | undefined {
    const mode = this.#http;
    if (mode === undefined) badarg('Framer.nextHttp', `the packet type is ${this.#family.name}, not an HTTP type`);
    const line = this.next();
    if (line === undefined) return undefined;
    const packet = parseHttp(line, { header: mode.header || this.#inHeaders, bin: mode.bin });
    if (packet === 'http_eoh') this.#setInHeaders(false);
    else if (packet[0] === 'http_request' || packet[0] === 'http_response') this.#setInHeaders(true);
    return packet;
  }

  #setInHeaders(inHeaders: boolean): void {
    this.#inHeaders = inHeaders;
    this.#framing = inHeaders ? httpHeaderFamily(this.#family) : this.#family;
  }

  /**
   * Exactly `length` bytes from the stream, unframed, or `undefined` until
   * that many are here: `gen_tcp:recv(S, Length)` in raw mode.
   */
  take(length: number): Buffer | undefined {
    if (!Number.isInteger(length) || length < 1) badarg('Framer.take', `length must be a positive integer, got ${describe(length)}`);
    if (this.#state.tag === 'failed' || this.#queue.length < length) return undefined;
    this.#restart();
    return this.#queue.take(length);
  }

  /** Bytes received and not delivered yet: a partial packet, or packets `next` has not returned. */
  pending(): number {
    return this.#queue.length;
  }

  /** Drops the pending bytes, as a socket does at close; returns how many were dropped. */
  discard(): number {
    this.#restart();
    return this.#queue.clear();
  }

  /**
   * Changes the packet type or options (`inet:setopts/2`); bytes not yet
   * delivered are framed with the new ones. `badarg` on a bad value.
   */
  configure(changes: FramerChanges): void {
    this.#apply(changes, CHANGE_KEYS, 'Framer.configure');
  }

  #apply(options: FramerChanges, keys: ReadonlySet<string>, fn: string): void {
    if (!isPlainObject(options)) badarg(fn, `options must be an object, got ${describe(options)}`);
    for (const key of Object.keys(options)) {
      if (!keys.has(key)) badarg(fn, `unknown option ${describe(key)}`);
    }
    // Check everything before changing anything.
    const family = options.type === undefined ? this.#family : familyOf(options.type, fn);
    const { packetSize, lineDelimiter, bufferSize } = options;
    const limits = this.#limits;
    const newPacketSize = packetSize === undefined ? limits.packetSize : checkInteger(packetSize, 0xffff_ffff, fn, 'packetSize');
    const newDelimiter = lineDelimiter === undefined ? limits.delimiter : checkInteger(lineDelimiter, 255, fn, 'lineDelimiter');
    const newBufferSize = bufferSize === undefined ? this.#bufferSize : checkInteger(bufferSize, 0x7fff_ffff, fn, 'bufferSize');
    if (newBufferSize === 0) badarg(fn, 'bufferSize must be at least 1, got 0');
    this.#family = family;
    this.#http = HTTP_MODES.get(family);
    this.#setInHeaders(this.#inHeaders);
    limits.packetSize = newPacketSize;
    limits.delimiter = newDelimiter;
    this.#bufferSize = newBufferSize;
    this.#restart();
  }

  /** Cuts the complete packet of `total` bytes off the queue. */
  #cut(total: number): Buffer {
    const queue = this.#queue;
    const [start, end] = this.#family.payload(queue, total);
    if (start > 0) queue.skip(start);
    const packet = queue.take(end - start);
    if (total > end) queue.skip(total - end);
    this.#restart();
    return packet;
  }

  #fail(): undefined {
    this.#state = EMSGSIZE;
    this.#queue.clear();
    return undefined;
  }

  /** Forgets what was learnt about the packet being framed. */
  #restart(): void {
    this.#need = 0;
    this.#scan.scanned = 0;
    this.#window = this.#bufferSize;
  }
}

/**
 * A framer for a socket in `{packet, type}` mode. `badarg` on an unknown
 * type or a bad option.
 *
 * ```ts
 * const framer = createFramer(4, { packetSize: 1 << 20 });
 * framer.push(chunk);
 * for (let p = framer.next(); p !== undefined; p = framer.next()) deliver(p);
 * if (framer.state.tag === 'failed') fail(framer.state.reason); // 'emsgsize'
 * ```
 */
export function createFramer(type: PacketType, options: FramerOptions = {}): Framer {
  return new Framer(type, options);
}
