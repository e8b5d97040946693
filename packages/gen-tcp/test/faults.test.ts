/**
 * Fault tests on real sockets over 127.0.0.1 (issue 5): a peer resetting
 * the connection inside a framed packet, the owner crashing while data
 * streams in, controllingProcess 10,000 times while a peer streams, a listen
 * socket closed under 100 waiting acceptors and 100 queued connections.
 * Every loop is bounded in count and in time.
 */
import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { _, after, exit, monitor, processInfo, processes, receive, run, self, send, setLogger, sleep, spawn, type Pid } from '@beamline/runtime';
import { killAll } from '@beamline/runtime/testing';
import * as gen_tcp from '../src/index.ts';
import * as inet from '../src/inet.ts';
import type { ListenSocket, TcpSocket } from '../src/index.ts';
import { ok } from './helpers.ts';

async function listenOn(options: unknown[]): Promise<[ListenSocket, number]> {
  const l = ok(await gen_tcp.listen(0, ['binary', ['ip', [127, 0, 0, 1]], ...options] as never));
  return [l, ok(inet.port(l))];
}

/** Open file descriptors of this process (Linux). */
function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/** What the test sees of a socket's messages, one entry per message, until `quietMs` pass without one. */
async function drain(s: TcpSocket, quietMs: number): Promise<unknown[]> {
  const seen: unknown[] = [];
  for (let i = 0; i < 100; i++) {
    const m = await receive(['tcp', s, _], ['tcp_closed', s], ['tcp_error', s, _], ['tcp_passive', s], after(quietMs));
    if (m === undefined) break;
    if (m[0] === 'tcp') seen.push(['tcp', (m[2] as Buffer).toString()]);
    else if (m[0] === 'tcp_error') seen.push(['tcp_error', m[2]]);
    else seen.push(m[0]);
  }
  return seen;
}

afterEach(async () => {
  await killAll();
});

// ---------------------------------------------------------------------------

describe('the peer resets the connection inside a framed packet', () => {
  /*
   * The expected sequences are what OTP 25 (erts 13.1.5, Linux) printed for
   * the same scenario, run with an escript: the receiver's socket has
   * `{packet, 4}` or `line`, a mode and `show_econnreset`; the peer sends a
   * whole packet and part of the next, waits, sets `{linger, {true, 0}}` and
   * closes (a reset); the receiver then drains its mailbox, calls recv three
   * times and send twice. `early` has a recv already waiting when the data
   * comes; in every other case the receiver reads only after the reset.
   * OTP printed, per mode (W = the whole packet, R = closed, or econnreset
   * with show_econnreset):
   *   passive:         recvs [ok W, R, enotconn]
   *   passive, early:  the waiting recv ok W; recvs [R, enotconn, enotconn]
   *   once:            [tcp W]; recvs [R, enotconn, enotconn]
   *   {active, 1}:     [tcp W, tcp_passive]; recvs [R, enotconn, enotconn]
   *   true, {active, 2}, {active, 10}:
   *                    [tcp W, (tcp_error econnreset,) tcp_closed]; recvs [closed x3]
   * and sends: after a passive read of the reset [closed, enotconn], or with
   * show_econnreset [enotconn, enotconn]; after tcp_closed [closed, closed].
   * The partial packet is never delivered.
   */
  type Mode = 'passive' | 'passive, early' | true | 'once' | 1 | 2 | 10;
  const MODES: readonly Mode[] = ['passive', 'passive, early', true, 'once', 1, 2, 10];
  const FRAMINGS = [
    { packet: 4, whole: 'whole', wire: (b: string) => [lengthHeader(b.length), b], partial: Buffer.from([0, 0, 0, 100, ...Buffer.from('halfbody')]) },
    { packet: 'line', whole: 'whole\n', wire: (b: string) => [b], partial: Buffer.from('partial line') },
  ] as const;

  function lengthHeader(n: number): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n, 0);
    return b;
  }

  function expected(mode: Mode, show: boolean, whole: string): { first: unknown[]; msgs: unknown[]; recvs: unknown[]; sends: unknown[] } {
    const reset = show ? 'econnreset' : 'closed';
    const passiveSends = show ? [['error', 'enotconn'], ['error', 'enotconn']] : [['error', 'closed'], ['error', 'enotconn']];
    switch (mode) {
      case 'passive':
        return { first: [], msgs: [], recvs: [['ok', whole], ['error', reset], ['error', 'enotconn']], sends: passiveSends };
      case 'passive, early':
        return { first: [['ok', whole]], msgs: [], recvs: [['error', reset], ['error', 'enotconn'], ['error', 'enotconn']], sends: passiveSends };
      case 'once':
      case 1:
        return {
          first: [],
          msgs: mode === 'once' ? [['tcp', whole]] : [['tcp', whole], 'tcp_passive'],
          recvs: [['error', reset], ['error', 'enotconn'], ['error', 'enotconn']],
          sends: passiveSends,
        };
      default:
        return {
          first: [],
          msgs: show ? [['tcp', whole], ['tcp_error', 'econnreset'], 'tcp_closed'] : [['tcp', whole], 'tcp_closed'],
          recvs: [['error', 'closed'], ['error', 'closed'], ['error', 'closed']],
          sends: [['error', 'closed'], ['error', 'closed']],
        };
    }
  }

  for (const framing of FRAMINGS) {
    for (const mode of MODES) {
      for (const show of [false, true]) {
        const name = `{packet, ${framing.packet}}, ${typeof mode === 'number' ? `{active, ${mode}}` : String(mode)}, show_econnreset ${show}`;
        it(`${name}: exactly what OTP delivers, in order`, async () => {
          const seen = await run(async () => {
            const active = mode === 'passive' || mode === 'passive, early' ? false : mode;
            const [l, port] = await listenOn([['packet', framing.packet], ['active', active], ['show_econnreset', show]]);
            const c = ok(await gen_tcp.connect('127.0.0.1', port, ['binary', ['packet', 'raw'], ['active', false]]));
            const s = ok(await gen_tcp.accept(l, 2000));
            gen_tcp.close(l);
            const me = self();
            if (mode === 'passive, early') spawn(async () => send(me, ['pending', await gen_tcp.recv(s, 0, 1000)]));
            await sleep(20);
            expect(await gen_tcp.send(c, [...framing.wire(framing.whole), framing.partial])).toBe('ok');
            await sleep(30);
            expect(inet.setopts(c, [['linger', [true, 0]]])).toBe('ok');
            gen_tcp.close(c);
            await sleep(50);
            const first: unknown[] = [];
            if (mode === 'passive, early') {
              const m = await receive(['pending', _], after(1000));
              const r = m?.[1] as gen_tcp.RecvResult | undefined;
              first.push(r === undefined ? 'no answer' : r[0] === 'ok' ? ['ok', (r[1] as Buffer).toString()] : r);
            }
            const msgs = await drain(s, 50);
            const recvs: unknown[] = [];
            for (let i = 0; i < 3; i++) {
              const r = await gen_tcp.recv(s, 0, 200);
              recvs.push(r[0] === 'ok' ? ['ok', (r[1] as Buffer).toString()] : r);
            }
            const sends = [await gen_tcp.send(s, 'x'), await gen_tcp.send(s, 'y')];
            const later = await drain(s, 20);
            gen_tcp.close(s);
            return { first, msgs, recvs, sends, later };
          });
          expect(seen).toEqual({ ...expected(mode, show, framing.whole), later: [] });
        });
      }
    }
  }
});

// ---------------------------------------------------------------------------

/** Polls `read` until it is at most `target` or `ms` pass; returns the last reading. */
async function settlesTo(read: () => number, target: number, ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  let value = read();
  while (value > target && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    value = read();
  }
  return value;
}

describe('the owner crashes while data streams in', () => {
  const KiB = 1024;
  type Mode = true | false | 'once' | 5;

  for (const mode of [true, false, 'once', 5] as const satisfies readonly Mode[]) {
    for (const how of ['throws', 'is killed'] as const) {
      it(`{active, ${String(mode)}}, the owner ${how}: the socket closes, the peer sees it, nothing is left`, async () => {
        const previous = setLogger(() => {});
        const fdsBefore = openFds();
        const processesBefore = processes().length;
        try {
          await run(async () => {
            const [l, port] = await listenOn([['active', mode]]);
            const me = self();
            const owner = spawn(async () => {
              const s = ok(await gen_tcp.accept(l, 2000));
              send(me, ['accepted', s]);
              // Read a little, then crash (or wait to be killed) with the stream still coming.
              for (let i = 0; i < 5; i++) {
                if (mode === false) {
                  ok(await gen_tcp.recv(s, 0, 1000));
                } else {
                  await receive(['tcp', s, _], after(1000));
                  if (mode === 'once') inet.setopts(s, [['active', 'once']]);
                }
              }
              if (how === 'throws') throw new Error('owner crashed on purpose');
              send(me, 'read five');
              await receive('never sent');
            });
            const ref = monitor(owner);
            const c = ok(await gen_tcp.connect('127.0.0.1', port, ['binary', ['active', false]]));
            // A streamer writes on the client until a send fails.
            const streamer = spawn(async () => {
              const chunk = Buffer.alloc(16 * KiB, 0x41);
              for (let i = 0; i < 2000; i++) {
                const r = await gen_tcp.send(c, chunk);
                if (r !== 'ok') {
                  send(me, ['send failed', r]);
                  return;
                }
                await sleep(1);
              }
              send(me, ['send failed', 'never']);
            });
            const [, s] = await receive(['accepted', _], after(2000, () => ['accepted', null] as const));
            if (how === 'is killed') {
              expect(await receive('read five', after(2000))).toBe('read five');
              exit(owner, 'kill');
            }
            const down = await receive(['DOWN', ref, 'process', owner, _], after(2000));
            if (how === 'throws') expect((down?.[4] as Error).message).toBe('owner crashed on purpose');
            else expect(down?.[4]).toBe('killed');
            // The peer sees the close (a reset reads as closed: show_econnreset is false), its sends fail.
            expect(await gen_tcp.recv(c, 0, 2000)).toEqual(['error', 'closed']);
            expect(await receive(['send failed', _], after(3000))).toEqual(['send failed', ['error', 'closed']]);
            const sock = s as TcpSocket;
            expect(sock.net.destroyed).toBe(true);
            expect(await gen_tcp.send(sock, 'x')).toEqual(['error', 'closed']);
            expect(await gen_tcp.recv(sock, 0, 100)).toEqual(['error', 'closed']);
            expect(inet.sockets().filter((r) => r.socket === sock || r.socket === c)).toEqual([]);
            gen_tcp.close(c);
            gen_tcp.close(l);
            expect(inet.sockets()).toEqual([]);
            const streamerRef = monitor(streamer);
            expect(await receive(['DOWN', streamerRef, 'process', streamer, _], after(1000))).toBeDefined();
          });
        } finally {
          setLogger(previous);
        }
        // No descriptor and no process outlives the test.
        expect(await settlesTo(openFds, fdsBefore, 2000)).toBeLessThanOrEqual(fdsBefore);
        expect(await settlesTo(() => processes().length, processesBefore, 1000)).toBe(processesBefore);
      });
    }
  }
});

// ---------------------------------------------------------------------------

describe('controllingProcess 10,000 times while a peer streams', () => {
  const HANDOFFS = 10_000;
  /** The peer streams until the last handoff has happened, at most this many packets. */
  const MAX_PACKETS = 100_000;
  /** The peer sends this many packets, then naps 1 ms. */
  const BURST = 20;

  for (const mode of [true, 'once', 3] as const) {
    it(`{active, ${String(mode)}}: 10,000 handoffs between two processes, every {packet,4} packet once and in order`, async () => {
      const outcome = await run(async () => {
        const [l, port] = await listenOn([['packet', 4], ['active', mode]]);
        const me = self();
        // The peer streams numbered packets in bursts until told to stop
        // (after the last handoff, however fast the machine is), then closes.
        const peer = spawn(async () => {
          const c = ok(await gen_tcp.connect('127.0.0.1', port, ['binary', ['packet', 4]]));
          const pad = Buffer.alloc(28, 0x2e);
          const deadline = Date.now() + 20_000;
          let sent = 0;
          // The first send that does not say ok ends the stream; the report carries it.
          let result: unknown = 'ok';
          for (; sent < MAX_PACKETS && Date.now() < deadline; sent++) {
            const b = Buffer.alloc(4);
            b.writeUInt32BE(sent, 0);
            result = await gen_tcp.send(c, [b, pad]);
            if (result !== 'ok') break;
            if (sent % BURST === BURST - 1) {
              await sleep(1);
              if ((await receive('stop', after(0))) !== undefined) {
                sent++;
                break;
              }
            }
          }
          gen_tcp.close(c);
          send(me, ['peer done', sent, result]);
        });
        const s = ok(await gen_tcp.accept(l, 2000));
        gen_tcp.close(l);

        /**
         * One of the two owners. A turn takes exactly one packet (the oldest
         * one in the mailbox, moved there by the last handoff, or the next to
         * arrive), then hands the socket on, moving this socket's later
         * packets along with it. So the packets, labelled with the turn that
         * took them, must read 0, 1, 2, … in turn order. After the last turn
         * the owner takes everything up to tcp_closed. `{active, 3}` is topped
         * up after each tcp_passive by whoever receives it: controllingProcess
         * leaves tcp_passive with the old owner, as in OTP.
         */
        const worker = async (): Promise<void> => {
          const seqs: number[] = [];
          const turns: number[] = [];
          let queuedAtHandoff = 0;
          let other: Pid | null = null;
          let closed = false;
          const take = (m: readonly unknown[], turn: number): void => {
            seqs.push((m[2] as Buffer).readUInt32BE(0));
            turns.push(turn);
            if (mode === 'once') inet.setopts(s, [['active', 'once']]);
          };
          const deadline = Date.now() + 25_000;
          for (let step = 0; step < 2 * HANDOFFS && Date.now() < deadline; step++) {
            // Not the owner: tcp messages wait in the mailbox until the turn comes.
            const m = await receive(['turn', _], ['tcp_passive', s], ['other', _], ['report'], after(3000));
            if (m === undefined || m[0] === 'report') break;
            if (m[0] === 'other') other = m[1] as Pid;
            if (m[0] === 'tcp_passive') inet.setopts(s, [['active', 3]]);
            if (m[0] !== 'turn') continue;
            const turn = m[1] as number;
            if (mode === 'once') inet.setopts(s, [['active', 'once']]);
            if (turn === HANDOFFS) {
              send(me, 'last turn');
              for (let i = 0; i < MAX_PACKETS && !closed && Date.now() < deadline; i++) {
                const p = await receive(['tcp', s, _], ['tcp_passive', s], ['tcp_closed', s], after(3000));
                if (p === undefined) break;
                if (p[0] === 'tcp') take(p, turn);
                else if (p[0] === 'tcp_passive') inet.setopts(s, [['active', 3]]);
                else closed = true;
              }
              continue;
            }
            for (let i = 0; i < 1000; i++) {
              const p = await receive(['tcp', s, _], ['tcp_passive', s], after(3000));
              if (p === undefined) throw new Error(`turn ${turn}: no packet`);
              if (p[0] === 'tcp_passive') {
                inet.setopts(s, [['active', 3]]);
                continue;
              }
              take(p, turn);
              break;
            }
            const queued = processInfo(self())?.messages.filter((x) => Array.isArray(x) && x[0] === 'tcp').length ?? 0;
            if (queued > 0) queuedAtHandoff++;
            const r = gen_tcp.controllingProcess(s, other!);
            if (r !== 'ok') throw new Error(`turn ${turn}: controllingProcess said ${String(r)}`);
            send(other!, ['turn', turn + 1]);
          }
          send(me, ['log', seqs, turns, queuedAtHandoff, closed]);
        };
        const a = spawn(worker);
        const b = spawn(worker);
        send(a, ['other', b]);
        send(b, ['other', a]);
        // Whatever reached this mailbox before the first handoff moves along with the socket.
        expect(gen_tcp.controllingProcess(s, a)).toBe('ok');
        send(a, ['turn', 0]);
        const last = await receive('last turn', after(20_000));
        send(peer, 'stop');
        const done = await receive(['peer done', _, _], after(3000));
        const sent = done === undefined ? -1 : (done[1] as number);
        const peerSends = done === undefined ? 'no report from the peer' : done[2];
        send(a, ['report']);
        send(b, ['report']);
        const logs: { seqs: number[]; turns: number[]; queuedAtHandoff: number; closed: boolean }[] = [];
        for (let i = 0; i < 2; i++) {
          const m = await receive(['log', _, _, _, _], after(5000));
          if (m === undefined) throw new Error('a worker did not report');
          logs.push({ seqs: m[1] as number[], turns: m[2] as number[], queuedAtHandoff: m[3] as number, closed: m[4] as boolean });
        }
        return { last, sent, peerSends, logs, left: inet.sockets().filter((r) => r.socket === s).length };
      });
      expect(outcome.last).toBe('last turn');
      expect(outcome.peerSends, "the peer's sends").toBe('ok');
      // Exactly once, and in order across the owners: turn by turn, the stream is 0..sent-1.
      const all: [number, number][] = outcome.logs.flatMap(({ seqs, turns }) => seqs.map((seq, i): [number, number] => [seq, turns[i]!]));
      expect(outcome.sent).toBeGreaterThanOrEqual(HANDOFFS);
      expect(all.length).toBe(outcome.sent);
      const merged = all.sort((x, y) => x[1] - y[1] || x[0] - y[0]).map(([seq]) => seq);
      const firstOutOfPlace = merged.findIndex((seq, i) => seq !== i);
      expect(firstOutOfPlace).toBe(-1);
      // The socket really changed hands 10,000 times, each turn with its one packet.
      const perTurn = new Array<number>(HANDOFFS).fill(0);
      for (const [, t] of all) if (t < HANDOFFS) perTurn[t]!++;
      expect(perTurn.every((n) => n === 1)).toBe(true);
      // With {active, true} packets were waiting in the old owner's mailbox at handoffs, and moved.
      if (mode === true) expect(outcome.logs[0]!.queuedAtHandoff + outcome.logs[1]!.queuedAtHandoff).toBeGreaterThan(HANDOFFS / 10);
      // The peer's close reached the last owner, and the socket is gone.
      expect(outcome.logs.filter((log) => log.closed)).toHaveLength(1);
      expect(outcome.left).toBe(0);
    }, 30_000);
  }
});

// ---------------------------------------------------------------------------

describe('a listen socket closed under load', () => {
  /*
   * OTP 25, same scenario in an escript: 100 processes waiting in accept on
   * one listen socket, 100 connections queued (backlog 128) on another, a
   * third process closes both. Every acceptor got {error, closed} within
   * 1 ms; every queued client's recv said {error, closed}, or
   * {error, econnreset} with show_econnreset (the kernel resets connections
   * nobody accepted); the next send said {error, closed}, or
   * {error, enotconn} after an econnreset.
   */
  it('100 waiting acceptors all get closed; 100 queued clients all see the close', async () => {
    const fdsBefore = openFds();
    const processesBefore = processes().length;
    const outcome = await run(async () => {
      const me = self();
      const [l1] = await listenOn([['active', false]]);
      const acceptors = Array.from({ length: 100 }, (_x, n) => spawn(async () => send(me, ['accepted', n, await gen_tcp.accept(l1, 5000)])));
      const [l2, port2] = await listenOn([['active', false], ['backlog', 128]]);
      const clients: [TcpSocket, boolean][] = [];
      for (let n = 0; n < 100; n++) {
        const show = n % 2 === 0;
        clients.push([ok(await gen_tcp.connect('127.0.0.1', port2, ['binary', ['active', false], ['show_econnreset', show]])), show]);
      }
      await sleep(50);
      const waiting = inet.sockets().find((r) => r.socket === l1)?.state;
      const started = Date.now();
      spawn(() => {
        gen_tcp.close(l1);
        gen_tcp.close(l2);
      });
      const answers: unknown[] = [];
      for (let i = 0; i < 100; i++) {
        const m = await receive(['accepted', _, _], after(2000));
        answers.push(m === undefined ? 'no answer' : m[2]);
      }
      const took = Date.now() - started;
      const recvs: unknown[] = [];
      for (const [c, show] of clients) recvs.push([show, await gen_tcp.recv(c, 0, 2000)]);
      const sends: unknown[] = [];
      for (const [c, show] of clients) sends.push([show, await gen_tcp.send(c, 'x')]);
      for (const [c] of clients) gen_tcp.close(c);
      return { waiting, answers, took, recvs, sends, alive: acceptors.filter((p) => processInfo(p) !== undefined).length, left: inet.sockets() };
    });
    expect(outcome.waiting).toBe('ACCEPTING');
    expect(outcome.answers).toEqual(new Array(100).fill(['error', 'closed']));
    // Woken by the close, well before their own 5 s accept timeouts (generous for a loaded machine;
    // speed is measured in the benchmarks).
    expect(outcome.took).toBeLessThan(2500);
    expect(outcome.recvs).toEqual(Array.from({ length: 100 }, (_x, n) => [n % 2 === 0, ['error', n % 2 === 0 ? 'econnreset' : 'closed']]));
    expect(outcome.sends).toEqual(Array.from({ length: 100 }, (_x, n) => [n % 2 === 0, ['error', n % 2 === 0 ? 'enotconn' : 'closed']]));
    expect(outcome.alive).toBe(0);
    expect(outcome.left).toEqual([]);
    expect(await settlesTo(openFds, fdsBefore, 2000)).toBeLessThanOrEqual(fdsBefore);
    expect(await settlesTo(() => processes().length, processesBefore, 1000)).toBe(processesBefore);
  });
});
