/**
 * The read path (read-buffer.ts): sockets read into Beamline's own buffers,
 * a shared one between large reads and a private one handed over during
 * bulk, and fall back to Node's stream path where Node does not allow that.
 * Real sockets over 127.0.0.1; a plain node:net peer writes, so the reads
 * the receiver sees have the sizes the test asks for.
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket as NetSocket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { setTimeout as delay } from 'node:timers/promises';
import { _, after, awaitPromise, receive, run, self, send, sleep, spawn } from '@beamline/runtime';
import { killAll } from '@beamline/runtime/testing';
import * as gen_tcp from '../src/index.ts';
import * as inet from '../src/inet.ts';
import { holdsBlock, MAX_SWEPT_BLOCKS, readPath } from '../src/read-buffer.ts';
import { readCounts } from '../src/socket.ts';
import type { ListenSocket, TcpSocket } from '../src/index.ts';
import { ok } from './helpers.ts';

const KiB = 1024;

afterEach(async () => {
  readPath.own = true;
  readPath.idleSweepMs = 1000;
  await killAll();
});

/** Whether a socket reads through Node's `data` events (the fallback) rather than our buffers. */
function onStreamPath(s: TcpSocket): boolean {
  return s.net.listenerCount('data') > 0;
}

/**
 * Sizes that make the receiver see short reads, large reads (handed over
 * from a private block, several to a block) and short reads again (back to
 * the shared buffer after a few), in a fixed order: each write waits for
 * the one before it to be read.
 */
const SIZES = [
  1, 68, 5_000, 40 * KiB, 64 * KiB, 64 * KiB, 100, 33 * KiB, 7, 64 * KiB, 2_000, 1, 50 * KiB, 300,
  // Short reads in a row give the private block up for the shared buffer; then large reads again.
  5, 6, 7, 8, 9, 40 * KiB, 64 * KiB, 10,
];

/** Writes `sizes` (random bytes) one by one, `gapMs` apart; returns what it wrote. Peer code: no process. */
async function writeSpaced(peer: NetSocket, sizes: readonly number[], gapMs: number): Promise<Buffer> {
  const sent: Buffer[] = [];
  for (const size of sizes) {
    const bytes = randomBytes(size);
    sent.push(bytes);
    await new Promise<void>((resolve) => peer.write(bytes, () => resolve()));
    await delay(gapMs);
  }
  return Buffer.concat(sent);
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A listen socket with `options`, a plain node:net peer connected to it, and the accepted gen-tcp socket. Call in a process. */
async function framedPair(options: gen_tcp.OptionList): Promise<{ l: ListenSocket; peer: NetSocket; s: TcpSocket }> {
  const l = ok(await gen_tcp.listen(0, ['binary', ['ip', [127, 0, 0, 1]], ...options]));
  const peer = connect(ok(inet.port(l)), '127.0.0.1');
  peer.on('error', () => {});
  const s = ok(await gen_tcp.accept(l, 1000));
  return { l, peer, s };
}

/** The same, raw, active or passive. */
function acceptedPair(active: boolean): Promise<{ l: ListenSocket; peer: NetSocket; s: TcpSocket }> {
  return framedPair([['active', active]]);
}

function closePair(pair: { l: ListenSocket; peer: NetSocket; s: TcpSocket }): void {
  pair.peer.destroy();
  gen_tcp.close(pair.s);
  gen_tcp.close(pair.l);
}

/** Receives `['tcp', s, data]` messages into `messages` until `total` bytes came (or 2 s pass with none). */
async function collectActive(s: TcpSocket, messages: Buffer[], total: number): Promise<number> {
  let got = messages.reduce((n, m) => n + m.length, 0);
  while (got < total) {
    const m = await receive(['tcp', s, _], after(2000));
    if (m === undefined) break;
    messages.push(m[2] as Buffer);
    got += (m[2] as Buffer).length;
  }
  return got;
}

describe('reads into our own buffers', () => {
  it('active: short and large reads arrive whole and in order, and every message keeps its bytes after later reads', async () => {
    await run(async () => {
      const { l, peer, s } = await acceptedPair(true);
      expect(onStreamPath(s)).toBe(false);
      const sent = await awaitPromise(writeSpaced(peer, SIZES, 15));
      // Every message is held until the end: a buffer reused under one would change the checksum.
      const messages: Buffer[] = [];
      expect(await collectActive(s, messages, sent.length)).toBe(sent.length);
      expect(sha(Buffer.concat(messages))).toBe(sha(sent));
      // Both kinds of read happened: at least one of 32 KiB or more, and short ones after it.
      const firstLarge = messages.findIndex((m) => m.length >= 32 * KiB);
      expect(firstLarge).toBeGreaterThanOrEqual(0);
      expect(messages.slice(firstLarge + 1).some((m) => m.length < 32 * KiB)).toBe(true);
      closePair({ l, peer, s });
    });
  }, 20_000);

  it('passive recv: the same sizes, taken with recv(s, 0) as they come', async () => {
    await run(async () => {
      const { l, peer, s } = await acceptedPair(false);
      expect(onStreamPath(s)).toBe(false);
      const writing = writeSpaced(peer, SIZES, 15);
      const expected = SIZES.reduce((a, b) => a + b, 0);
      const messages: Buffer[] = [];
      let total = 0;
      while (total < expected) {
        const r = await gen_tcp.recv(s, 0, 2000);
        if (r[0] === 'error') break;
        messages.push(r[1] as Buffer);
        total += (r[1] as Buffer).length;
      }
      const sent = await awaitPromise(writing);
      expect(total).toBe(sent.length);
      expect(sha(Buffer.concat(messages))).toBe(sha(sent));
      closePair({ l, peer, s });
    });
  }, 20_000);

  it('a connected socket reads into our buffers too', async () => {
    const server: Server = createServer((conn) => conn.end('hello'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      await run(async () => {
        const s = ok(await gen_tcp.connect('127.0.0.1', port, ['binary', ['active', false]]));
        expect(onStreamPath(s)).toBe(false);
        expect(await gen_tcp.recv(s, 0, 1000)).toEqual(['ok', Buffer.from('hello')]);
        expect(await gen_tcp.recv(s, 0, 1000)).toEqual(['error', 'closed']);
        gen_tcp.close(s);
      });
    } finally {
      server.close();
    }
  });

  it('a socket nobody reads takes in at most 64 KiB and one read before it stops reading', async () => {
    await run(async () => {
      const { l, peer, s } = await acceptedPair(false);
      peer.write(Buffer.alloc(8 * 1024 * KiB));
      await sleep(300);
      expect(s.net.bytesRead).toBeGreaterThan(0);
      expect(s.net.bytesRead).toBeLessThanOrEqual(128 * KiB);
      // What was read ahead comes first, then the rest, nothing lost.
      let total = 0;
      for (let i = 0; i < 10_000 && total < 8 * 1024 * KiB; i++) {
        const r = await gen_tcp.recv(s, 0, 2000);
        if (r[0] === 'error') break;
        total += (r[1] as Buffer).length;
      }
      expect(total).toBe(8 * 1024 * KiB);
      closePair({ l, peer, s });
    });
  }, 20_000);
});

describe('a private block', () => {
  it('is not kept alive by the bytes of a socket paused because nobody reads: they are kept in one Buffer of their size', async () => {
    await run(async () => {
      const { l, peer, s } = await acceptedPair(false);
      // One large read taken with recv: the socket reads into a block from now on.
      const first = await awaitPromise(writeSpaced(peer, [64 * KiB], 5));
      expect(await gen_tcp.recv(s, 0, 1000)).toEqual(['ok', first]);
      expect(holdsBlock(s.net)).toBe(true);
      peer.write(Buffer.alloc(8 * 1024 * KiB, 7));
      // This recv starts the socket reading again (the first was answered from what waited).
      const r0 = await gen_tcp.recv(s, 0, 1000);
      expect(r0[0]).toBe('ok');
      await sleep(300);
      expect(s.netPaused).toBe(true);
      const ahead = s.ahead ?? [];
      expect(ahead.length).toBe(1);
      expect(ahead[0]!.buffer.byteLength).toBe(ahead[0]!.length);
      let total = (r0[1] as Buffer).length;
      for (let i = 0; i < 10_000 && total < 8 * 1024 * KiB; i++) {
        const r = await gen_tcp.recv(s, 0, 2000);
        if (r[0] === 'error') break;
        expect((r[1] as Buffer).every((b) => b === 7)).toBe(true);
        total += (r[1] as Buffer).length;
      }
      expect(total).toBe(8 * 1024 * KiB);
      closePair({ l, peer, s });
    });
  }, 20_000);

  it('is given up by a socket that reads nothing for a sweep, and later reads, short and large, still arrive whole', async () => {
    readPath.idleSweepMs = 40;
    await run(async () => {
      const { l, peer, s } = await acceptedPair(true);
      const first = await awaitPromise(writeSpaced(peer, [64 * KiB, 64 * KiB], 15));
      const messages: Buffer[] = [];
      expect(await collectActive(s, messages, first.length)).toBe(first.length);
      expect(holdsBlock(s.net)).toBe(true);
      // Idle for a few sweeps: the block goes, the messages keep their bytes.
      // Bounded: a sweep armed before this test may still run at the default 1 s.
      for (let i = 0; i < 150 && holdsBlock(s.net); i++) await sleep(20);
      expect(holdsBlock(s.net)).toBe(false);
      const second = await awaitPromise(writeSpaced(peer, [10, 64 * KiB, 40 * KiB, 3], 15));
      const expected = first.length + second.length;
      expect(await collectActive(s, messages, expected)).toBe(expected);
      expect(sha(Buffer.concat(messages))).toBe(sha(Buffer.concat([first, second])));
      closePair({ l, peer, s });
    });
  }, 20_000);
});

describe('a socket swept again and again', () => {
  it(`takes a block ${MAX_SWEPT_BLOCKS} times at most, then copies its large reads, every byte still in order`, async () => {
    readPath.idleSweepMs = 10;
    await run(async () => {
      const { l, peer, s } = await acceptedPair(true);
      const sent: Buffer[] = [];
      const messages: Buffer[] = [];
      let blocks = 0;
      // Bounded: MAX_SWEPT_BLOCKS + 3 rounds of a large read, then idle until swept (at most 1.5 s each).
      for (let round = 0; round < MAX_SWEPT_BLOCKS + 3; round++) {
        sent.push(await awaitPromise(writeSpaced(peer, [48 * KiB], 5)));
        const expected = sent.reduce((n, b) => n + b.length, 0);
        expect(await collectActive(s, messages, expected)).toBe(expected);
        if (!holdsBlock(s.net)) continue;
        blocks++;
        for (let i = 0; i < 75 && holdsBlock(s.net); i++) await sleep(20);
        expect(holdsBlock(s.net)).toBe(false);
      }
      expect(blocks).toBe(MAX_SWEPT_BLOCKS);
      expect(sha(Buffer.concat(messages))).toBe(sha(Buffer.concat(sent)));
      closePair({ l, peer, s });
    });
  }, 30_000);
});

describe('bytes read ahead keep their place', () => {
  it('shutdown(read) after bytes were read ahead: recv returns them before what came after, then closed', async () => {
    await run(async () => {
      const { l, peer, s } = await acceptedPair(false);
      peer.write('AAAA');
      await sleep(50);
      // AAAA waits, read ahead; BBBB is on its way when the read side shuts.
      peer.write('BBBB');
      expect(gen_tcp.shutdown(s, 'read')).toBe('ok');
      await sleep(50);
      const got: string[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await gen_tcp.recv(s, 0, 1000);
        if (r[0] === 'error') {
          got.push(`error:${r[1]}`);
          break;
        }
        got.push((r[1] as Buffer).toString());
      }
      expect(got.join('')).toMatch(/^AAAA(BBBB)?error:closed$/);
      closePair({ l, peer, s });
    });
  });
});

/** `body` behind a big-endian length header of `size` bytes, as a `{packet, size}` peer sends it. */
function framed(size: 1 | 2 | 4, body: Buffer): Buffer {
  const header = Buffer.alloc(size);
  header.writeUIntBE(body.length, 0, size);
  return Buffer.concat([header, body]);
}

/** Writes each buffer on its own, `gapMs` apart, so that each is one read of the receiver. Peer code: no process. */
async function writeEach(peer: NetSocket, writes: readonly Buffer[], gapMs: number): Promise<void> {
  for (const bytes of writes) {
    await new Promise<void>((resolve) => peer.write(bytes, () => resolve()));
    await delay(gapMs);
  }
}

// socketOnLent: a short read that is exactly one packet is copied out once,
// as the packet; any other read is framed the general way. Both kinds are
// mixed here, so their order and bytes are checked across the switch.
describe('a read that is exactly one packet', () => {
  it('{packet, 4} active: whole-packet reads and reads of one and a half packets arrive in order, each message keeping its bytes; recv_oct counts the headers', async () => {
    await run(async () => {
      const pair = await framedPair([['packet', 4], ['active', true]]);
      const bodies = [1, 64, 0, 300, 5_000, 64, 2, 1_000].map((n) => randomBytes(n));
      const packets = bodies.map((b) => framed(4, b));
      // Whole packets, then the fourth and half the fifth in one read, the rest of the fifth, then whole ones again.
      const half = packets[4]!.length >> 1;
      const writes = [
        packets[0]!, packets[1]!, packets[2]!,
        Buffer.concat([packets[3]!, packets[4]!.subarray(0, half)]),
        packets[4]!.subarray(half),
        packets[5]!, packets[6]!, packets[7]!,
      ];
      const wholeBefore = readCounts.wholePackets;
      const writing = writeEach(pair.peer, writes, 15);
      const got: Buffer[] = [];
      for (let i = 0; i < bodies.length; i++) {
        const m = await receive(['tcp', pair.s, _], after(2000));
        expect(m).toBeDefined();
        got.push(m![2] as Buffer);
      }
      await awaitPromise(writing);
      // Compared once all are in: a read buffer reused under a message would show here.
      expect(got).toEqual(bodies);
      // At least some of the spaced writes arrived as one read each and took the one-packet path.
      expect(readCounts.wholePackets).toBeGreaterThan(wholeBefore);
      const total = packets.reduce((n, p) => n + p.length, 0);
      expect(inet.getstat(pair.s, ['recv_oct', 'recv_cnt'])).toEqual(['ok', [['recv_oct', total], ['recv_cnt', bodies.length]]]);
      closePair(pair);
    });
  }, 20_000);

  it('{packet, 2} {active, once} and passive recv(s, 0), in list mode: each packet once, in order', async () => {
    await run(async () => {
      const pair = await framedPair([['packet', 2], ['active', false], 'list']);
      const bodies = ['one', 'two', 'three', 'four'].map((t) => Buffer.from(t));
      const writing = writeEach(pair.peer, bodies.map((b) => framed(2, b)), 15);
      expect(await gen_tcp.recv(pair.s, 0, 2000)).toEqual(['ok', [...bodies[0]!]]);
      expect(inet.setopts(pair.s, [['active', 'once']])).toBe('ok');
      expect(await receive(['tcp', pair.s, _], after(2000))).toEqual(['tcp', pair.s, [...bodies[1]!]]);
      expect(await gen_tcp.recv(pair.s, 0, 2000)).toEqual(['ok', [...bodies[2]!]]);
      expect(inet.setopts(pair.s, [['active', 1]])).toBe('ok');
      expect(await receive(['tcp', pair.s, _], after(2000))).toEqual(['tcp', pair.s, [...bodies[3]!]]);
      expect(await receive(['tcp_passive', pair.s], after(2000))).toEqual(['tcp_passive', pair.s]);
      await awaitPromise(writing);
      closePair(pair);
    });
  }, 20_000);

  it('{active, 3} across one-packet reads: three messages, tcp_passive, and the fourth packet waits for the next setopts', async () => {
    await run(async () => {
      const pair = await framedPair([['packet', 4], ['active', 3]]);
      const bodies = ['a', 'bb', 'ccc', 'dddd'].map((t) => Buffer.from(t));
      const writing = writeEach(pair.peer, bodies.map((b) => framed(4, b)), 15);
      for (const body of bodies.slice(0, 3)) expect(await receive(['tcp', pair.s, _], after(2000))).toEqual(['tcp', pair.s, body]);
      expect(await receive(['tcp_passive', pair.s], after(2000))).toEqual(['tcp_passive', pair.s]);
      await awaitPromise(writing);
      expect(await receive(['tcp', pair.s, _], after(100))).toBeUndefined();
      expect(inet.setopts(pair.s, [['active', 'once']])).toBe('ok');
      expect(await receive(['tcp', pair.s, _], after(2000))).toEqual(['tcp', pair.s, bodies[3]]);
      closePair(pair);
    });
  }, 20_000);

  // Another process blocked in recv(s, 0) when the owner turns the socket
  // active: deliver sends the packet to the owner and leaves the recv
  // waiting (it times out). Checked on both read paths, which must agree.
  for (const own of [true, false]) {
    it(`an active socket with a recv(s, 0) of another process waiting: the packet goes to the owner, the recv times out (${own ? 'our buffers' : "Node's stream path"})`, async () => {
      readPath.own = own;
      await run(async () => {
        const pair = await framedPair([['packet', 2], ['active', false]]);
        const owner = self();
        spawn(async () => {
          send(owner, ['reader', await gen_tcp.recv(pair.s, 0, 400)]);
        });
        await sleep(50);
        expect(inet.setopts(pair.s, [['active', true]])).toBe('ok');
        await awaitPromise(writeEach(pair.peer, [framed(2, Buffer.from('to the owner'))], 0));
        expect(await receive(['tcp', pair.s, _], after(2000))).toEqual(['tcp', pair.s, Buffer.from('to the owner')]);
        expect(await receive(['reader', _], after(2000))).toEqual(['reader', ['error', 'timeout']]);
        closePair(pair);
      });
    }, 20_000);
  }

  it('a whole packet over packet_size is emsgsize, after the packets before it', async () => {
    await run(async () => {
      const pair = await framedPair([['packet', 1], ['packet_size', 10], ['active', true]]);
      const writing = writeEach(pair.peer, [framed(1, Buffer.from('fits')), framed(1, Buffer.alloc(11))], 15);
      expect(await receive(['tcp', pair.s, _], after(2000))).toEqual(['tcp', pair.s, Buffer.from('fits')]);
      expect(await receive(['tcp_error', pair.s, _], after(2000))).toEqual(['tcp_error', pair.s, 'emsgsize']);
      expect(await receive(['tcp_closed', pair.s], after(2000))).toEqual(['tcp_closed', pair.s]);
      await awaitPromise(writing);
      closePair(pair);
    });
  }, 20_000);

  it('{packet, 4} with a receive buffer smaller than the header: a whole packet is still emsgsize (the buffer cannot grow to packet_size 0)', async () => {
    await run(async () => {
      const pair = await framedPair([['packet', 4], ['buffer', 2], ['active', true]]);
      const writing = writeEach(pair.peer, [framed(4, Buffer.from('x'))], 15);
      expect(await receive(['tcp_error', pair.s, _], after(2000))).toEqual(['tcp_error', pair.s, 'emsgsize']);
      await awaitPromise(writing);
      closePair(pair);
    });
  }, 20_000);
});

describe("Node's stream path (the fallback)", () => {
  it('a socket made while our buffers are off reads through data events: echo in active, once and passive modes, framed', async () => {
    readPath.own = false;
    await run(async () => {
      const l = ok(await gen_tcp.listen(0, ['binary', ['packet', 2], ['active', false], ['ip', [127, 0, 0, 1]]]));
      const c = ok(await gen_tcp.connect('127.0.0.1', ok(inet.port(l)), ['binary', ['packet', 2], ['active', true]]));
      const s = ok(await gen_tcp.accept(l, 1000));
      expect(onStreamPath(s)).toBe(true);
      expect(onStreamPath(c)).toBe(true);
      expect(await gen_tcp.send(c, 'passive')).toBe('ok');
      expect(await gen_tcp.recv(s, 0, 1000)).toEqual(['ok', Buffer.from('passive')]);
      expect(inet.setopts(s, [['active', 'once']])).toBe('ok');
      expect(await gen_tcp.send(c, 'once')).toBe('ok');
      expect(await receive(['tcp', s, _], after(1000))).toEqual(['tcp', s, Buffer.from('once')]);
      const big = randomBytes(60 * KiB);
      expect(inet.setopts(s, [['active', true]])).toBe('ok');
      expect(await gen_tcp.send(c, big)).toBe('ok');
      expect(await receive(['tcp', s, _], after(1000))).toEqual(['tcp', s, big]);
      expect(await gen_tcp.send(s, 'back')).toBe('ok');
      expect(await receive(['tcp', c, _], after(1000))).toEqual(['tcp', c, Buffer.from('back')]);
      gen_tcp.close(c);
      expect(await receive(['tcp_closed', s], after(1000))).toEqual(['tcp_closed', s]);
      gen_tcp.close(s);
      gen_tcp.close(l);
    });
  });
});
