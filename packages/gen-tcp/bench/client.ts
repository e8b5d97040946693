/**
 * The load generator of the network benchmarks: plain `node:net` clients,
 * the same code against the Beamline, raw `node:net` and Erlang/OTP servers.
 * It runs in the scenario's own process, never in a server's.
 *
 * Every loop is bounded by a count and by a deadline: a server that stops
 * answering fails the round instead of hanging the suite.
 */
import { connect, type Socket } from 'node:net';

const HOST = '127.0.0.1';

/** Rejects when `ms` pass before `promise` settles; `what` names it (a function: read when the time is up, for progress counts). */
export function within<T>(ms: number, what: string | (() => string), promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${typeof what === 'function' ? what() : what}: not done within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: HOST, port, noDelay: true });
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** Opens `n` connections, at most `parallel` connects in flight. */
async function openMany(port: number, n: number, parallel: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      next++;
      sockets.push(await open(port));
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, n) }, worker));
  return sockets;
}

/** The p-th percentile (0..100) of sorted samples, nearest rank. */
function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}

export interface PingPongFigures {
  /** Round trips per second over the whole run. */
  readonly rate: number;
  /** Round-trip latency percentiles, microseconds. */
  readonly p50: number;
  readonly p99: number;
}

/**
 * `{packet, 4}` ping-pong: `conns` connections, each with one 64-byte
 * message in flight, until `total` round trips are done (taken from a
 * shared count, so a faster connection does more). The echo must come back
 * byte for byte.
 */
export async function pingPong(port: number, conns: number, total: number, deadlineMs: number): Promise<PingPongFigures> {
  const size = 64;
  const frame = Buffer.alloc(4 + size);
  frame.writeUInt32BE(size, 0);
  for (let i = 0; i < size; i++) frame[4 + i] = (i * 7 + 1) & 0xff;
  const sockets = await within(deadlineMs, 'connect', openMany(port, conns, 50));
  const latencies = new Float64Array(total);
  let issued = 0;
  let done = 0;
  const t0 = performance.now();
  try {
    await within(
      deadlineMs,
      () => `ping-pong (${done} of ${total} round trips)`,
      new Promise<void>((resolve, reject) => {
        for (const s of sockets) {
          // The echo may come back in pieces: a round trip ends when all its bytes are back.
          const back = Buffer.alloc(frame.length);
          let got = 0;
          let sentAt = 0;
          const fire = (): void => {
            if (issued >= total) return;
            issued++;
            got = 0;
            sentAt = performance.now();
            s.write(frame);
          };
          s.on('data', (chunk: Buffer) => {
            if (got + chunk.length > frame.length) {
              reject(new Error(`echo: ${got + chunk.length} bytes back for a ${frame.length}-byte frame`));
              return;
            }
            chunk.copy(back, got);
            got += chunk.length;
            if (got < frame.length) return;
            if (!back.equals(frame)) {
              reject(new Error('echo: the bytes that came back differ from those sent'));
              return;
            }
            latencies[done++] = (performance.now() - sentAt) * 1000;
            if (done === total) resolve();
            else fire();
          });
          s.on('error', reject);
          s.on('close', () => {
            if (done < total) reject(new Error('echo: the server closed a connection'));
          });
          fire();
        }
      }),
    );
  } finally {
    for (const s of sockets) s.destroy();
  }
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort();
  return { rate: total / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/**
 * Bulk transfer: one connection, `total` bytes in `chunk`-byte writes
 * (honouring `write`'s backpressure), then wait for the receiver's one-byte
 * acknowledgement, sent when it has counted every byte. Figure: MB/s
 * (10^6 bytes a second), from the first write to the acknowledgement.
 */
export async function bulk(port: number, total: number, chunk: number, deadlineMs: number): Promise<number> {
  const s = await within(deadlineMs, 'connect', open(port));
  const block = Buffer.alloc(chunk, 0x5a);
  const t0 = performance.now();
  try {
    await within(
      deadlineMs,
      'bulk',
      new Promise<void>((resolve, reject) => {
        s.on('error', reject);
        s.on('close', () => reject(new Error('bulk: the server closed the connection before acknowledging')));
        s.once('data', () => resolve());
        let written = 0;
        const pump = (): void => {
          while (written < total) {
            const n = Math.min(chunk, total - written);
            written += n;
            if (!s.write(n === chunk ? block : block.subarray(0, n))) {
              s.once('drain', pump);
              return;
            }
          }
        };
        pump();
      }),
    );
  } finally {
    s.destroy();
  }
  return total / 1e6 / ((performance.now() - t0) / 1000);
}

/**
 * Accept rate: `cycles` connect/close cycles, `parallel` in flight. The
 * server closes each connection as soon as it has accepted it (so the
 * TIME_WAIT lands on the server's side and the client's ephemeral ports are
 * free again at once); a cycle ends when the client sees that close.
 * Figure: connections per second.
 */
export async function acceptCycles(port: number, cycles: number, parallel: number, deadlineMs: number): Promise<number> {
  let started = 0;
  let finished = 0;
  const cycle = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const s = connect({ host: HOST, port });
      s.on('error', reject);
      s.resume();
      s.on('close', () => {
        finished++;
        resolve();
      });
    });
  const worker = async (): Promise<void> => {
    while (started < cycles) {
      started++;
      await cycle();
    }
  };
  const t0 = performance.now();
  await within(
    deadlineMs,
    () => `accept (${finished} of ${cycles} cycles)`,
    Promise.all(Array.from({ length: parallel }, worker)),
  );
  return cycles / ((performance.now() - t0) / 1000);
}

/**
 * Opens `n` connections that stay idle and returns them (the caller closes
 * them), at most `parallel` connects in flight.
 */
export function openIdle(port: number, n: number, parallel: number, deadlineMs: number): Promise<Socket[]> {
  return within(deadlineMs, `open ${n} connections`, openMany(port, n, parallel));
}
