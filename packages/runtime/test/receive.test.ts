/**
 * Selective receive and the other ways a process blocks (receive.ts,
 * patterns.ts): patterns, clauses, `after`, `sleep`, `awaitPromise`, kills
 * while blocked, and the result types the patterns give.
 */
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import {
  BeamlineError,
  _,
  after,
  awaitPromise,
  exit,
  makeRef,
  monitor,
  on,
  processes,
  processInfo,
  receive,
  run,
  self,
  send,
  sendAfter,
  sleep,
  spawn,
  spawnMonitor,
  type Pid,
  type Ref,
} from '../src/index.ts';
import { thrown } from './helpers.ts';
import { killAll, settle } from '../src/testing/index.ts';

afterEach(async () => {
  await killAll();
});

/** The messages still queued for the calling process. */
const queued = () => processInfo(self())!.messages;

/** Queues `messages` for the calling process. */
function sendAll(...messages: unknown[]): void {
  for (const m of messages) send(self(), m);
}

/** The thrown value of `fn`, which must throw. */

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('selective receive', () => {
  it('takes the oldest matching message and keeps the others in arrival order', async () => {
    await run(async () => {
      sendAll('a', ['x', 1], 'b', ['x', 2], 'c');
      expect(await receive(['x', _])).toEqual(['x', 1]);
      expect(queued()).toEqual(['a', 'b', ['x', 2], 'c']);
      expect(await receive('c')).toBe('c');
      expect(queued()).toEqual(['a', 'b', ['x', 2]]);
      expect([await receive(), await receive(), await receive()]).toEqual(['a', 'b', ['x', 2]]);
      expect(queued()).toEqual([]);
    });
  });

  it('a blocked receive skips non-matching arrivals and leaves them queued in order', async () => {
    await run(async () => {
      const me = self();
      spawn(() => {
        for (const m of ['a', 'b', ['want', 1], 'c']) send(me, m);
      });
      expect(await receive(['want', _])).toEqual(['want', 1]);
      expect(queued()).toEqual(['a', 'b', 'c']);
    });
  });

  it('with no arguments takes the oldest message of any shape', async () => {
    await run(async () => {
      sendAll(null, 0, '', ['t']);
      expect([await receive(), await receive(), await receive(), await receive()]).toEqual([null, 0, '', ['t']]);
    });
  });

  it('keeps per-sender order across many messages taken selectively', async () => {
    await run(async () => {
      const me = self();
      const n = 2000;
      spawn(() => {
        for (let i = 0; i < n; i++) send(me, [i % 2 === 0 ? 'even' : 'odd', i]);
      });
      const odds: number[] = [];
      for (let k = 0; k < n / 2; k++) odds.push((await receive(['odd', _]))[1] as number);
      expect(odds).toEqual(Array.from({ length: n / 2 }, (_v, k) => 2 * k + 1));
      expect(processInfo(self())!.messageQueueLen).toBe(n / 2);
      const evens: number[] = [];
      for (let k = 0; k < n / 2; k++) evens.push((await receive(['even', _]))[1] as number);
      expect(evens).toEqual(Array.from({ length: n / 2 }, (_v, k) => 2 * k));
      expect(queued()).toEqual([]);
    });
  });

  it('clauses, patterns and timeouts keep working across many slices of queued messages', async () => {
    await run(async () => {
      const n = 1000;
      for (let i = 0; i < n; i++) send(self(), i % 2 === 0 ? ['even', i] : ['odd', i]);
      const results: unknown[] = [];
      for (let i = 0; i < n / 2; i++) {
        results.push(await receive(on(['odd', _], ([, k]) => ['o', k]), on(['even', _], ([, k]) => ['e', k]), after(50)));
      }
      for (let i = 0; i < n / 4; i++) results.push(await receive(['odd', _], after(50, () => 'timeout')));
      for (let i = 0; i < n / 4; i++) results.push(await receive(['even', _], after(0)));
      expect(results).toEqual([
        ...Array.from({ length: n / 2 }, (_v, k) => [k % 2 === 0 ? 'e' : 'o', k]),
        ...Array.from({ length: n / 4 }, (_v, k) => ['odd', n / 2 + 2 * k + 1]),
        ...Array.from({ length: n / 4 }, (_v, k) => ['even', n / 2 + 2 * k]),
      ]);
      expect(queued()).toEqual([]);
    });
  }, 1000);

  it('receive, sleep and awaitPromise throw not_in_process outside a process', () => {
    for (const call of [() => receive(), () => receive('x', after(0)), () => sleep(1), () => awaitPromise(1)]) {
      const error = thrown(call);
      expect(error).toBeInstanceOf(BeamlineError);
      expect((error as BeamlineError).code).toBe('not_in_process');
    }
  });
});

describe('patterns', () => {
  it('a predicate matches on any truthy result', async () => {
    await run(async () => {
      sendAll('', 'abc');
      expect(await receive((m: unknown) => (m as string).length)).toBe('abc');
      expect(queued()).toEqual(['']);
    });
  });

  it('tuple patterns match element by element with _ and fixed values, and by length', async () => {
    await run(async () => {
      sendAll(['tcp', 1], ['tcp', 1, 'x', 'extra'], ['udp', 1, 'x'], ['tcp', 2, 'y'], ['tcp', 1, 'z']);
      expect(await receive(['tcp', 1, _])).toEqual(['tcp', 1, 'z']);
      expect(await receive(['tcp', _, _])).toEqual(['tcp', 2, 'y']);
      expect(await receive([_, _])).toEqual(['tcp', 1]);
      expect(queued()).toEqual([['tcp', 1, 'x', 'extra'], ['udp', 1, 'x']]);
    });
  });

  it('a tuple pattern does not match a non-array', async () => {
    await run(async () => {
      sendAll('tcp', { 0: 'tcp', length: 1 }, ['tcp']);
      expect(await receive(['tcp'])).toEqual(['tcp']);
      expect(queued()).toEqual(['tcp', { 0: 'tcp', length: 1 }]);
    });
  });

  it('matches pids and refs by identity', async () => {
    await run(async () => {
      const other = spawn(() => receive());
      const r1 = makeRef();
      const r2 = makeRef();
      sendAll(['reply', r1, 'one'], ['from', other], ['reply', r2, 'two'], ['from', self()]);
      expect(await receive(['reply', r2, _])).toEqual(['reply', r2, 'two']);
      expect(await receive(['from', self()])).toEqual(['from', self()]);
      expect(await receive(['reply', r1, _])).toEqual(['reply', r1, 'one']);
      expect(await receive(['from', other])).toEqual(['from', other]);
    });
  });

  it('matches nested arrays', async () => {
    await run(async () => {
      sendAll(['a', ['c', 1]], ['a', ['b', 1, 2]], ['a', 'b'], ['a', ['b', 7]]);
      expect(await receive(['a', ['b', _]])).toEqual(['a', ['b', 7]]);
      expect(queued()).toEqual([['a', ['c', 1]], ['a', ['b', 1, 2]], ['a', 'b']]);
    });
  });

  it('a Buffer pattern matches bytes of equal content, not identity or strings', async () => {
    await run(async () => {
      const sock = makeRef();
      sendAll('hi', Buffer.from('ho'), ['tcp', sock, Buffer.from('hi')], new Uint8Array([0x68, 0x69]), Buffer.from('hi!'));
      const got = await receive(Buffer.from('hi'));
      expect(got).toBeInstanceOf(Uint8Array);
      expect([...(got as Uint8Array)]).toEqual([0x68, 0x69]);
      expect(await receive(['tcp', sock, Buffer.from('hi')])).toEqual(['tcp', sock, Buffer.from('hi')]);
      expect(queued()).toEqual(['hi', Buffer.from('ho'), Buffer.from('hi!')]);
    });
  });

  it('a predicate decides, alone or inside a tuple', async () => {
    await run(async () => {
      sendAll(3, 'twelve', 12, ['n', 'x'], ['n', 40]);
      expect(await receive((m: unknown) => typeof m === 'number' && m > 10)).toBe(12);
      expect(await receive(['n', (x: unknown) => typeof x === 'number'])).toEqual(['n', 40]);
      expect(queued()).toEqual([3, 'twelve', ['n', 'x']]);
    });
  });

  it('any other object matches only itself', async () => {
    await run(async () => {
      const mine = { a: 1 };
      sendAll({ a: 1 }, mine);
      expect(await receive(mine)).toBe(mine);
      expect(queued()).toEqual([{ a: 1 }]);
    });
  });

  it('a predicate that throws crashes the receiver with that error (message already queued)', async () => {
    const error = new Error('predicate broke');
    await expect(
      run(async () => {
        send(self(), 'x');
        await receive(() => {
          throw error;
        });
      }),
    ).rejects.toBe(error);
  });

  it('a predicate that throws crashes the receiver with that error (message arrives later)', async () => {
    const error = new Error('predicate broke late');
    let reached = false;
    await run(async () => {
      const [pid, ref] = spawnMonitor(async () => {
        await receive((m: unknown) => {
          if (m === 'bad') throw error;
          return false;
        });
        reached = true;
      });
      await receive(after(2));
      send(pid, 'fine');
      send(pid, 'bad');
      expect(await receive(['DOWN', ref, 'process', pid, _])).toEqual(['DOWN', ref, 'process', pid, error]);
    });
    expect(reached).toBe(false);
  });
});

describe('clauses', () => {
  it('runs the body of the clause that matched and resolves with its result', async () => {
    await run(async () => {
      sendAll(['sum', 2, 3]);
      const r = await receive(
        on(['mul', _, _], ([, a, b]) => (a as number) * (b as number)),
        on(['sum', _, _], ([, a, b]) => (a as number) + (b as number)),
      );
      expect(r).toBe(5);
    });
  });

  it('takes the oldest message any clause accepts, not the first clause that has a message', async () => {
    await run(async () => {
      sendAll('other', 'b', 'a');
      const r = await receive(
        on('a', () => 'clause a'),
        on('b', () => 'clause b'),
      );
      expect(r).toBe('clause b');
      expect(queued()).toEqual(['other', 'a']);
    });
  });

  it('with a message overlapping two clauses, the first clause wins', async () => {
    await run(async () => {
      sendAll(['k', 1]);
      expect(await receive(on(['k', 1], () => 'exact'), on(['k', _], () => 'any'))).toBe('exact');
    });
  });

  it('runs the body of a clause matched while blocked', async () => {
    await run(async () => {
      sendAfter(5, self(), ['late', 9]);
      const r = await receive(on(['late', _], ([, n]) => ['got', n]), after(200, () => 'timeout'));
      expect(r).toEqual(['got', 9]);
    });
  });

  it('mixes plain patterns and clauses in one receive', async () => {
    await run(async () => {
      sendAll('plain', ['wrapped', 1]);
      expect(await receive(on(['wrapped', _], () => 'body'), 'plain')).toBe('plain');
      expect(await receive(on(['wrapped', _], () => 'body'), 'plain')).toBe('body');
    });
  });

  it('on() with a non-function body throws badarg', () => {
    const error = thrown(() => on('x', 'y' as unknown as () => void));
    expect(error).toBeInstanceOf(BeamlineError);
    expect((error as BeamlineError).code).toBe('badarg');
  });
});

describe('after', () => {
  it('after(0) on an empty mailbox resolves at once with undefined or the body result', async () => {
    await run(async () => {
      const t0 = performance.now();
      expect(await receive(after(0))).toBeUndefined();
      expect(await receive('x', after(0))).toBeUndefined();
      expect(await receive('x', after(0, () => 'empty'))).toBe('empty');
      // No timer wait: far below any timer's delay even on a loaded machine.
      expect(performance.now() - t0).toBeLessThan(500);
    });
  });

  it('after(0) with a matching message queued returns the message', async () => {
    await run(async () => {
      sendAll('noise', ['hit', 1]);
      expect(await receive(['hit', _], after(0, () => 'none'))).toEqual(['hit', 1]);
      expect(await receive(_, after(0))).toBe('noise');
    });
  });

  it('a receive that yields its slice with a match in hand keeps its after timeout if the match is gone', async () => {
    await run(async () => {
      const me = self();
      for (let i = 0; i < 199; i++) send(me, 'x');
      send(me, 'y');
      for (let i = 0; i < 199; i++) await receive('x');
      let calls = 0;
      // Accepts 'y' once, then changes its mind: the yielded receive finds nothing when it runs again.
      const fickle = (m: unknown): boolean => m === 'y' && ++calls === 1;
      const started = Date.now();
      expect(await receive(fickle, after(30, () => 'timed out'))).toBe('timed out');
      expect(Date.now() - started).toBeGreaterThanOrEqual(25);
      expect(calls).toBeGreaterThanOrEqual(2);
    });
  });

  it('a receive with only an after clause takes no message, like Erlang\'s receive after T', async () => {
    await run(async () => {
      sendAll('kept', 'also kept');
      expect(await receive(after(0))).toBeUndefined();
      expect(await receive(after(5, () => 'slept'))).toBe('slept');
      expect(queued()).toEqual(['kept', 'also kept']);
    });
  });

  it('an after clause that is not the last argument is a badarg', async () => {
    await run(async () => {
      let error: unknown;
      try {
        await receive(after(10) as never, 'x');
      } catch (e) {
        error = e;
      }
      expect((error as BeamlineError).code).toBe('badarg');
      expect((error as Error).message).toMatch(/after clause must be the last argument/);
    });
  });

  it('after(0) without a matching message returns the after result and keeps the queue', async () => {
    await run(async () => {
      sendAll('a', 'b');
      expect(await receive('z', after(0))).toBeUndefined();
      expect(await receive('z', after(0, () => 'nothing'))).toBe('nothing');
      expect(queued()).toEqual(['a', 'b']);
    });
  });

  it('after(ms) times out no earlier than ms and soon after', async () => {
    await run(async () => {
      const t0 = performance.now();
      const r = await receive('never', after(30, () => 'timeout'));
      const elapsed = performance.now() - t0;
      expect(r).toBe('timeout');
      expect(elapsed).toBeGreaterThanOrEqual(29);
      expect(elapsed).toBeLessThan(130);
    });
  });

  it('after(ms) without a body resolves with undefined on timeout', async () => {
    await run(async () => {
      send(self(), 'unrelated');
      const t0 = performance.now();
      expect(await receive('never', after(15))).toBeUndefined();
      expect(performance.now() - t0).toBeGreaterThanOrEqual(14);
      expect(queued()).toEqual(['unrelated']);
    });
  });

  it('a message arriving before the timeout wins', async () => {
    await run(async () => {
      const me = self();
      spawn(async () => {
        await sleep(10);
        send(me, 'early');
      });
      const r = await receive('early', after(150, () => 'timeout'));
      expect(r).toBe('early');
    });
  });

  it("after('infinity') never times out", async () => {
    await run(async () => {
      sendAfter(40, self(), 'late');
      const t0 = performance.now();
      expect(await receive('late', after('infinity', () => 'timeout'))).toBe('late');
      expect(performance.now() - t0).toBeGreaterThanOrEqual(39);
    });
  });

  it('an unmatched arrival does not end or restart the timeout', async () => {
    await run(async () => {
      const me = self();
      spawn(async () => {
        await sleep(10);
        send(me, 'noise');
      });
      const t0 = performance.now();
      expect(await receive('never', after(40, () => 'timeout'))).toBe('timeout');
      const elapsed = performance.now() - t0;
      expect(elapsed).toBeGreaterThanOrEqual(39);
      expect(elapsed).toBeLessThan(100);
      expect(queued()).toEqual(['noise']);
    });
  });

  it('after(0) keeps timing out in a long loop, past the point the process yields its slice', async () => {
    const count = await run(async () => {
      let n = 0;
      for (let i = 0; i < 5000; i++) if ((await receive('never', after(0, () => 'none'))) === 'none') n++;
      for (let i = 0; i < 5000; i++) if ((await receive(after(0))) === undefined) n++;
      return n;
    });
    expect(count).toBe(10000);
  }, 1000);

  it('bad arguments to after() throw badarg', () => {
    for (const bad of [-1, Number.NaN, 'forever', '10', null]) {
      const error = thrown(() => after(bad as unknown as number));
      expect(error).toBeInstanceOf(BeamlineError);
      expect((error as BeamlineError).code).toBe('badarg');
    }
    const error = thrown(() => after(10, 'body' as unknown as () => void));
    expect((error as BeamlineError).code).toBe('badarg');
    expect(after('infinity').ms).toBe(Infinity);
    expect(after(Infinity).ms).toBe(Infinity);
  });
});

describe('sleep', () => {
  it("blocks for the time given, resolves with 'ok' and leaves messages queued", async () => {
    await run(async () => {
      sendAll('kept');
      const t0 = performance.now();
      expect(await sleep(20)).toBe('ok');
      const elapsed = performance.now() - t0;
      expect(elapsed).toBeGreaterThanOrEqual(19);
      expect(elapsed).toBeLessThan(120);
      expect(queued()).toEqual(['kept']);
    });
  });

  it('sleep(0) resolves ok every time, in a long loop too', async () => {
    const count = await run(async () => {
      let n = 0;
      for (let i = 0; i < 5000; i++) if ((await sleep(0)) === 'ok') n++;
      return n;
    });
    expect(count).toBe(5000);
  }, 1000);

  it('lets other processes run meanwhile', async () => {
    await run(async () => {
      const me = self();
      spawn(() => send(me, 'from other'));
      await sleep(5);
      expect(queued()).toEqual(['from other']);
    });
  });

  it('throws badarg for a negative time', async () => {
    await expect(run(() => sleep(-5))).rejects.toBeInstanceOf(BeamlineError);
  });
});

describe('awaitPromise', () => {
  it('resolves with the value and keeps self()', async () => {
    await run(async () => {
      const me = self();
      const v = await awaitPromise(new Promise<number>((resolve) => setTimeout(() => resolve(7), 5)));
      expect(v).toBe(7);
      expect(self()).toBe(me);
      expect(await awaitPromise(8)).toBe(8);
      expect(self()).toBe(me);
    });
  });

  it('raises a rejection inside the process, where it can be caught', async () => {
    const error = new Error('io failed');
    await run(async () => {
      const me = self();
      let caught: unknown;
      try {
        await awaitPromise(new Promise((_resolve, reject) => setTimeout(() => reject(error), 5)));
      } catch (e) {
        caught = e;
      }
      expect(caught).toBe(error);
      expect(self()).toBe(me);
      // The process still works normally afterwards.
      send(me, 'after');
      expect(await receive()).toBe('after');
    });
  });

  it('an uncaught rejection crashes the process with that reason', async () => {
    const error = new Error('uncaught');
    await expect(run(() => awaitPromise(Promise.reject(error)))).rejects.toBe(error);
  });

  it('lets other processes run while it waits', async () => {
    await run(async () => {
      const me = self();
      spawn(() => send(me, 'ran meanwhile'));
      await awaitPromise(wait(5));
      expect(queued()).toEqual(['ran meanwhile']);
    });
  });
});

describe('a process killed while blocked', () => {
  /** Spawns `blocker`, kills it from another process after 5 ms, checks it never resumed. */
  async function killWhileBlocked(block: () => Promise<unknown>): Promise<void> {
    let resumed = false;
    let reason: unknown;
    await run(async () => {
      const victim = spawn(async () => {
        await block();
        resumed = true;
      });
      const ref = monitor(victim);
      spawn(async () => {
        await sleep(5);
        exit(victim, 'kill');
      });
      const down = await receive(['DOWN', ref, 'process', victim, _]);
      reason = down[4];
    });
    // Past the point it would have resumed.
    await wait(50);
    expect(reason).toBe('killed');
    expect(resumed).toBe(false);
  }

  it('in receive with a timeout, never runs the rest of its body', async () => {
    await killWhileBlocked(() => receive('never', after(20)));
  });

  it('in receive, a later message does not resume it', async () => {
    let victim: Pid | undefined;
    let resumed = false;
    await run(async () => {
      victim = spawn(async () => {
        await receive('wake');
        resumed = true;
      });
      const ref = monitor(victim);
      await sleep(2);
      spawn(() => exit(victim!, 'kill'));
      await receive(['DOWN', ref, _, _, _]);
      send(victim, 'wake');
      await sleep(5);
    });
    expect(resumed).toBe(false);
  });

  it('woken by a message but killed before it is resumed, never runs the rest of its body', async () => {
    let resumed = false;
    let reason: unknown;
    await run(async () => {
      const victim = spawn(async () => {
        await receive('wake');
        resumed = true;
      });
      const ref = monitor(victim);
      await sleep(2);
      send(victim, 'wake');
      expect(processInfo(victim)?.status).toBe('runnable');
      exit(victim, 'kill');
      reason = (await receive(['DOWN', ref, _, _, _]))[4];
      await sleep(5);
    });
    expect(reason).toBe('killed');
    expect(resumed).toBe(false);
  });

  it('in sleep, never runs the rest of its body', async () => {
    await killWhileBlocked(() => sleep(20));
  });

  it('in awaitPromise, never runs the rest of its body when the promise settles', async () => {
    await killWhileBlocked(() => awaitPromise(wait(20)));
  });

  it('in awaitPromise, never runs the rest of its body when the promise rejects', async () => {
    await killWhileBlocked(() => awaitPromise(wait(20).then(() => Promise.reject(new Error('late')))));
  });

  it('by its own pattern predicate, as a message wakes it: it stays dead and the others go on', async () => {
    let resumed = false;
    const victim = spawn(async () => {
      await receive((m: unknown) => {
        if (m === 'die') exit(self(), 'kill');
        return true;
      });
      resumed = true;
    });
    await settle();
    send(victim, 'die');
    await settle();
    expect(resumed).toBe(false);
    expect(processes()).not.toContain(victim);
    // The scheduler still runs processes.
    expect(await run(() => 'still running')).toBe('still running');
  });
});

describe('types', () => {
  it('types the result from the patterns', async () => {
    await run(async () => {
      const sock = makeRef();
      sendAll(['tcp', sock, Buffer.from('x')], 'a', ['b', 1], ['n', 2]);

      const tcp = receive(['tcp', _, Buffer.isBuffer]);
      expectTypeOf(tcp).toEqualTypeOf<Promise<readonly ['tcp', unknown, Buffer]>>();
      expect(await tcp).toEqual(['tcp', sock, Buffer.from('x')]);

      const either = receive(
        on('a', () => 1),
        on(['b', _], (m) => {
          expectTypeOf(m).toEqualTypeOf<readonly ['b', unknown]>();
          return 'b' as const;
        }),
      );
      expectTypeOf(either).toEqualTypeOf<Promise<number | 'b'>>();
      expect(await either).toBe(1);

      const withTimeout = receive(['b', _], after(0));
      expectTypeOf(withTimeout).toEqualTypeOf<Promise<readonly ['b', unknown] | undefined>>();
      expect(await withTimeout).toEqual(['b', 1]);

      const withBody = receive(['zz', _], after(0, () => 'timeout' as const));
      expectTypeOf(withBody).toEqualTypeOf<Promise<readonly ['zz', unknown] | 'timeout'>>();
      expect(await withBody).toBe('timeout');

      const guarded = receive(['n', (x: unknown): x is number => typeof x === 'number']);
      expectTypeOf(guarded).toEqualTypeOf<Promise<readonly ['n', number]>>();
      expect(await guarded).toEqual(['n', 2]);

      const asyncBody = receive(on(_, async () => 5), after(0));
      expectTypeOf(asyncBody).toEqualTypeOf<Promise<number | undefined>>();
      expect(await asyncBody).toBeUndefined();

      // Type-only checks: the functions are never called (a receive not awaited would block the process).
      expectTypeOf(() => receive()).returns.toEqualTypeOf<Promise<unknown>>();
      expectTypeOf(() => receive(after(0))).returns.toEqualTypeOf<Promise<undefined>>();
      expectTypeOf(() => sleep(0)).returns.toEqualTypeOf<Promise<'ok'>>();
      expectTypeOf(() => awaitPromise(Promise.resolve(1 as const))).returns.toEqualTypeOf<Promise<1>>();
      expectTypeOf(() => receive(on('x', () => 'y' as const), after(1, () => 0))).returns.toEqualTypeOf<Promise<'y' | number>>();
      expectTypeOf<Ref>().not.toEqualTypeOf<Pid>();
      send(self(), 'last');
      expect(await receive()).toBe('last');
    });
  });
});
