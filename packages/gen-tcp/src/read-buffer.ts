/**
 * Reads a socket's bytes into Beamline's own buffers, through Node's
 * `onread` mechanism, instead of Node's stream path.
 *
 * Node's default path costs, per read: a new 64 KiB C allocation, a second
 * one of the read's size and a copy when the read is shorter, and the
 * Readable machinery (`push`, a `nextTick` for `maybeReadMore`, the `data`
 * event). With `onread`, the kernel's bytes land in a buffer we gave the
 * socket and one callback hands them over. Measured on the `{packet, 4}`
 * echo server (50 connections, perf): 18% fewer CPU samples per round trip.
 *
 * Buffers:
 * - Every socket starts on one shared 64 KiB buffer. A read there is lent to
 *   the socket (`ReadSink.lent`), which copies out what it keeps before the
 *   callback returns (no other socket can read meanwhile), so an idle
 *   connection holds no read buffer at all. Lending rather than copying the
 *   whole read lets a read that is exactly one packet be copied once, as
 *   that packet (socket.ts).
 * - A read of 32 KiB or more moves the socket to a private 256 KiB block,
 *   read into 64 KiB at a time: from then on a large read's bytes become
 *   the chunk itself, with no copy, and the next read goes into the block
 *   right after them (a new block when less than 64 KiB is left; Node's
 *   default path allocates a buffer per read). A short read is lent, as on
 *   the shared buffer, and the block is read into again at the same place; after
 *   `SHORT_READS_TO_SHARE` short reads in a row the socket goes back to the
 *   shared buffer (a bulk sender's 64 KiB write often arrives as a large
 *   read and a short one: going back at once made the next large read a
 *   64 KiB copy, measured on 4.5% of bulk reads).
 * - A socket that holds a block and reads nothing for a whole
 *   `readPath.idleSweepMs` (1 s) gives it up (`sweep`): the handle is pointed at the
 *   shared buffer again. Without this, a connection that once received a
 *   large read and then sat idle kept 256 KiB (10,000 such connections:
 *   2.5 GB). Each such switch leaves a small listener record (about 50
 *   bytes) in Node's handle until the socket closes (`useUserBuffer`
 *   pushes a new one), so a socket gives a block up at most
 *   `MAX_SWEPT_BLOCKS` times; after that its large reads are lent from
 *   the shared buffer like short ones.
 * - A message of a large read keeps its whole block alive as long as it
 *   lives (256 KiB at most), and its `.buffer` is that block.
 * - Blocks are larger than glibc's default mmap threshold (128 KiB);
 *   heap-trim.ts raises it, so they come from the C heap. Where it is not
 *   raised, each block is an mmap of its own.
 *
 * Node gives `onread` only to sockets it creates with the option; accepted
 * sockets get it here through the stream's own fields (`kBuffer`,
 * `kBufferCb`, `kBufferGen`, found by their descriptions) and the handle's
 * `useUserBuffer`, which is what Node's constructor does with the option.
 * Where any of these is missing (another Node version, a socket without a
 * handle), the socket keeps Node's stream path and its `data` events:
 * `readIntoOwnBuffers` says which one it got.
 *
 * Pausing is unchanged: `pause()` stops the handle reading and `resume()`
 * starts it again (net.Socket does this for `onread` sockets). Nothing is
 * held in Node's Readable buffer any more, so what is read ahead is only
 * what the framer holds. The end of the stream and read errors still come
 * as `end` and `error` events.
 */
import type { Socket as NetSocket } from 'node:net';

/** What one read asks of the kernel, as Node's default path. */
const READ_SIZE = 64 * 1024;
/** A read at least this large moves its socket to a private block and is handed over without a copy. */
const LARGE_READ = 32 * 1024;
/** A private block: four reads of READ_SIZE, one allocation. */
const BLOCK_SIZE = 4 * READ_SIZE;
/** Short reads in a row after which a socket gives its block up for the shared buffer. */
const SHORT_READS_TO_SHARE = 4;
/** @internal Blocks a socket may lose to the idle sweep; each loss leaves a listener record in its handle. */
export const MAX_SWEPT_BLOCKS = 8;

/** The buffer of every socket between large reads. Never handed over: its bytes are copied out. */
const shared = Buffer.allocUnsafeSlow(READ_SIZE);
/**
 * The shared buffer's memory, for copyLent: a view made with the Uint8Array
 * constructor from a known ArrayBuffer, where Buffer#subarray would read
 * `.buffer`, a call into V8's C++ runtime on every read.
 */
const sharedMemory = shared.buffer;
const sharedOffset = shared.byteOffset;

/**
 * @internal `own` off: sockets made from then on use Node's stream path
 * (the fallback), for tests. `idleSweepMs`: how often sockets holding a
 * block are looked at; one that read nothing since the last look gives it
 * up. Tests shorten it.
 */
export const readPath = { own: true, idleSweepMs: 1000 };

interface StreamFields {
  readonly buffer: symbol;
  readonly callback: symbol;
  readonly generator: symbol;
}

/** The stream's onread fields, looked up on the first socket; null when this Node has none. */
let fields: StreamFields | null | undefined;

function streamFields(net: NetSocket): StreamFields | null {
  if (fields !== undefined) return fields;
  const symbols = Object.getOwnPropertySymbols(net);
  // Exactly one field of each name, or this is not the Node we know.
  const named = (description: string): symbol | undefined => {
    const found = symbols.filter((s) => s.description === description);
    return found.length === 1 ? found[0] : undefined;
  };
  const buffer = named('kBuffer');
  const callback = named('kBufferCb');
  const generator = named('kBufferGen');
  fields = buffer !== undefined && callback !== undefined && generator !== undefined ? { buffer, callback, generator } : null;
  return fields;
}

interface UserBufferHandle {
  useUserBuffer(buffer: Uint8Array): void;
}

/**
 * Where a socket's reads go. `owned`: a Buffer the receiver keeps as it
 * is. `lent`: bytes `[0, length)` of `buffer`, valid only during the call
 * (the next read lands on them): what the receiver keeps it copies with
 * `copyLent` before returning.
 */
export interface ReadSink<T> {
  owned(target: T, chunk: Buffer): void;
  lent(target: T, buffer: Buffer, length: number): void;
}

/** Where a socket reads now, kept on its net.Socket under `READER`. */
class Reader<T> {
  /** The buffer of the next read: the shared one, or a 64 KiB window of `block`. */
  next: Buffer = shared;
  /** The private block (null on the shared buffer) and where `next` starts in it. */
  block: Buffer | null = null;
  offset = 0;
  shortReads = 0;
  /** A read came since the last sweep. */
  readSinceSweep = false;
  /** Blocks the sweep took from this socket (MAX_SWEPT_BLOCKS). */
  swept = 0;
  constructor(
    readonly net: NetSocket,
    readonly handle: UserBufferHandle,
    readonly target: T,
    readonly sink: ReadSink<T>,
  ) {}
}

const READER = Symbol('beamline.reader');

/**
 * Node calls the generator right after the callback, for the same socket
 * and with nothing in between: the callback leaves the next buffer here, so
 * that one callback and one generator serve every socket (no closures per
 * connection).
 */
let nextForNode: Buffer = shared;

function onRead(this: NetSocket, nread: number, buffer: Buffer): void {
  const r = (this as unknown as { [READER]: Reader<unknown> })[READER];
  r.readSinceSweep = true;
  try {
    // Handed over only if the buffer Node says it gave is the window we gave
    // it (it always is: this guards the bytes of earlier messages against any
    // change in how Node calls the generator).
    if (nread < LARGE_READ || r.block === null || buffer !== r.next) {
      // Lent; the same buffer takes the next read (the block changes only
      // after the sink has copied what it keeps).
      r.sink.lent(r.target, buffer, nread);
      if (nread < LARGE_READ) {
        if (r.block !== null && ++r.shortReads >= SHORT_READS_TO_SHARE) dropBlock(r);
      } else {
        r.shortReads = 0;
        if (r.block === null && r.swept < MAX_SWEPT_BLOCKS) holdBlock(r);
      }
    } else {
      r.shortReads = 0;
      // A full window is handed over as it is: no new view.
      const chunk = nread === buffer.length ? buffer : buffer.subarray(0, nread);
      r.offset += nread;
      if (BLOCK_SIZE - r.offset < READ_SIZE) holdBlock(r);
      else r.next = r.block.subarray(r.offset, r.offset + READ_SIZE);
      r.sink.owned(r.target, chunk);
    }
  } catch (error) {
    // Node must still take the next buffer (the generator runs only if this
    // returns), or the next read lands on the bytes just handed over.
    queueMicrotask(() => {
      throw error;
    });
  }
  // Node takes the next buffer from the generator right after this returns.
  nextForNode = r.next;
}

function nextBuffer(): Buffer {
  return nextForNode;
}

/** Sockets holding a block, looked at every `readPath.idleSweepMs` while there are any. */
const holding = new Set<Reader<unknown>>();
let sweeper: ReturnType<typeof setTimeout> | null = null;

function armSweeper(): void {
  sweeper = setTimeout(sweep, readPath.idleSweepMs);
  sweeper.unref();
}

/** A new block, read into from its start. */
function holdBlock(r: Reader<unknown>): void {
  const block = Buffer.allocUnsafeSlow(BLOCK_SIZE);
  r.block = block;
  r.offset = 0;
  r.next = block.subarray(0, READ_SIZE);
  if (!holding.has(r)) {
    holding.add(r);
    if (sweeper === null) armSweeper();
  }
}

/** Back to the shared buffer, from the next read on (called in a read: Node takes `next` from the generator). */
function dropBlock(r: Reader<unknown>): void {
  r.block = null;
  r.next = shared;
  holding.delete(r);
}

/**
 * Sockets that read nothing since the last sweep give their block up. No
 * read is under way here, so the handle can be pointed at the shared
 * buffer directly.
 */
function sweep(): void {
  sweeper = null;
  try {
    for (const r of holding) {
      if (r.readSinceSweep && !r.net.destroyed) {
        r.readSinceSweep = false;
        continue;
      }
      dropBlock(r);
      if (!r.net.destroyed && fields != null) {
        r.swept++;
        readIntoShared(r.net, r.handle, fields);
      }
    }
  } finally {
    if (holding.size > 0) armSweeper();
  }
}

/**
 * Makes `net` read into our buffers and give each read to `sink` (owned or
 * lent, see `ReadSink`). Call before the socket
 * starts reading (an accepted socket paused on creation, a connected one in
 * its `connect` event). Returns false when the socket stays on Node's
 * stream path.
 */
export function readIntoOwnBuffers<T>(net: NetSocket, target: T, sink: ReadSink<T>): boolean {
  if (!readPath.own) return false;
  const handle = (net as unknown as { _handle?: Partial<UserBufferHandle> | null })._handle;
  if (handle === null || handle === undefined || typeof handle.useUserBuffer !== 'function') return false;
  const f = streamFields(net);
  if (f === null || (net as unknown as Record<symbol, unknown>)[f.buffer] !== null) return false;
  const stream = net as unknown as Record<symbol, unknown>;
  stream[READER] = new Reader(net, handle as UserBufferHandle, target, sink);
  stream[f.callback] = onRead;
  stream[f.generator] = nextBuffer;
  readIntoShared(net, handle as UserBufferHandle, f);
  return true;
}

/** Points the stream and its handle at the shared buffer: its next read lands there. */
function readIntoShared(net: NetSocket, handle: UserBufferHandle, f: StreamFields): void {
  (net as unknown as Record<symbol, unknown>)[f.buffer] = shared;
  handle.useUserBuffer(shared);
}

/** @internal For tests: whether the socket holds a private block now. */
export function holdsBlock(net: NetSocket): boolean {
  const r = (net as unknown as { [READER]?: Reader<unknown> })[READER];
  return r !== undefined && r.block !== null;
}

/** Bytes `[start, end)` of a lent read buffer (`ReadSink.lent`), as a new Buffer. */
export function copyLent(from: Buffer, start: number, end: number): Buffer {
  const chunk = Buffer.allocUnsafe(end - start);
  chunk.set(from === shared ? new Uint8Array(sharedMemory, sharedOffset + start, end - start) : from.subarray(start, end));
  return chunk;
}
