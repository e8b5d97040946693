/**
 * The acceptor pool (Ranch for gen_tcp) on real sockets over 127.0.0.1:
 * serving, fault isolation, the connection limit, suspend/resume, stopping
 * with draining, introspection, telemetry, and bad input. Every wait is
 * bounded; the listeners are stopped after each test whatever happens.
 */
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  _,
  after,
  exit,
  genServer,
  isProcessAlive,
  monitor,
  processFlag,
  receive,
  run,
  self,
  send,
  setLogger,
  spawn,
  spawnLink,
  supervisor,
  telemetry,
  type LogReport,
  type Pid,
} from '@beamline/runtime';
import * as gen_tcp from '../src/index.ts';
import { pool, type Comparison, type ListenerOptions, type ListenerRef, type Protocol, type ProtocolModule, type TcpSocket } from '../src/index.ts';
import { ok } from './helpers.ts';

const LOCAL = [127, 0, 0, 1] as const;
/** Generous bounds: the machine running the tests is shared and loaded. */
const WAIT = 10_000;

/**
 * `run(body)` from test code, started on a fresh macrotask. Test code resumes
 * in a microtask; if a process is between two awaits at that moment, `run`
 * takes that process for its caller and blocks it (a runtime issue, reported
 * with a reproduction). On a new macrotask no process is in flight.
 */
function inProcess<T>(body: () => T | PromiseLike<T>): Promise<Awaited<T>> {
  return new Promise((resolve, reject) => setImmediate(() => run(body).then(resolve, reject)));
}

let refs: ListenerRef[] = [];
let serial = 0;
/** A fresh listener name for this test, stopped after it. */
function newRef(): string {
  const ref = `pool-test-${serial++}`;
  refs.push(ref);
  return ref;
}

afterEach(async () => {
  const left = refs;
  refs = [];
  await inProcess(async () => {
    for (const ref of left) await pool.stopListener(ref, {});
  });
});

function options(extra: ListenerOptions = {}): ListenerOptions {
  return { socketOptions: { ip: LOCAL }, ...extra };
}

async function started(ref: ListenerRef, extra: ListenerOptions, protocol: Protocol<any>, protocolOptions?: unknown): Promise<number> {
  const r = await pool.startListener(ref, options(extra), protocol, protocolOptions);
  if (r[0] !== 'ok') throw new Error(`startListener: ${String(r[1])}`);
  return pool.getPort(ref)!;
}

async function connect(port: number): Promise<TcpSocket> {
  return ok(await gen_tcp.connect('127.0.0.1', port, ['binary', ['active', false]], WAIT));
}

/** Sends `text` and returns what comes back, or the error reason. */
async function ask(s: TcpSocket, text: string): Promise<string> {
  const sent = gen_tcp.send(s, text);
  if ((sent === 'ok' ? sent : await sent) !== 'ok') return 'send failed';
  const r = await gen_tcp.recv(s, 0, WAIT);
  return r[0] === 'ok' ? (r[1] as Buffer).toString() : `error ${String(r[1])}`;
}

/** Echoes every packet; `crash` makes it crash, `stop` makes it return. */
async function echo(ref: ListenerRef): Promise<void> {
  const s = await pool.handshake(ref);
  for (;;) {
    const r = await gen_tcp.recv(s, 0);
    if (r[0] === 'error') return;
    const text = (r[1] as Buffer).toString();
    if (text === 'crash') throw new Error('handler crashed on purpose');
    if (text === 'stop') return;
    gen_tcp.send(s, text);
  }
}

/** Runs `body` with the runtime's reports captured instead of printed; returns them with its result. */
async function withReports<T>(body: () => Promise<T>): Promise<[T, LogReport[]]> {
  const reports: LogReport[] = [];
  const previous = setLogger((r) => reports.push(r));
  try {
    return [await body(), reports];
  } finally {
    setLogger(previous);
  }
}

/** Polls `check` every 20 ms, at most `WAIT` ms. */
async function eventually(check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < WAIT / 20; i++) {
    if (await check()) return;
    await receive(after(20));
  }
  throw new Error('condition not reached in time');
}

describe('serving', () => {
  it('several acceptors serve many clients at once, one process per connection', async () => {
    const ref = newRef();
    const handlers = new Set<Pid>();
    const replies = await inProcess(async () => {
      const port = await started(ref, { numAcceptors: 4 }, async (r: ListenerRef) => {
        handlers.add(self());
        await echo(r);
      });
      expect(await pool.procs(ref, 'acceptors')).toHaveLength(4);
      const me = self();
      for (let i = 0; i < 40; i++) {
        spawn(async () => {
          const s = await connect(port);
          send(me, ['reply', i, await ask(s, `hello ${i}`)]);
          gen_tcp.close(s);
        });
      }
      const out = new Map<number, string>();
      for (let i = 0; i < 40; i++) {
        const m = await receive(['reply', _, _] as const, after(WAIT));
        if (m === undefined) throw new Error(`only ${i} replies`);
        out.set(m[1] as number, m[2] as string);
      }
      await eventually(async () => (await pool.info(ref)).metrics.terminated === 40);
      return out;
    });
    expect(replies.size).toBe(40);
    for (const [i, text] of replies) expect(text).toBe(`hello ${i}`);
    expect(handlers.size).toBe(40);
  });

  it('the connection process owns its socket, passive and binary, before it reads', async () => {
    const ref = newRef();
    const seen = await inProcess(async () => {
      const me = self();
      const port = await started(ref, {}, async (r: ListenerRef) => {
        const s = await pool.handshake(r);
        send(me, ['opts', gen_tcp.getopts(s, ['active', 'mode']), s]);
        gen_tcp.close(s);
      });
      const c = await connect(port);
      const m = await receive(['opts', _, _] as const, after(WAIT));
      gen_tcp.close(c);
      return m;
    });
    expect(seen?.[1]).toEqual(['ok', [['active', false], ['mode', 'binary']]]);
  });

  it('a protocol module starts a gen_server that takes the socket in handleContinue', async () => {
    const ref = newRef();
    // Ranch's advice for gen_server: handshake in handle_continue, never in init (the start waits for init).
    const connection = (r: ListenerRef, prefix: string): genServer.GenServer<TcpSocket | null> => ({
      init: () => ['ok', null, ['continue', 'handshake']],
      async handleContinue() {
        const s = await pool.handshake(r);
        gen_tcp.setopts(s, [['active', 'once']]);
        return ['noreply', s];
      },
      handleInfo(m: unknown, s) {
        if (Array.isArray(m) && m[0] === 'tcp' && s !== null) {
          gen_tcp.send(s, `${prefix}${(m[2] as Buffer).toString()}`);
          gen_tcp.setopts(s, [['active', 'once']]);
          return ['noreply', s];
        }
        return ['stop', 'normal', s];
      },
    });
    const protocol: ProtocolModule<string> = {
      startLink: (r, prefix) => genServer.startLink(connection(r, prefix), null),
    };
    const reply = await inProcess(async () => {
      const port = await started(ref, {}, protocol, '> ');
      const c = await connect(port);
      const text = await ask(c, 'ping');
      gen_tcp.close(c);
      return text;
    });
    expect(reply).toBe('> ping');
  });

  it("connectionType 'supervisor': the socket goes to the connection process, the supervised pid is counted", async () => {
    const ref = newRef();
    const result = await inProcess(async () => {
      const me = self();
      const port = await started(
        ref,
        { connectionType: 'supervisor' },
        {
          // Runs in the connections supervisor: a stand-in supervisor process with the connection process under it.
          async startLink(r: ListenerRef) {
            const connsSup = self();
            const sup = spawnLink(async () => {
              const conn = spawnLink(echo, r);
              send(connsSup, ['conn', conn]);
              send(me, ['sup', self(), conn]);
              await receive();
            });
            const [, conn] = await receive(['conn', _] as const);
            return ['ok', sup, conn as Pid] as const;
          },
        },
      );
      const c = await connect(port);
      const text = await ask(c, 'through the supervisor');
      const conns = await pool.procs(ref, 'connections');
      const sup = await receive(['sup', _, _] as const, after(WAIT));
      gen_tcp.close(c);
      return { text, conns, sup };
    });
    expect(result.text).toBe('through the supervisor');
    // The supervised pid is the stand-in supervisor, not the connection process.
    expect(result.conns).toEqual([result.sup![1]]);
  });
});

describe('fault isolation', () => {
  it('a connection process that crashes takes no other connection with it', async () => {
    const ref = newRef();
    const result = await inProcess(async () => {
      const port = await started(ref, { numAcceptors: 2 }, echo);
      const [a, b, c] = [await connect(port), await connect(port), await connect(port)];
      for (const s of [a, b, c]) expect(await ask(s, 'up')).toBe('up');
      const sup = (await pool.info(ref)).pid;
      const acceptors = await pool.procs(ref, 'acceptors');
      gen_tcp.send(b, 'crash');
      const crashed = await gen_tcp.recv(b, 0, WAIT);
      await eventually(async () => (await pool.info(ref)).activeConnections === 2);
      return {
        crashed,
        a: await ask(a, 'still here'),
        c: await ask(c, 'me too'),
        sameSup: (await pool.info(ref)).pid === sup,
        sameAcceptors: JSON.stringify(await pool.procs(ref, 'acceptors')) === JSON.stringify(acceptors),
      };
    });
    expect(result.crashed).toEqual(['error', 'closed']);
    expect(result.a).toBe('still here');
    expect(result.c).toBe('me too');
    expect(result.sameSup).toBe(true);
    expect(result.sameAcceptors).toBe(true);
  });

  it('an acceptor that crashes is restarted and the listener keeps serving on the same port', async () => {
    const ref = newRef();
    const [result, reports] = await withReports(() => inProcess(async () => {
      const port = await started(ref, { numAcceptors: 4 }, echo);
      const before = await pool.procs(ref, 'acceptors');
      const victim = before[1]!;
      exit(victim, 'kill');
      await eventually(async () => {
        const now = await pool.procs(ref, 'acceptors');
        return now.length === 4 && !now.includes(victim);
      });
      const afterKill = await pool.procs(ref, 'acceptors');
      // Serve more clients than there are acceptors, so the new one takes its turn too.
      const replies: string[] = [];
      for (let i = 0; i < 8; i++) {
        const s = await connect(port);
        replies.push(await ask(s, `after ${i}`));
        gen_tcp.close(s);
      }
      return { before, afterKill, replies, port: pool.getPort(ref), expected: port, victim };
    }));
    // The acceptors supervisor reports the crash, as OTP's does.
    expect(reports).toEqual([expect.objectContaining({ kind: 'supervisor', context: 'child_terminated', reason: 'killed' })]);
    expect((reports[0] as Extract<LogReport, { kind: 'supervisor' }>).offender['pid']).toBe(result.victim);
    expect(result.afterKill.filter((p) => result.before.includes(p))).toHaveLength(3);
    expect(result.replies).toEqual(Array.from({ length: 8 }, (_x, i) => `after ${i}`));
    expect(result.port).toBe(result.expected);
  });

  it('a connections supervisor that dies takes its connections, the acceptors restart after it, serving goes on', async () => {
    const ref = newRef();
    const [result, reports] = await withReports(() =>
      inProcess(async () => {
        const port = await started(ref, { numAcceptors: 2 }, echo);
        const live = await connect(port);
        expect(await ask(live, 'before')).toBe('before');
        const listenerSup = (await pool.info(ref)).pid;
        const connsSup = (await supervisor.whichChildren(listenerSup)).find(([id]) => id === 'connections')![1] as Pid;
        const acceptors = await pool.procs(ref, 'acceptors');
        exit(connsSup, 'kill');
        const lost = await gen_tcp.recv(live, 0, WAIT);
        await eventually(async () => {
          const now = await pool.procs(ref, 'acceptors');
          return now.length === 2 && now.every((p) => !acceptors.includes(p));
        });
        const fresh = await connect(port);
        const text = await ask(fresh, 'after');
        const info = await pool.info(ref);
        gen_tcp.close(fresh);
        gen_tcp.close(live);
        return { lost, text, samePid: info.pid === listenerSup, connections: info.activeConnections };
      }),
    );
    expect(result).toEqual({ lost: ['error', 'closed'], text: 'after', samePid: true, connections: 1 });
    // The listener supervisor reports the crash of its child (and restarts the rest, as rest_for_one).
    expect(reports).toEqual([expect.objectContaining({ kind: 'supervisor', context: 'child_terminated', reason: 'killed' })]);
  });

  it('crash storm: 50 of 500 connection processes crash, the other 450 are all served', async () => {
    const ref = newRef();
    let crashes = 0;
    let stops = 0;
    const onCrash = (e: { ref: ListenerRef }): void => {
      if (e.ref === ref) crashes++;
    };
    const onStop = (e: { ref: ListenerRef }): void => {
      if (e.ref === ref) stops++;
    };
    telemetry.on('pool:connection-crash', onCrash);
    telemetry.on('pool:connection-stop', onStop);
    try {
      const result = await inProcess(async () => {
        const port = await started(ref, { numAcceptors: 8 }, async (r: ListenerRef) => {
          const s = await pool.handshake(r);
          const got = await gen_tcp.recv(s, 0, WAIT);
          if (got[0] === 'error') return;
          const i = Number((got[1] as Buffer).toString());
          if (i % 10 === 0) throw new Error(`connection ${i} crashes`);
          gen_tcp.send(s, `served ${i}`);
          gen_tcp.close(s);
        });
        const sup = (await pool.info(ref)).pid;
        const me = self();
        const total = 500;
        const inFlight = 25;
        let next = 0;
        const client = async (i: number): Promise<void> => {
          const s = await connect(port);
          send(me, ['done', i, await ask(s, String(i))]);
          gen_tcp.close(s);
        };
        for (; next < inFlight; next++) spawn(client, next);
        const outcomes = new Map<number, string>();
        while (outcomes.size < total) {
          const m = await receive(['done', _, _] as const, after(WAIT));
          if (m === undefined) throw new Error(`stalled after ${outcomes.size} connections`);
          outcomes.set(m[1] as number, m[2] as string);
          if (next < total) spawn(client, next++);
        }
        await eventually(async () => (await pool.info(ref)).metrics.terminated === total);
        const info = await pool.info(ref);
        return { outcomes, sameSup: info.pid === sup, acceptors: info.acceptors, status: info.status };
      });
      let served = 0;
      for (const [i, outcome] of result.outcomes) {
        if (i % 10 === 0) expect(outcome).toBe('error closed');
        else {
          expect(outcome).toBe(`served ${i}`);
          served++;
        }
      }
      expect(served).toBe(450);
      expect(crashes).toBe(50);
      expect(stops).toBe(450);
      expect(result.sameSup).toBe(true);
      expect(result.acceptors).toBe(8);
      expect(result.status).toBe('running');
    } finally {
      telemetry.off('pool:connection-crash', onCrash);
      telemetry.off('pool:connection-stop', onStop);
    }
  }, 120_000);
});

describe('maxConnections', () => {
  /** A connection process that says it started and waits to be told to finish; `live` counts them. */
  function heldHandler(me: Pid, counter: { live: number; peak: number }) {
    return async (r: ListenerRef): Promise<void> => {
      const s = await pool.handshake(r);
      counter.live++;
      counter.peak = Math.max(counter.peak, counter.live);
      send(me, ['started', self()]);
      await receive('finish');
      gen_tcp.send(s, 'bye');
      counter.live--;
    };
  }

  it('holds exactly: never more connection processes than the limit, and accepting resumes as one ends', async () => {
    const ref = newRef();
    const counter = { live: 0, peak: 0 };
    const result = await inProcess(async () => {
      const me = self();
      // More acceptors than the limit: Ranch's limit would be soft by up to one per acceptor.
      const port = await started(ref, { numAcceptors: 4, maxConnections: 3 }, heldHandler(me, counter));
      const clients: TcpSocket[] = [];
      for (let i = 0; i < 8; i++) clients.push(await connect(port));
      const first: Pid[] = [];
      for (let i = 0; i < 3; i++) first.push((await receive(['started', _] as const, after(WAIT)))![1] as Pid);
      // Nobody else starts while three run.
      const extra = await receive(['started', _] as const, after(500));
      const atLimit = await pool.info(ref);
      // One ends: exactly one more starts.
      send(first[0]!, 'finish');
      const fourth = await receive(['started', _] as const, after(WAIT));
      const extra2 = await receive(['started', _] as const, after(500));
      // Let everyone finish, one at a time as they start.
      const running = [first[1]!, first[2]!, fourth![1] as Pid];
      let startedCount = 4;
      while (running.length > 0) {
        send(running.shift()!, 'finish');
        if (startedCount < 8) {
          const m = await receive(['started', _] as const, after(WAIT));
          if (m === undefined) throw new Error(`only ${startedCount} started`);
          running.push(m[1] as Pid);
          startedCount++;
        }
      }
      const byes: string[] = [];
      for (const c of clients) {
        const r = await gen_tcp.recv(c, 0, WAIT);
        byes.push(r[0] === 'ok' ? (r[1] as Buffer).toString() : String(r[1]));
        gen_tcp.close(c);
      }
      return { extra, extra2, atLimit, startedCount, byes };
    });
    expect(result.extra).toBeUndefined();
    expect(result.extra2).toBeUndefined();
    expect(result.atLimit.activeConnections).toBe(3);
    expect(result.atLimit.maxConnections).toBe(3);
    expect(result.startedCount).toBe(8);
    expect(result.byes).toEqual(Array(8).fill('bye'));
    expect(counter.peak).toBe(3);
  }, 60_000);

  it('removeConnection frees the slot of the calling process, which still counts in allConnections', async () => {
    const ref = newRef();
    const result = await inProcess(async () => {
      const me = self();
      const port = await started(ref, { numAcceptors: 2, maxConnections: 1 }, async (r: ListenerRef) => {
        await pool.handshake(r);
        pool.removeConnection(r);
        send(me, ['started', self()]);
        await receive('finish');
      });
      const a = await connect(port);
      const b = await connect(port);
      const first = await receive(['started', _] as const, after(WAIT));
      const second = await receive(['started', _] as const, after(WAIT));
      const info = await pool.info(ref);
      for (const m of [first, second]) if (m !== undefined) send(m[1] as Pid, 'finish');
      gen_tcp.close(a);
      gen_tcp.close(b);
      return { first, second, info };
    });
    expect(result.first).toBeDefined();
    expect(result.second).toBeDefined();
    expect(result.info.activeConnections).toBe(0);
    expect(result.info.allConnections).toBe(2);
  });

  it('setMaxConnections takes effect at once: raising it starts the connections that waited', async () => {
    const ref = newRef();
    const counter = { live: 0, peak: 0 };
    const result = await inProcess(async () => {
      const me = self();
      const port = await started(ref, { numAcceptors: 4, maxConnections: 1 }, heldHandler(me, counter));
      const clients = [await connect(port), await connect(port), await connect(port)];
      const one = await receive(['started', _] as const, after(WAIT));
      const none = await receive(['started', _] as const, after(300));
      pool.setMaxConnections(ref, 3);
      const two = await receive(['started', _] as const, after(WAIT));
      const three = await receive(['started', _] as const, after(WAIT));
      const max = pool.getMaxConnections(ref);
      for (const m of [one, two, three]) if (m !== undefined) send(m[1] as Pid, 'finish');
      for (const c of clients) gen_tcp.close(c);
      pool.setMaxConnections(ref, 'infinity');
      return { one, none, two, three, max, infinity: pool.getMaxConnections(ref) };
    });
    expect(result.one).toBeDefined();
    expect(result.none).toBeUndefined();
    expect(result.two).toBeDefined();
    expect(result.three).toBeDefined();
    expect(result.max).toBe(3);
    expect(result.infinity).toBe('infinity');
  });
});

describe('suspend and resume', () => {
  it('suspended: new clients are refused, served ones go on; resumed: the same port serves again', async () => {
    const ref = newRef();
    const result = await inProcess(async () => {
      const port = await started(ref, { numAcceptors: 3 }, echo);
      const live = await connect(port);
      expect(await ask(live, 'before')).toBe('before');
      const suspended = await pool.suspendListener(ref);
      const whileSuspended = {
        status: pool.getStatus(ref),
        port: pool.getPort(ref),
        info: await pool.info(ref),
        refused: await gen_tcp.connect('127.0.0.1', port, [], WAIT),
        live: await ask(live, 'during'),
        again: await pool.suspendListener(ref),
      };
      const resumed = await pool.resumeListener(ref);
      const fresh = await connect(port);
      const afterResume = {
        status: pool.getStatus(ref),
        port: pool.getPort(ref),
        fresh: await ask(fresh, 'after'),
        live: await ask(live, 'still'),
        acceptors: (await pool.procs(ref, 'acceptors')).length,
        again: await pool.resumeListener(ref),
      };
      gen_tcp.close(fresh);
      gen_tcp.close(live);
      return { port, suspended, whileSuspended, resumed, afterResume };
    });
    expect(result.suspended).toBe('ok');
    expect(result.whileSuspended.status).toBe('suspended');
    expect(result.whileSuspended.port).toBeUndefined();
    expect(result.whileSuspended.info.acceptors).toBe(0);
    expect(result.whileSuspended.info.activeConnections).toBe(1);
    expect(result.whileSuspended.refused).toEqual(['error', 'econnrefused']);
    expect(result.whileSuspended.live).toBe('during');
    expect(result.whileSuspended.again).toBe('ok');
    expect(result.resumed).toBe('ok');
    expect(result.afterResume).toEqual({ status: 'running', port: result.port, fresh: 'after', live: 'still', acceptors: 3, again: 'ok' });
  });

  it('resume fails with eaddrinuse when the port was taken meanwhile, and the listener stays suspended', async () => {
    const ref = newRef();
    const [result, reports] = await withReports(() => inProcess(async () => {
      const port = await started(ref, {}, echo);
      await pool.suspendListener(ref);
      const squatter = ok(await gen_tcp.listen(port, [['ip', LOCAL]]));
      const resumed = await pool.resumeListener(ref);
      const status = pool.getStatus(ref);
      gen_tcp.close(squatter);
      const retried = await pool.resumeListener(ref);
      return { resumed, status, retried, status2: pool.getStatus(ref) };
    }));
    // As OTP's restart_child, a failed resume is an answer, not a report.
    expect(reports).toEqual([]);
    expect(result.resumed).toEqual(['error', 'eaddrinuse']);
    expect(result.status).toBe('suspended');
    expect(result.retried).toBe('ok');
    expect(result.status2).toBe('running');
  });
});

describe('stopListener', () => {
  it('drains: stops accepting at once, lets live connections finish within the timeout, kills the rest at the timeout', async () => {
    const ref = newRef();
    const result = await inProcess(async () => {
      const me = self();
      const port = await started(ref, { shutdown: 'brutal_kill' }, async (r: ListenerRef) => {
        const s = await pool.handshake(r);
        send(me, ['started', self()]);
        // One that finishes when told, one that never does.
        await receive('finish');
        gen_tcp.send(s, 'finished');
      });
      const quick = await connect(port);
      const slow = await connect(port);
      const a = (await receive(['started', _] as const, after(WAIT)))![1] as Pid;
      const b = (await receive(['started', _] as const, after(WAIT)))![1] as Pid;
      const [ma, mb] = [monitor(a), monitor(b)];
      const stopper = spawn(async () => send(me, ['stopped', await pool.stopListener(ref, { drainTimeout: 1500 })]));
      const order: string[] = [];
      // Draining: no new client gets in.
      await eventually(() => pool.getStatus(ref) === 'suspended');
      const refused = await gen_tcp.connect('127.0.0.1', port, [], WAIT);
      // The first live connection gets its time and ends normally.
      send(a, 'finish');
      for (let i = 0; i < 3; i++) {
        const m = await receive(['DOWN', ma, 'process', a, _] as const, ['DOWN', mb, 'process', b, _] as const, ['stopped', _] as const, after(WAIT));
        if (m === undefined) throw new Error(`stuck after ${order.join(', ')}`);
        order.push(m[0] === 'stopped' ? `stopped ${String(m[1])}` : `${m[3] === a ? 'a' : 'b'} ${String(m[4])}`);
      }
      const quickGot = await gen_tcp.recv(quick, 0, WAIT);
      const slowGot = await gen_tcp.recv(slow, 0, WAIT);
      return { order, refused, quickGot, slowGot, stopperAlive: isProcessAlive(stopper) };
    });
    expect(result.refused).toEqual(['error', 'econnrefused']);
    // a ends on its own; b lives until the drain time is up, then is killed; stop returns last.
    expect(result.order).toEqual(['a normal', 'b killed', 'stopped ok']);
    expect(result.quickGot[0]).toBe('ok');
    expect((result.quickGot[1] as Buffer).toString()).toBe('finished');
    expect(result.slowGot).toEqual(['error', 'closed']);
    expect(result.stopperAlive).toBe(false);
    expect(() => pool.getPort(ref)).toThrow(/badarg/);
  }, 30_000);

  it('without draining, shutdown ms lets a process that traps exits say goodbye and kills one that does not go', async () => {
    const ref = newRef();
    const result = await inProcess(async () => {
      const me = self();
      const port = await started(ref, { shutdown: 300 }, async (r: ListenerRef, _o: unknown) => {
        processFlag('trap_exit', true);
        const s = await pool.handshake(r);
        const polite = (await gen_tcp.recv(s, 0, WAIT))[0] === 'ok';
        send(me, ['started', self(), polite]);
        const m = await receive(['EXIT', _, _] as const);
        if (!polite) await receive('never');
        gen_tcp.send(s, 'goodbye');
        exit(m[2]);
      });
      const p = await connect(port);
      gen_tcp.send(p, 'polite');
      const politePid = (await receive(['started', _, true] as const, after(WAIT)))![1] as Pid;
      const stubborn = await connect(port);
      gen_tcp.send(stubborn, '');
      gen_tcp.shutdown(stubborn, 'write');
      const stubbornPid = (await receive(['started', _, false] as const, after(WAIT)))![1] as Pid;
      const [m1, m2] = [monitor(politePid), monitor(stubbornPid)];
      const stopped = await pool.stopListener(ref);
      const d1 = await receive(['DOWN', m1, 'process', _, _] as const, after(0));
      const d2 = await receive(['DOWN', m2, 'process', _, _] as const, after(0));
      const bye = await gen_tcp.recv(p, 0, WAIT);
      return { stopped, d1: d1?.[4], d2: d2?.[4], bye: bye[0] === 'ok' ? (bye[1] as Buffer).toString() : bye[1] };
    });
    expect(result.stopped).toBe('ok');
    expect(result.d1).toBe('shutdown');
    expect(result.d2).toBe('killed');
    expect(result.bye).toBe('goodbye');
  });

  it('an unknown listener is not_found', async () => {
    expect(await inProcess(() => pool.stopListener('pool-test-never-started'))).toEqual(['error', 'not_found']);
  });
});

describe('introspection', () => {
  it('getPort, getAddr, info and procs describe the running listener', async () => {
    const ref = newRef();
    const result = await inProcess(async () => {
      const me = self();
      const port = await started(ref, { numAcceptors: 3, maxConnections: 'infinity' }, async (r: ListenerRef, opts: unknown) => {
        const s = await pool.handshake(r);
        send(me, ['conn', self(), opts]);
        await receive('finish');
        gen_tcp.close(s);
      }, 'v1');
      const clients = [await connect(port), await connect(port)];
      const conns = [await receive(['conn', _, _] as const, after(WAIT)), await receive(['conn', _, _] as const, after(WAIT))];
      const info = await pool.info(ref);
      const all = await pool.info();
      const procs = await pool.procs(ref, 'connections');
      pool.setProtocolOptions(ref, 'v2');
      const third = await connect(port);
      const v2 = await receive(['conn', _, _] as const, after(WAIT));
      for (const m of [...conns, v2]) if (m !== undefined) send(m[1] as Pid, 'finish');
      for (const c of [...clients, third]) gen_tcp.close(c);
      return { port, info, inAll: all.get(ref), procs, conns, v2, addr: pool.getAddr(ref), protocolOptions: pool.getProtocolOptions(ref) };
    });
    expect(result.info).toMatchObject({
      status: 'running',
      ip: [127, 0, 0, 1],
      port: result.port,
      maxConnections: 'infinity',
      activeConnections: 2,
      allConnections: 2,
      acceptors: 3,
      numAcceptors: 3,
      protocolOptions: 'v1',
      metrics: { accepted: 2, terminated: 0 },
    });
    expect(result.inAll).toEqual(result.info);
    expect(new Set(result.procs)).toEqual(new Set(result.conns.map((m) => m![1])));
    expect(result.conns.map((m) => m![2])).toEqual(['v1', 'v1']);
    expect(result.v2?.[2]).toBe('v2');
    expect(result.addr).toEqual([[127, 0, 0, 1], result.port]);
    expect(result.protocolOptions).toBe('v2');
  });

  it('the connections supervisor answers supervisor.whichChildren and countChildren', async () => {
    const ref = newRef();
    const result = await inProcess(async () => {
      const me = self();
      const port = await started(ref, {}, async (r: ListenerRef) => {
        await pool.handshake(r);
        send(me, ['conn', self()]);
        await receive('finish');
      });
      const c = await connect(port);
      const conn = (await receive(['conn', _] as const, after(WAIT)))![1] as Pid;
      const listenerSup = (await pool.info(ref)).pid;
      const children = await supervisor.whichChildren(listenerSup);
      const connsSup = children.find(([id]) => id === 'connections')![1] as Pid;
      const which = await supervisor.whichChildren(connsSup);
      const counts = await supervisor.countChildren(connsSup);
      send(conn, 'finish');
      gen_tcp.close(c);
      return { ids: children.map(([id]) => id), which, counts, conn };
    });
    expect(result.ids).toEqual(['acceptors', 'connections']);
    expect(result.which).toEqual([[undefined, result.conn, 'worker', 'dynamic']]);
    expect(result.counts).toEqual([['specs', 1], ['active', 1], ['supervisors', 0], ['workers', 1]]);
  });

  it('waitForConnections answers when the count is reached, or times out', async () => {
    const ref = newRef();
    const result = await inProcess(async () => {
      const me = self();
      const port = await started(ref, {}, async (r: ListenerRef) => {
        await pool.handshake(r);
        send(me, ['conn', self()]);
        await receive('finish');
      });
      const timedOut = await pool.waitForConnections(ref, '>=', 1, 100);
      const waiter = spawn(async () => send(me, ['reached', await pool.waitForConnections(ref, '>=', 2, WAIT)]));
      const a = await connect(port);
      const b = await connect(port);
      const reached = await receive(['reached', _] as const, after(WAIT));
      const conns = [await receive(['conn', _] as const, after(WAIT)), await receive(['conn', _] as const, after(WAIT))];
      const zero = spawn(async () => send(me, ['zero', await pool.waitForConnections(ref, '==', 0)]));
      for (const m of conns) if (m !== undefined) send(m[1] as Pid, 'finish');
      const drained = await receive(['zero', _] as const, after(WAIT));
      gen_tcp.close(a);
      gen_tcp.close(b);
      void waiter;
      void zero;
      return { timedOut, reached: reached?.[1], drained: drained?.[1] };
    });
    expect(result).toEqual({ timedOut: ['error', 'timeout'], reached: 'ok', drained: 'ok' });
  });
});

describe('telemetry', () => {
  it('accept, connection-start, then connection-stop or connection-crash, for each connection in order', async () => {
    const ref = newRef();
    const events: [string, Record<string, unknown>][] = [];
    const names = ['pool:accept', 'pool:connection-start', 'pool:connection-stop', 'pool:connection-crash'] as const;
    const listeners = names.map((name) => {
      const fn = (e: Record<string, unknown>): void => {
        if (e['ref'] === ref) events.push([name, e]);
      };
      telemetry.on(name, fn);
      return [name, fn] as const;
    });
    try {
      const result = await inProcess(async () => {
        const port = await started(ref, { numAcceptors: 1 }, echo);
        const fine = await connect(port);
        expect(await ask(fine, 'x')).toBe('x');
        gen_tcp.send(fine, 'stop');
        await eventually(() => events.length === 3);
        const bad = await connect(port);
        gen_tcp.send(bad, 'crash');
        await eventually(() => events.length === 6);
        gen_tcp.close(fine);
        gen_tcp.close(bad);
        return { acceptor: (await pool.procs(ref, 'acceptors'))[0] };
      });
      expect(events.map(([name]) => name)).toEqual([
        'pool:accept',
        'pool:connection-start',
        'pool:connection-stop',
        'pool:accept',
        'pool:connection-start',
        'pool:connection-crash',
      ]);
      for (const at of [0, 3]) {
        const [[, accept], [, start], [, end]] = events.slice(at, at + 3) as [[string, Record<string, any>], [string, Record<string, any>], [string, Record<string, any>]];
        expect(accept['acceptor']).toBe(result.acceptor);
        expect(start['socket']).toBe(accept['socket']);
        expect(end['pid']).toBe(start['pid']);
      }
      expect(events[2]![1]['reason']).toBe('normal');
      expect(String(events[5]![1]['reason'])).toMatch(/handler crashed on purpose/);
    } finally {
      for (const [name, fn] of listeners) telemetry.off(name, fn);
    }
  });

  it('a protocol whose startLink fails: the client is closed, pool:start-error is emitted, the listener goes on', async () => {
    const ref = newRef();
    const errors: unknown[] = [];
    const onError = (e: { ref: ListenerRef; reason: unknown }): void => {
      if (e.ref === ref) errors.push(e.reason);
    };
    telemetry.on('pool:start-error', onError);
    try {
      let calls = 0;
      const result = await inProcess(async () => {
        const port = await started(ref, {}, {
          startLink(r: ListenerRef) {
            calls++;
            if (calls === 1) return ['error', 'not today'] as const;
            return ['ok', spawnLink(echo, r)] as const;
          },
        });
        const first = await connect(port);
        const refused = await gen_tcp.recv(first, 0, WAIT);
        const second = await connect(port);
        const served = await ask(second, 'second');
        gen_tcp.close(first);
        gen_tcp.close(second);
        return { refused, served };
      });
      expect(result.refused).toEqual(['error', 'closed']);
      expect(result.served).toBe('second');
      expect(errors).toEqual([['bad_return_value', ['error', 'not today']]]);
    } finally {
      telemetry.off('pool:start-error', onError);
    }
  });
});

describe('starting', () => {
  it('a name in use is already_started, a port in use is eaddrinuse', async () => {
    const ref = newRef();
    const other = newRef();
    const [result, reports] = await withReports(() => inProcess(async () => {
      const port = await started(ref, {}, echo);
      const again = await pool.startListener(ref, options(), echo);
      const clash = await pool.startListener(other, options({ port }), echo);
      return { again, clash, pid: (await pool.info(ref)).pid, otherExists: (await pool.info()).has(other) };
    }));
    // The new listener's supervisor reports why its acceptors could not start.
    expect(reports).toEqual([
      expect.objectContaining({ kind: 'supervisor', context: 'start_error', reason: ['listen_error', other, 'eaddrinuse'] }),
    ]);
    expect(result.again).toEqual(['error', ['already_started', result.pid]]);
    expect(result.clash).toEqual(['error', 'eaddrinuse']);
    expect(result.otherExists).toBe(false);
  });

  it('a listener started from a process outlives that process', async () => {
    const ref = newRef();
    await inProcess(async () => {
      await started(ref, {}, echo);
    });
    const reply = await inProcess(async () => {
      const s = await connect(pool.getPort(ref)!);
      const text = await ask(s, 'still listening');
      gen_tcp.close(s);
      return text;
    });
    expect(reply).toBe('still listening');
  });

  it('childSpec runs a listener under your own supervisor; stopListener does not know it', async () => {
    const ref = newRef();
    const result = await inProcess(async () => {
      processFlag('trap_exit', true);
      const spec = pool.childSpec(ref, options({ numAcceptors: 2 }), echo);
      const started = await supervisor.startLink({ init: () => ['ok', [{ strategy: 'one_for_one' }, [spec]]] }, null);
      if (started === 'ignore' || started[0] !== 'ok') throw new Error(`supervisor: ${String(started)}`);
      const sup = started[1];
      const port = pool.getPort(ref)!;
      const s = await connect(port);
      const text = await ask(s, 'embedded');
      const stop = await pool.stopListener(ref);
      // With a drain time it is left alone too: not suspended, still serving.
      const drainStop = await pool.stopListener(ref, { drainTimeout: 'infinity' });
      const status = pool.getStatus(ref);
      const terminated = await supervisor.terminateChild(sup, spec.id);
      const refused = await gen_tcp.connect('127.0.0.1', port, [], WAIT);
      gen_tcp.close(s);
      let known = true;
      try {
        pool.getPort(ref);
      } catch {
        known = false;
      }
      exit(sup, 'shutdown');
      return { text, stop, drainStop, status, terminated, refused, known };
    });
    expect(result).toEqual({
      text: 'embedded',
      stop: ['error', 'not_found'],
      drainStop: ['error', 'not_found'],
      status: 'running',
      terminated: 'ok',
      refused: ['error', 'econnrefused'],
      known: false,
    });
  });

  it('handshake still returns a socket whose handshake arrived before its listener went away', async () => {
    const result = await inProcess(async () => {
      const l = ok(await gen_tcp.listen(0, [['ip', LOCAL]]));
      const c = await connect(ok(gen_tcp.port(l)));
      const s = ok(await gen_tcp.accept(l, WAIT));
      // What the connections supervisor sends; no listener of that name exists any more.
      send(self(), ['handshake', 'pool-test-gone', s]);
      const got = await pool.handshake('pool-test-gone');
      gen_tcp.close(c);
      gen_tcp.close(l);
      return got === s;
    });
    expect(result).toBe(true);
  });

  it('bad arguments throw badarg naming the culprit, before anything starts', async () => {
    const bad: [unknown, unknown, RegExp][] = [
      [{}, {}, /a listener name is/],
      ['r', { numAcceptors: 0 }, /numAcceptors/],
      ['r', { maxConnections: -1 }, /maxConnections/],
      ['r', { port: 70000 }, /port/],
      ['r', { shutdown: 'soon' }, /shutdown/],
      ['r', { connectionType: 'thread' }, /connectionType/],
      ['r', { acceptors: 3 }, /unknown option 'acceptors'/],
      ['r', { socketOptions: [['active', true]] }, /must not make the socket active/],
      ['r', { socketOptions: { active: 'once' } }, /must not make the socket active/],
      ['r', { socketOptions: [['nonsense', 1]] }, /badarg/],
      ['r', { socketOptions: 'binary' }, /socketOptions must be/],
      ['r', 'port 80', /options must be an object/],
    ];
    // These checks run before any process is needed, so they work from outside one too.
    for (const [ref, opts, message] of bad) {
      await expect(pool.startListener(ref as ListenerRef, opts as ListenerOptions, echo)).rejects.toThrow(message);
    }
    await expect(pool.startListener('r', {}, 42 as unknown as Protocol)).rejects.toThrow(/protocol must be/);
    expect(() => pool.childSpec('r', { numAcceptors: -1 }, echo)).toThrow(/numAcceptors/);
    expect(() => pool.getPort('pool-test-unknown')).toThrow(/no listener named/);
    expect(() => pool.getStatus('pool-test-unknown')).toThrow(/no listener named/);
    expect(() => pool.setMaxConnections('pool-test-unknown', 3)).toThrow(/badarg/);
    expect(() => pool.removeConnection('pool-test-unknown')).toThrow(/no listener named/);
    await expect(pool.waitForConnections('r', '!=' as Comparison, 1)).rejects.toThrow(/op must be/);
    await expect(pool.waitForConnections('r', '<', 0)).rejects.toThrow(/n must be/);
    await expect(pool.stopListener('r', { drainTimeout: -5 })).rejects.toThrow(/timeout must be/);
    await expect(pool.stopListener('r', { drain: 5 } as never)).rejects.toThrow(/unknown option 'drain'/);
    await expect(pool.procs('r', 'sockets' as 'acceptors')).rejects.toThrow(/kind must be/);
    const unknown = await inProcess(async () => {
      try {
        await pool.handshake('pool-test-unknown');
        return 'returned';
      } catch (error) {
        return String(error);
      }
    });
    expect(unknown).toMatch(/handshake: no listener named/);
  });
});

describe('docs/pool.md', () => {
  it('the example runs and prints what the page shows', async () => {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const page = readFileSync(path.join(here, '../../../docs/pool.md'), 'utf8');
    const m = /## An example[\s\S]*?```ts\n([\s\S]*?)```\n\s*Output:\s*\n\s*```\n([\s\S]*?)```/.exec(page);
    expect(m).not.toBeNull();
    // Inside the package, where '@beamline/gen-tcp' resolves as it does for a user.
    const file = path.join(here, 'pool-doc-example.scratch.ts');
    writeFileSync(file, m![1]!);
    try {
      const out = await new Promise<{ stdout: string; stderr: string; failed: boolean }>((resolve) => {
        execFile(process.execPath, ['--import', 'tsx', file], { cwd: path.join(here, '..'), timeout: 30_000 }, (error, stdout, stderr) =>
          resolve({ stdout, stderr, failed: error !== null }),
        );
      });
      expect(out.failed, out.stderr).toBe(false);
      expect(out.stdout.trimEnd()).toBe(m![2]!.trimEnd());
    } finally {
      rmSync(file, { force: true });
    }
  }, 60_000);
});
