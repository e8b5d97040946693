/**
 * Starting processes and talking to them (spawn.ts): spawn, spawnLink,
 * spawnMonitor, run, self, send, isProcessAlive, and how pids print.
 */
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BeamlineError,
  Pid,
  ProcessExitError,
  _,
  after,
  awaitPromise,
  exit,
  isProcessAlive,
  processes,
  processInfo,
  receive,
  register,
  run,
  self,
  send,
  setLogger,
  sleep,
  spawn,
  spawnLink,
  spawnMonitor,
  whereis,
} from '../src/index.ts';
import { idle, thrown } from './helpers.ts';
import { killAll, settle } from '../src/testing/index.ts';

afterEach(async () => {
  await killAll();
});

/** The thrown value of `fn`, which must throw. */

function expectCode(error: unknown, code: BeamlineError['code']): void {
  expect(error).toBeInstanceOf(BeamlineError);
  expect((error as BeamlineError).code).toBe(code);
}

/** A process that waits until it is killed. */

describe('spawn', () => {
  it('returns a live pid at once and starts the body on a later turn', async () => {
    let started = false;
    const pid = spawn(() => {
      started = true;
    });
    expect(pid).toBeInstanceOf(Pid);
    expect(started).toBe(false);
    expect(isProcessAlive(pid)).toBe(true);
    await settle();
    expect(started).toBe(true);
    expect(isProcessAlive(pid)).toBe(false);
  });

  it('passes the extra arguments to the body', async () => {
    let seen: unknown[] = [];
    spawn(
      (a: number, b: string, c: readonly number[]) => {
        seen = [a, b, c];
      },
      1,
      'two',
      [3],
    );
    await settle();
    expect(seen).toEqual([1, 'two', [3]]);
  });

  it('from inside a process, the child starts only once the parent blocks', async () => {
    const log: string[] = [];
    await run(async () => {
      spawn(() => {
        log.push('child');
      });
      log.push('parent after spawn');
      await null; // a microtask hop is not a block: the parent is still the one running
      log.push('parent after await null');
      await receive(after(1));
      log.push('parent after receive');
    });
    expect(log).toEqual(['parent after spawn', 'parent after await null', 'child', 'parent after receive']);
  });

  it('throws badarg when the body is not a function', () => {
    const before = processes().length;
    expectCode(
      thrown(() => spawn(42 as unknown as () => void)),
      'badarg',
    );
    expect(processes().length).toBe(before);
  });
});

describe('spawnLink', () => {
  it('throws not_in_process outside a process and starts nothing', () => {
    const before = processes().length;
    expectCode(
      thrown(() => spawnLink(() => {})),
      'not_in_process',
    );
    expect(processes().length).toBe(before);
  });

  it('links the child to the caller before the child starts', async () => {
    let links: readonly Pid[] = [];
    let me: Pid | undefined;
    await run(async () => {
      me = self();
      const child = spawnLink(async () => {
        links = processInfo(self())!.links;
        await idle();
      });
      expect(processInfo(self())!.links).toEqual([child]);
      await receive(after(5));
    });
    expect(links).toEqual([me]);
  });

  it('a crash of the child takes the non-trapping parent down with the same reason', async () => {
    let reached = false;
    const error = await run(async () => {
      spawnLink(() => exit('boom'));
      await receive(after(100));
      reached = true;
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProcessExitError);
    expect((error as ProcessExitError).reason).toBe('boom');
    expect(reached).toBe(false);
  });
});

describe('spawnMonitor', () => {
  it('throws not_in_process outside a process and starts nothing', () => {
    const before = processes().length;
    expectCode(
      thrown(() => spawnMonitor(() => {})),
      'not_in_process',
    );
    expect(processes().length).toBe(before);
  });

  it('returns [pid, ref] and delivers DOWN with the exit reason', async () => {
    await run(async () => {
      const [pid, ref] = spawnMonitor((x: number) => exit(['bad', x]), 7);
      expect(pid).toBeInstanceOf(Pid);
      expect(await receive(['DOWN', ref, 'process', pid, _])).toEqual(['DOWN', ref, 'process', pid, ['bad', 7]]);
    });
  });

  it('a normal return is reported as normal', async () => {
    await run(async () => {
      const [pid, ref] = spawnMonitor(() => 'done');
      expect(await receive(['DOWN', ref, _, _, _])).toEqual(['DOWN', ref, 'process', pid, 'normal']);
    });
  });
});

describe('run', () => {
  it('inside a process blocks the caller until the new process exits, keeping self()', async () => {
    const order: string[] = [];
    const result = await run(async () => {
      const me = self();
      const other = spawn(async () => {
        order.push('other ran while the caller waited');
      });
      const inner = await run(async () => {
        await sleep(5);
        return 'inner result';
      });
      order.push('caller resumed');
      return [inner, self() === me, isProcessAlive(other)] as const;
    });
    expect(result).toEqual(['inner result', true, false]);
    expect(order).toEqual(['other ran while the caller waited', 'caller resumed']);
  });

  it('throws badarg at once for a body that is not a function', () => {
    expect(() => run(42 as never)).toThrow(/badarg: run/);
  });

  it("resolves with the body's return value", async () => {
    await expect(run(async () => 41 + 1)).resolves.toBe(42);
    await expect(run(() => 'sync')).resolves.toBe('sync');
  });

  it('resolves with the value returned after blocking operations', async () => {
    const value = await run(async () => {
      send(self(), ['n', 5]);
      const [, n] = await receive(['n', _]);
      await sleep(1);
      return (n as number) * 2;
    });
    expect(value).toBe(10);
  });

  it('rejects with the very Error the body threw', async () => {
    const error = new RangeError('out of range');
    await expect(
      run(async () => {
        await receive(after(0));
        throw error;
      }),
    ).rejects.toBe(error);
  });

  it("rejects with a ProcessExitError carrying a non-Error reason given to exit()", async () => {
    const error = await run(() => exit('boom')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProcessExitError);
    const e = error as ProcessExitError;
    expect(e.reason).toBe('boom');
    expect(e.pid).toBeInstanceOf(Pid);
    expect(e.message).toBe(`process ${String(e.pid)} exited: boom`);
    expect(isProcessAlive(e.pid)).toBe(false);
  });

  it('rejects with a ProcessExitError carrying a thrown non-Error value', async () => {
    const error = await run(() => {
      throw ['error', 'badmatch'];
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProcessExitError);
    expect((error as ProcessExitError).reason).toEqual(['error', 'badmatch']);
  });

  it("resolves with undefined for exit('normal')", async () => {
    let reached = false;
    await expect(
      run(() => {
        exit('normal');
        reached = true;
      }),
    ).resolves.toBeUndefined();
    expect(reached).toBe(false);
  });

  it('rejects with reason killed when the process is killed from outside', async () => {
    let pid: Pid | undefined;
    const result = run(async () => {
      pid = self();
      await idle();
    });
    await settle();
    exit(pid!, 'kill');
    const error = await result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProcessExitError);
    expect((error as ProcessExitError).reason).toBe('killed');
    expect((error as ProcessExitError).pid).toBe(pid);
  });

  it('does not report its crash to the logger (the rejection reports it)', async () => {
    const reports: unknown[] = [];
    const previous = setLogger((r) => reports.push(r));
    try {
      await expect(run(() => exit('boom'))).rejects.toBeInstanceOf(ProcessExitError);
      await settle();
    } finally {
      setLogger(previous);
    }
    expect(reports).toEqual([]);
  });
});

describe('self', () => {
  it('throws not_in_process outside a process', () => {
    const error = thrown(() => self());
    expectCode(error, 'not_in_process');
    expect((error as BeamlineError).message).toMatch(/^not_in_process: self\(\) must be called inside a process/);
  });

  it('returns the same pid across every kind of await, with other processes interleaved', async () => {
    const seen = new Map<Pid, Pid[]>();
    const body = async () => {
      const me = self();
      const log: Pid[] = [];
      seen.set(me, log);
      await null;
      log.push(self());
      await receive(after(0));
      log.push(self());
      await receive(after(2));
      log.push(self());
      await sleep(1);
      log.push(self());
      await awaitPromise(new Promise((resolve) => setTimeout(resolve, 2)));
      log.push(self());
      send(me, 'ping');
      await receive('ping');
      log.push(self());
    };
    const pids = [spawn(body), spawn(body), spawn(body)];
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect([...seen.keys()]).toEqual(pids);
    for (const pid of pids) expect(seen.get(pid)).toEqual([pid, pid, pid, pid, pid, pid]);
    expect(pids.map(isProcessAlive)).toEqual([false, false, false]);
  });

  it('run() hands self() the pid that run() later reports', async () => {
    let inside: Pid | undefined;
    const error = await run(() => {
      inside = self();
      exit('x');
    }).catch((e: unknown) => e);
    expect((error as ProcessExitError).pid).toBe(inside);
  });
});

describe('send', () => {
  it('queues the message for a pid and returns it', async () => {
    await run(async () => {
      const message = ['hello', 1] as const;
      expect(send(self(), message)).toBe(message);
      expect(processInfo(self())!.messages).toEqual([['hello', 1]]);
      expect(await receive()).toBe(message);
    });
  });

  it('delivers to a registered name', async () => {
    let got: unknown;
    const pid = spawn(async () => {
      got = await receive();
    });
    register('send_test_named', pid);
    expect(send('send_test_named', 'by name')).toBe('by name');
    await settle();
    expect(got).toBe('by name');
    expect(whereis('send_test_named')).toBeUndefined();
  });

  it('to a dead pid is silently dropped and still returns the message', async () => {
    const pid = spawn(() => {});
    await settle();
    expect(isProcessAlive(pid)).toBe(false);
    expect(send(pid, 'lost')).toBe('lost');
    await run(() => {
      expect(send(pid, 'lost again')).toBe('lost again');
    });
  });

  it('to a name nobody holds throws badarg', async () => {
    const error = thrown(() => send('nobody_has_this_name', 'x'));
    expectCode(error, 'badarg');
    expect((error as BeamlineError).message).toBe("badarg: send: no process is registered as 'nobody_has_this_name'");
    // Inside a process the throw is a crash of the sender with that error.
    await expect(run(() => send('nobody_has_this_name', 'x'))).rejects.toBeInstanceOf(BeamlineError);
  });

  it('undefined as a message throws badarg, even to a dead pid', async () => {
    const live = spawn(idle);
    const dead = spawn(() => {});
    await settle();
    expectCode(
      thrown(() => send(live, undefined)),
      'badarg',
    );
    expectCode(
      thrown(() => send(dead, undefined)),
      'badarg',
    );
    expect(processInfo(live)!.messageQueueLen).toBe(0);
  });

  it('a destination that is neither pid nor name throws badarg', () => {
    expectCode(
      thrown(() => send(42 as unknown as Pid, 'x')),
      'badarg',
    );
  });

  it('works from outside any process, in order, without running the receiver on the caller stack', async () => {
    const got: unknown[] = [];
    const pid = spawn(async () => {
      for (let i = 0; i < 3; i++) got.push(await receive());
    });
    await settle();
    send(pid, 'a');
    send(pid, 'b');
    expect(got).toEqual([]);
    send(pid, 'c');
    await settle();
    expect(got).toEqual(['a', 'b', 'c']);
  });
});

describe('isProcessAlive', () => {
  it('is true from spawn until exit, false after', async () => {
    let pid: Pid | undefined;
    await run(async () => {
      pid = spawn(idle);
      expect(isProcessAlive(pid)).toBe(true);
      expect(isProcessAlive(self())).toBe(true);
      await receive(after(1));
      expect(isProcessAlive(pid)).toBe(true);
      exit(pid, 'kill');
      expect(isProcessAlive(pid)).toBe(false);
    });
    expect(isProcessAlive(pid!)).toBe(false);
  });

  it('throws badarg for a non-pid', () => {
    expectCode(
      thrown(() => isProcessAlive('<0.80.0>' as unknown as Pid)),
      'badarg',
    );
  });
});

describe('pid printing', () => {
  it('JSON.stringify writes a live pid as its printed form', () => {
    const pid = spawn(idle);
    expect(JSON.stringify(['from', pid])).toBe(`["from","${String(pid)}"]`);
  });

  it('prints as <0.N.0> with String() and template literals', () => {
    const a = spawn(idle);
    const b = spawn(idle);
    expect(String(a)).toMatch(/^<0\.\d+\.0>$/);
    expect(String(a)).toBe(`<0.${a.id}.0>`);
    expect(`${b}`).toBe(`<0.${a.id + 1}.0>`);
  });

  it('prints the same way through util.inspect, alone and nested', () => {
    const pid = spawn(idle);
    expect(inspect(pid)).toBe(String(pid));
    expect(inspect({ pid })).toBe(`{ pid: ${String(pid)} }`);
    expect(inspect(['EXIT', pid, 'normal'])).toBe(`[ 'EXIT', ${String(pid)}, 'normal' ]`);
  });
});
