/**
 * The "semantics that must hold", on real sockets over 127.0.0.1:
 * passive backpressure and a peer closing inside a {packet,4} packet
 * (otp-semantics.md §1.5, §3.1-3.3). controllingProcess while data streams
 * and the owner crashing while data streams are in faults.test.ts. Every
 * loop is bounded in count and in time.
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket as NetSocket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { _, after, receive, run, sleep } from '@beamline/runtime';
import { killAll } from '@beamline/runtime/testing';
import * as gen_tcp from '../src/index.ts';
import * as inet from '../src/inet.ts';
import type { ListenSocket, TcpSocket } from '../src/index.ts';
import { ok } from './helpers.ts';

async function listenOn(options: Parameters<typeof gen_tcp.listen>[1]): Promise<[ListenSocket, number]> {
  const l = ok(await gen_tcp.listen(0, ['binary', ['ip', [127, 0, 0, 1]], ...(options as unknown[])] as never));
  return [l, ok(inet.port(l))];
}

const KiB = 1024;
const MiB = 1024 * KiB;

afterEach(async () => {
  await killAll();
});

// ---------------------------------------------------------------------------

interface Sender {
  readonly server: Server;
  readonly port: number;
  /** bytes handed to `write` so far */
  sent: number;
  /** waiting for 'drain' right now */
  blocked: boolean;
  drainWaits: number;
  maxWritableLength: number;
  done: boolean;
  readonly hash: ReturnType<typeof createHash>;
  conn: NetSocket | null;
}

/**
 * A plain node:net server that writes `total` bytes in `chunk`-sized writes
 * to the first client, honouring `write`'s backpressure, then ends. Each
 * chunk carries its index, so a reordering changes the checksum.
 */
async function startSender(total: number, chunk: number): Promise<Sender> {
  const base = randomBytes(chunk);
  const server = createServer();
  const state: Sender = {
    server, port: 0, sent: 0, blocked: false, drainWaits: 0, maxWritableLength: 0, done: false,
    hash: createHash('sha256'), conn: null,
  };
  server.on('connection', (conn) => {
    state.conn = conn;
    conn.on('error', () => {});
    let index = 0;
    const pump = (): void => {
      state.blocked = false;
      while (state.sent < total) {
        const buf = Buffer.from(base.subarray(0, Math.min(chunk, total - state.sent)));
        buf.writeUInt32BE(index++, 0);
        state.hash.update(buf);
        state.sent += buf.length;
        const more = conn.write(buf);
        state.maxWritableLength = Math.max(state.maxWritableLength, conn.writableLength);
        if (!more) {
          state.blocked = true;
          state.drainWaits++;
          conn.once('drain', pump);
          return;
        }
      }
      state.done = true;
      conn.end();
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (state as { port: number }).port = (server.address() as { port: number }).port;
  return state;
}

describe('passive backpressure', () => {
  it('a slow passive reader holds a 100 MiB sender back, buffers little, and loses nothing', async () => {
    const TOTAL = 100 * MiB;
    const sender = await startSender(TOTAL, 64 * KiB);
    try {
      const result = await run(async () => {
        const s = ok(await gen_tcp.connect('127.0.0.1', sender.port, ['binary', ['active', false]]));
        const hash = createHash('sha256');
        let got = 0;
        let reads = 0;
        let maxBuffered = 0;
        let blockedSamples = 0;
        const buffered = (): number => s.framer.pending() + s.net.readableLength;
        const deadline = Date.now() + 4000;
        // Slow phase: one read, then a 1 ms nap, a few hundred times.
        const SLOW_READS = 300;
        for (let i = 0; i < SLOW_READS && Date.now() < deadline; i++) {
          const data = ok(await gen_tcp.recv(s, 0, 2000)) as Buffer;
          hash.update(data);
          got += data.length;
          reads++;
          await sleep(1);
          maxBuffered = Math.max(maxBuffered, buffered());
          if (sender.blocked) blockedSamples++;
        }
        const slow = {
          got, sent: sender.sent, blocked: sender.blocked, drainWaits: sender.drainWaits,
          senderWritable: sender.conn?.writableLength ?? 0, blockedSamples, maxBufferedSlow: maxBuffered,
        };
        // Then read everything to the end.
        let end: unknown = null;
        for (let i = 0; i < 200_000 && Date.now() < deadline; i++) {
          const r = await gen_tcp.recv(s, 0, 2000);
          if (r[0] === 'error') {
            end = r;
            break;
          }
          const data = r[1] as Buffer;
          hash.update(data);
          got += data.length;
          reads++;
          maxBuffered = Math.max(maxBuffered, buffered());
        }
        gen_tcp.close(s);
        return { slow, end, got, reads, maxBuffered, digest: hash.digest('hex') };
      });
      // While the reader was slow, the sender was stuck behind write()'s backpressure, far from done.
      expect(result.slow.blocked).toBe(true);
      expect(result.slow.drainWaits).toBeGreaterThan(0);
      expect(result.slow.senderWritable).toBeGreaterThan(0);
      expect(result.slow.blockedSamples).toBeGreaterThan(100);
      expect(result.slow.sent).toBeLessThan(TOTAL / 2);
      // What is in flight is what the kernel buffers hold, not the whole stream.
      expect(result.slow.sent - result.slow.got).toBeLessThan(40 * MiB);
      // The receiving socket itself never held more than a little.
      expect(result.maxBuffered).toBeLessThan(1 * MiB);
      // Everything arrived, in order.
      expect(result.end).toEqual(['error', 'closed']);
      expect(sender.done).toBe(true);
      expect(result.got).toBe(TOTAL);
      expect(result.digest).toBe(sender.hash.digest('hex'));
    } finally {
      sender.conn?.destroy();
      sender.server.close();
    }
  });
});

// ---------------------------------------------------------------------------

describe('the peer closes inside a {packet,4} packet', () => {
  const header = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n, 0);
    return b;
  };
  const cases: [string, Buffer][] = [
    ['half a body', Buffer.concat([header(100), Buffer.alloc(50, 0x62)])],
    ['half a header', header(100).subarray(0, 2)],
    ['a header only', header(100)],
  ];

  for (const [what, partial] of cases) {
    it(`passive, ${what}: the whole packet before it, then closed (the partial one dropped), then enotconn`, async () => {
      await run(async () => {
        const [l, port] = await listenOn([['packet', 4], ['active', false]]);
        const c = ok(await gen_tcp.connect('127.0.0.1', port, ['binary', ['packet', 'raw']]));
        const s = ok(await gen_tcp.accept(l, 2000));
        gen_tcp.close(l);
        gen_tcp.send(c, [header(5), 'whole', partial]);
        await sleep(20);
        gen_tcp.close(c);
        expect((ok(await gen_tcp.recv(s, 0, 1000)) as Buffer).toString()).toBe('whole');
        expect(await gen_tcp.recv(s, 0, 1000)).toEqual(['error', 'closed']);
        expect(await gen_tcp.recv(s, 0, 100)).toEqual(['error', 'enotconn']);
        expect(inet.sockets().filter((r) => r.socket === s)).toEqual([]);
      });
    });

    it(`active, ${what}: tcp for the whole packet, then tcp_closed and no partial tcp`, async () => {
      await run(async () => {
        const [l, port] = await listenOn([['packet', 4], ['active', true]]);
        const c = ok(await gen_tcp.connect('127.0.0.1', port, ['binary', ['packet', 'raw']]));
        const s = ok(await gen_tcp.accept(l, 2000));
        gen_tcp.close(l);
        gen_tcp.send(c, [header(5), 'whole']);
        gen_tcp.send(c, partial);
        await sleep(20);
        gen_tcp.close(c);
        const first = await receive(['tcp', s, _], ['tcp_closed', s], ['tcp_error', s, _], after(1000));
        expect(first?.[0]).toBe('tcp');
        expect((first![2] as Buffer).toString()).toBe('whole');
        expect(await receive(['tcp', s, _], ['tcp_closed', s], ['tcp_error', s, _], after(1000))).toEqual(['tcp_closed', s]);
        expect(await receive(['tcp', s, _], ['tcp_closed', s], ['tcp_error', s, _], after(100))).toBeUndefined();
        expect(await gen_tcp.recv(s, 0, 100)).toEqual(['error', 'closed']);
        expect(inet.sockets().filter((r) => r.socket === s)).toEqual([]);
      });
    });
  }
});

describe('a socket nobody reads from holds the peer back', () => {
  const FLOOD = 16 * 1024 * 1024;
  /** Bytes the Node socket took from the kernel while a raw peer tried to write FLOOD bytes that nobody reads. */
  async function heldBack(
    options: Parameters<typeof gen_tcp.listen>[1],
    before: (s: TcpSocket, peer: NetSocket) => Promise<void>,
  ): Promise<{ read: number; paused: boolean }> {
    return run(async () => {
      const l = ok(await gen_tcp.listen(0, options));
      const peer = connect(ok(inet.port(l)), '127.0.0.1');
      peer.on('error', () => {});
      const s = ok(await gen_tcp.accept(l, 1000));
      try {
        await before(s, peer);
        await sleep(20);
        peer.write(Buffer.alloc(FLOOD));
        await sleep(300);
        return { read: s.net.bytesRead, paused: s.net.isPaused() };
      } finally {
        peer.destroy();
        gen_tcp.close(s);
        gen_tcp.close(l);
      }
    });
  }

  it('passive after a recv, after shutdown(read), after an invalid packet, and {active, once} not re-armed: a chunk or two read, the rest left in the kernel', async () => {
    const cases: [string, Parameters<typeof gen_tcp.listen>[1], Parameters<typeof heldBack>[1]][] = [
      ['passive, no recv', ['binary', ['active', false]], async () => {}],
      ['passive, one recv then none', ['binary', ['active', false]], async (s, peer) => {
        peer.write('x');
        expect(await gen_tcp.recv(s, 0, 1000)).toEqual(['ok', Buffer.from('x')]);
      }],
      ['shutdown(read), nobody reads', ['binary', ['active', false]], async (s) => {
        expect(gen_tcp.shutdown(s, 'read')).toBe('ok');
      }],
      ['shutdown(read) after a recv', ['binary', ['active', false]], async (s, peer) => {
        peer.write('x');
        expect(await gen_tcp.recv(s, 0, 1000)).toEqual(['ok', Buffer.from('x')]);
        expect(gen_tcp.shutdown(s, 'read')).toBe('ok');
      }],
      ['an invalid header after a packet, then passive', ['binary', ['active', true], ['packet', 2], ['packet_size', 10]], async (s, peer) => {
        peer.write(Buffer.from([0, 1, 97, 0, 100]));
        expect(await receive(['tcp', s, _], after(1000))).toEqual(['tcp', s, Buffer.from('a')]);
        expect(inet.setopts(s, [['active', false]])).toBe('ok');
      }],
      ['{active, once} delivered, not re-armed', ['binary', ['active', 'once']], async (s, peer) => {
        peer.write('x');
        expect(await receive(['tcp', s, _], after(1000))).toEqual(['tcp', s, Buffer.from('x')]);
      }],
    ];
    for (const [name, options, before] of cases) {
      const held = await heldBack(options, before);
      expect({ name, paused: held.paused, under1MiB: held.read < 1024 * 1024 }).toEqual({ name, paused: true, under1MiB: true });
    }
  }, 20_000);
});
