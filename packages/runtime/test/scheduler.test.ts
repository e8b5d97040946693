/**
 * Scheduler fairness (scheduler.ts): busy processes never starve timers,
 * sockets or other processes; processes run in the order they became
 * runnable; a bare await of a foreign promise is detected and reported.
 */
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  _,
  after,
  exit,
  isProcessAlive,
  processes,
  processInfo,
  receive,
  self,
  send,
  sendAfter,
  setLogger,
  spawn,
  type LogReport,
  type Pid,
} from '../src/index.ts';
import { SLICE } from '../src/scheduler.ts';
import { killAll, settle } from '../src/testing/index.ts';

afterEach(async () => {
  await killAll();
});

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls (every 2 ms, at most `ms`) until `done()` holds. */
async function waitFor(done: () => boolean, ms = 200): Promise<void> {
  const deadline = performance.now() + ms;
  while (!done() && performance.now() < deadline) await wait(2);
}

/** Two processes playing ping-pong until `deadline`; `stats.rounds` counts completed round trips. */
function pingPong(stats: { rounds: number }, deadline: number): void {
  const ponger = spawn(async () => {
    for (let i = 0; i < 10_000_000; i++) {
      const [, from] = await receive(['ping', _]);
      send(from as Pid, 'pong');
    }
  });
  spawn(async () => {
    const me = self();
    while (performance.now() < deadline && stats.rounds < 10_000_000) {
      send(ponger, ['ping', me]);
      await receive('pong');
      stats.rounds++;
    }
  });
}

/** A process that sends to itself and receives, endlessly (bounded by count and by `deadline`). */
function selfFlooder(stats: { iterations: number }, deadline: number): Pid {
  return spawn(async () => {
    const me = self();
    for (let i = 0; i < 50_000_000 && performance.now() < deadline; i++) {
      send(me, i);
      await receive();
      stats.iterations++;
    }
  });
}

describe('fairness', () => {
  it('a process receiving its own messages endlessly does not stop a setTimeout from firing', async () => {
    const stats = { iterations: 0 };
    const busy = selfFlooder(stats, performance.now() + 2000);
    await wait(1);
    const t0 = performance.now();
    await wait(20);
    const elapsed = performance.now() - t0;
    const atTimer = stats.iterations;
    expect(elapsed).toBeGreaterThanOrEqual(19);
    expect(elapsed).toBeLessThan(100);
    expect(atTimer).toBeGreaterThan(0);
    await wait(5);
    expect(stats.iterations).toBeGreaterThan(atTimer); // it was still looping all along
    expect(isProcessAlive(busy)).toBe(true);
    exit(busy, 'kill');
    expect(isProcessAlive(busy)).toBe(false);
    expect(processInfo(busy)).toBeUndefined();
    const atKill = stats.iterations;
    await wait(10);
    expect(stats.iterations).toBe(atKill);
  });

  it('a process receiving its own messages endlessly does not delay sendAfter to another process', async () => {
    const stats = { iterations: 0 };
    const busy = selfFlooder(stats, performance.now() + 2000);
    let tickAt = 0;
    const waiter = spawn(async () => {
      await receive('tick');
      tickAt = performance.now();
    });
    await wait(1);
    const t0 = performance.now();
    sendAfter(20, waiter, 'tick');
    await waitFor(() => tickAt !== 0);
    expect(tickAt - t0).toBeGreaterThanOrEqual(19);
    expect(tickAt - t0).toBeLessThan(1000); // while the busy process runs on (generous: loaded machines)
    expect(isProcessAlive(waiter)).toBe(false);
    expect(isProcessAlive(busy)).toBe(true);
    exit(busy, 'kill');
    expect(isProcessAlive(busy)).toBe(false);
  });

  it('a process receiving its own messages endlessly does not stop a TCP echo on 127.0.0.1 from being served', async () => {
    const server = net.createServer((socket) => socket.pipe(socket));
    let client: net.Socket | undefined;
    const stats = { iterations: 0 };
    const busy = selfFlooder(stats, performance.now() + 2000);
    try {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      const t0 = performance.now();
      const c = (client = net.connect(port, '127.0.0.1'));
      const reply = await new Promise<string>((resolve, reject) => {
        c.once('error', reject);
        c.once('data', (data) => resolve(data.toString('latin1')));
        c.write('ping');
      });
      expect(reply).toBe('ping');
      // Served while the flooder still runs (it stops after 2 s): generous, for loaded machines.
      expect(performance.now() - t0).toBeLessThan(1500);
      expect(stats.iterations).toBeGreaterThan(0);
      expect(isProcessAlive(busy)).toBe(true);
    } finally {
      client?.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
    exit(busy, 'kill');
    expect(isProcessAlive(busy)).toBe(false);
    expect(processes()).not.toContain(busy);
  });

  it('a process flooding another, with receive(after(0)) as its only wait, does not freeze a ping-pong', async () => {
    const deadline = performance.now() + 1000;
    let consumed = 0;
    const sink = spawn(async () => {
      for (let i = 0; i < 50_000_000; i++) {
        await receive();
        consumed++;
      }
    });
    let sent = 0;
    const flooder = spawn(async () => {
      for (let i = 0; i < 50_000_000 && performance.now() < deadline; i++) {
        send(sink, i);
        await receive(after(0));
        sent++;
      }
    });
    const game = { rounds: 0 };
    pingPong(game, deadline);
    await wait(10);
    const start = { sent, rounds: game.rounds };
    // Both must progress: polled (bounded, well before the deadline) rather than one fixed
    // window, so a loaded machine slows the test down instead of failing it.
    for (let i = 0; i < 80 && !(sent > start.sent + 1000 && game.rounds > start.rounds + 10); i++) await wait(10);
    expect(sent).toBeGreaterThan(start.sent + 1000); // the flood went on all along
    // And so did the game: round-robin gives it a turn per cycle of the run queue.
    expect(game.rounds).toBeGreaterThan(start.rounds + 10);
    expect(consumed).toBeGreaterThan(0);
    expect(isProcessAlive(flooder)).toBe(true);
    exit(flooder, 'kill');
    expect(isProcessAlive(flooder)).toBe(false);
  });

  it('a process flooding another, with a receive of its own messages as its only wait, does not freeze a ping-pong', async () => {
    const deadline = performance.now() + 1000;
    // The flooded process never takes anything: its queue just grows.
    const sink = spawn(() => receive(() => false));
    let sent = 0;
    const flooder = spawn(async () => {
      const me = self();
      for (let i = 0; i < 50_000_000 && performance.now() < deadline; i++) {
        send(sink, i);
        send(me, i);
        await receive();
        sent++;
      }
    });
    const game = { rounds: 0 };
    pingPong(game, deadline);
    await wait(10);
    const start = { sent, rounds: game.rounds };
    for (let i = 0; i < 80 && !(sent > start.sent + 1000 && game.rounds > start.rounds + 10); i++) await wait(10);
    expect(sent).toBeGreaterThan(start.sent + 1000);
    expect(game.rounds).toBeGreaterThan(start.rounds + 10);
    // Every message sent is still queued: those counted, plus one whose self-message the flooder has yet to take.
    expect(processInfo(sink)!.messageQueueLen).toBe(sent + processInfo(flooder)!.messageQueueLen);
    exit(flooder, 'kill');
    expect(isProcessAlive(flooder)).toBe(false);
  });

  it('two busy processes share the scheduler in slices of at most SLICE receives', async () => {
    const log: string[] = [];
    const busy = (name: string) => async () => {
      const me = self();
      for (let i = 0; i < 3 * SLICE; i++) {
        send(me, i);
        await receive();
        log.push(name);
      }
    };
    spawn(busy('a'));
    spawn(busy('b'));
    await settle();
    expect(log.length).toBe(6 * SLICE);
    const runs: [string, number][] = [];
    for (const name of log) {
      const last = runs[runs.length - 1];
      if (last !== undefined && last[0] === name) last[1]++;
      else runs.push([name, 1]);
    }
    expect(runs[0]![0]).toBe('a');
    expect(Math.max(...runs.map(([, n]) => n))).toBeLessThanOrEqual(SLICE);
    // Strict alternation: each yields to the other when its slice is spent.
    expect(runs.length).toBeGreaterThanOrEqual(6);
    runs.forEach(([name], i) => expect(name).toBe(i % 2 === 0 ? 'a' : 'b'));
  });
});

describe('run order', () => {
  it('processes start in spawn order', async () => {
    const order: number[] = [];
    for (let i = 0; i < 10; i++) spawn((n: number) => order.push(n), i);
    await settle();
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('waiting processes resume in the order messages made them runnable', async () => {
    const order: number[] = [];
    const pids = [0, 1, 2, 3, 4].map((n) =>
      spawn(async () => {
        await receive('go');
        order.push(n);
      }),
    );
    await settle();
    for (const n of [3, 1, 4, 0, 2]) send(pids[n]!, 'go');
    await settle();
    expect(order).toEqual([3, 1, 4, 0, 2]);
  });

  it('new and woken processes share one FIFO', async () => {
    const order: string[] = [];
    const waiter = spawn(async () => {
      await receive('go');
      order.push('woken');
    });
    await settle();
    spawn(() => order.push('first spawned'));
    send(waiter, 'go');
    spawn(() => order.push('second spawned'));
    await settle();
    expect(order).toEqual(['first spawned', 'woken', 'second spawned']);
  });

  it('a process runs until it blocks before the next one starts', async () => {
    const order: string[] = [];
    spawn(async () => {
      order.push('a1');
      await null;
      await Promise.resolve();
      order.push('a2');
      await receive(after(0));
      order.push('a3');
      await receive(after(1));
      order.push('a4');
    });
    spawn(() => order.push('b'));
    await wait(20);
    expect(order).toEqual(['a1', 'a2', 'a3', 'b', 'a4']);
  });
});

describe('detached processes', () => {
  it('a process woken by a message that then takes many microtask hops (resolved promises) before it blocks is not detached', async () => {
    const reports: LogReport[] = [];
    const previous = setLogger((report) => reports.push(report));
    try {
      const got: unknown[] = [];
      const pid = spawn(async () => {
        for (let round = 0; round < 3; round++) {
          const m = await receive();
          // More hops than the scheduler follows on the microtask queue (16): the macrotask check takes over.
          for (let i = 0; i < 40; i++) await null;
          got.push(m);
        }
      });
      for (const m of ['a', 'b', 'c']) {
        send(pid, m);
        await wait(5);
      }
      await waitFor(() => got.length === 3);
      expect(got).toEqual(['a', 'b', 'c']);
      expect(reports).toEqual([]);
    } finally {
      setLogger(previous);
    }
  });

  it('a process woken by a message that then awaits a foreign timer is reported once; the others go on', async () => {
    const reports: LogReport[] = [];
    const previous = setLogger((report) => reports.push(report));
    try {
      const game = { rounds: 0 };
      const pid = spawn(async () => {
        await receive('go');
        await new Promise((resolve) => setTimeout(resolve, 50));
      });
      await wait(5);
      send(pid, 'go');
      pingPong(game, performance.now() + 100);
      await waitFor(() => reports.length > 0);
      const before = game.rounds;
      await waitFor(() => game.rounds > before + 20);
      expect(reports).toEqual([{ kind: 'detached', pid }]);
    } finally {
      setLogger(previous);
    }
  });


  it('a bare await of a foreign promise is reported once and does not block the other processes', async () => {
    const reports: LogReport[] = [];
    const previous = setLogger((report) => reports.push(report));
    try {
      const game = { rounds: 0 };
      let roundsWhenResumed = -1;
      const detached = spawn(async () => {
        // Long enough that the scheduler's next check phase comes first even on a loaded machine.
        await new Promise((resolve) => setTimeout(resolve, 50));
        roundsWhenResumed = game.rounds;
      });
      pingPong(game, performance.now() + 100);
      await wait(5);
      expect(processInfo(detached)?.status).toBe('waiting');
      await waitFor(() => roundsWhenResumed >= 0);
      expect(roundsWhenResumed).toBeGreaterThan(20);
      expect(isProcessAlive(detached)).toBe(false);
      await wait(5);
      expect(reports).toEqual([{ kind: 'detached', pid: detached }]);
    } finally {
      setLogger(previous);
    }
  });
});
