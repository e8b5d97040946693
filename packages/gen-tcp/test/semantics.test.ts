/**
 * The "semantics that must hold", on real sockets over 127.0.0.1:
 * passive backpressure, controllingProcess while data streams, the owner
 * crashing while data streams, and a peer closing inside a {packet,4}
 * packet (otp-semantics.md §1.5, §3.1-3.3). Every loop is bounded in count
 * and in time.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket as NetSocket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { _, after, monitor, receive, run, self, send, setLogger, sleep, spawn, type Pid } from '@beamline/runtime';
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

describe('controllingProcess while data streams in', () => {
  /** The peer streams until the last handoff has happened, at most this many packets. */
  const MAX_PACKETS = 100_000;
  const HANDOFFS = 200;
  /** An owner hands the socket on after this many packets of its own turn (plus whatever was moved to it). */
  const PER_TURN = 3;

  for (const mode of [true, 'once'] as const) {
    it(`{active, ${String(mode)}}: 200 handoffs between two processes, every {packet,4} packet once and in order`, async () => {
      const outcome = await run(async () => {
        const [l, port] = await listenOn([['packet', 4], ['active', mode]]);
        const me = self();
        // The peer streams numbered packets in small bursts until told to stop
        // (after the last handoff, however fast the machine is), then closes.
        const peer = spawn(async () => {
          const c = ok(await gen_tcp.connect('127.0.0.1', port, ['binary', ['packet', 4]]));
          const pad = Buffer.alloc(60, 0x2e);
          const deadline = Date.now() + 10_000;
          let sent = 0;
          for (; sent < MAX_PACKETS && Date.now() < deadline; sent++) {
            const b = Buffer.alloc(4);
            b.writeUInt32BE(sent, 0);
            expect(gen_tcp.send(c, [b, pad])).toBe('ok');
            if (sent % 20 === 19) {
              await sleep(1);
              if ((await receive('stop', after(0))) !== undefined) {
                sent++;
                break;
              }
            }
          }
          gen_tcp.close(c);
          send(me, ['peer done', sent]);
        });
        const s = ok(await gen_tcp.accept(l, 2000));
        gen_tcp.close(l);

        /**
         * One of the two owners. It records [seq, turn] for every packet:
         * `turn` is the turn it holds, or, while it does not own the socket,
         * the next turn it will get (only packets moved to it by
         * controllingProcess reach it then, and they precede the turn message).
         */
        const worker = async (name: string, firstTurn: number): Promise<void> => {
          const log: [number, number][] = [];
          let owner = false;
          let turn = firstTurn - 2;
          let inTurn = 0;
          let moved = 0;
          let other: Pid | null = null;
          const deadline = Date.now() + 15_000;
          for (let step = 0; step < 4 * MAX_PACKETS && Date.now() < deadline; step++) {
            const m = await receive(['tcp', s, _], ['tcp_closed', s], ['turn', _, _], ['other', _], ['report'], after(3000));
            if (m === undefined) break;
            if (m[0] === 'other') {
              other = m[1] as Pid;
            } else if (m[0] === 'turn') {
              owner = true;
              turn = m[1] as number;
              inTurn = 0;
              if (turn === HANDOFFS) send(me, 'last turn');
              if (mode === 'once') inet.setopts(s, [['active', 'once']]);
            } else if (m[0] === 'tcp') {
              const seq = (m[2] as Buffer).readUInt32BE(0);
              log.push([seq, owner ? turn : turn + 2]);
              if (!owner) moved++;
              if (mode === 'once') inet.setopts(s, [['active', 'once']]);
              if (owner && ++inTurn === PER_TURN && turn < HANDOFFS) {
                expect(gen_tcp.controllingProcess(s, other!)).toBe('ok');
                owner = false;
                send(other!, ['turn', turn + 1, name]);
              }
            } else if (m[0] === 'tcp_closed') {
              send(me, ['closed seen', name]);
            } else {
              send(me, ['log', name, log, moved]);
              return;
            }
          }
          send(me, ['log', name, log, moved]);
        };
        const a = spawn(worker, 'a', 0);
        const b = spawn(worker, 'b', 1);
        send(a, ['other', b]);
        send(b, ['other', a]);
        // Whatever reached this mailbox before the first handoff moves along with the socket.
        expect(gen_tcp.controllingProcess(s, a)).toBe('ok');
        send(a, ['turn', 0, 'test']);
        await receive('last turn', after(12_000));
        send(peer, 'stop');
        const closedBy = await receive(['closed seen', _], after(4000));
        const done = await receive(['peer done', _], after(1000));
        const sent = done === undefined ? -1 : (done[1] as number);
        send(a, ['report']);
        send(b, ['report']);
        const logs: Record<string, [number, number][]> = {};
        const moved: Record<string, number> = {};
        for (let i = 0; i < 2; i++) {
          const m = await receive(['log', _, _, _], after(2000));
          if (m === undefined) throw new Error('a worker did not report');
          logs[m[1] as string] = m[2] as [number, number][];
          moved[m[1] as string] = m[3] as number;
        }
        return { closedBy, sent, logs, moved, left: inet.sockets().filter((r) => r.socket === s).length };
      });
      expect(outcome.closedBy).toBeDefined();
      const all = [...outcome.logs['a']!, ...outcome.logs['b']!];
      // Each owner saw its packets in increasing order.
      for (const log of [outcome.logs['a']!, outcome.logs['b']!]) {
        for (let i = 1; i < log.length; i++) expect(log[i]![0]).toBeGreaterThan(log[i - 1]![0]);
      }
      // Exactly once, and in order across the owners: turn by turn, the stream is 0..sent-1.
      expect(outcome.sent).toBeGreaterThan(HANDOFFS * PER_TURN);
      expect(all.length).toBe(outcome.sent);
      const merged = [...all].sort((x, y) => x[1] - y[1] || x[0] - y[0]).map(([seq]) => seq);
      expect(merged).toEqual(Array.from({ length: outcome.sent }, (_x, i) => i));
      // The socket really changed hands 200 times.
      const turns = new Set(all.map(([, t]) => t));
      expect(Math.max(...turns)).toBe(HANDOFFS);
      expect(turns.size).toBe(HANDOFFS + 1);
      const moved = outcome.moved['a']! + outcome.moved['b']!;
      // With {active, true} the stream outruns the handoffs: queued packets must have moved with the socket.
      if (mode === true) expect(moved).toBeGreaterThan(0);
      // The peer's close was reported to the owner of the moment, and the socket is gone.
      expect(outcome.left).toBe(0);
    }, 30_000);
  }
});

// ---------------------------------------------------------------------------

describe('owner crash while data streams in', () => {
  for (const mode of [true, false] as const) {
    it(`{active, ${String(mode)}}: the socket closes, the peer sees the close, no socket is left`, async () => {
      const previous = setLogger(() => {});
      try {
        await run(async () => {
          const [l, port] = await listenOn([['active', mode]]);
          const me = self();
          const owner = spawn(async () => {
            const s = ok(await gen_tcp.accept(l, 2000));
            send(me, ['accepted', s]);
            // Read a little, then crash with the stream still coming.
            for (let i = 0; i < 5; i++) {
              if (mode) await receive(['tcp', s, _], after(1000));
              else await gen_tcp.recv(s, 0, 1000);
            }
            throw new Error('owner crashed on purpose');
          });
          const ref = monitor(owner);
          const c = ok(await gen_tcp.connect('127.0.0.1', port, ['binary', ['active', false]]));
          // A streamer process writes on the client until a send fails.
          spawn(async () => {
            const chunk = Buffer.alloc(16 * KiB, 0x41);
            for (let i = 0; i < 2000; i++) {
              const r = gen_tcp.send(c, chunk);
              if (r !== 'ok') {
                send(me, ['send failed', r]);
                return;
              }
              await sleep(1);
            }
            send(me, ['send failed', 'never']);
          });
          const [, s] = await receive(['accepted', _], after(2000, () => ['accepted', null] as const));
          const down = await receive(['DOWN', ref, 'process', owner, _], after(2000));
          expect((down?.[4] as Error).message).toBe('owner crashed on purpose');
          // The peer's recv sees the close (a reset counts as closed: show_econnreset is false).
          expect(await gen_tcp.recv(c, 0, 2000)).toEqual(['error', 'closed']);
          const [, failed] = await receive(['send failed', _], after(3000, () => ['send failed', 'timeout'] as const));
          expect(failed).toEqual(['error', 'closed']);
          const sock = s as TcpSocket;
          expect(sock.net.destroyed).toBe(true);
          expect(gen_tcp.send(sock, 'x')).toEqual(['error', 'closed']);
          expect(inet.sockets().filter((r) => r.socket === sock || r.socket === c)).toEqual([]);
          gen_tcp.close(l);
          expect(inet.sockets().filter((r) => r.socket === l)).toEqual([]);
        });
      } finally {
        setLogger(previous);
      }
    });
  }
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
