/**
 * What drivers build on (driver.ts): onExit hooks on a process's end,
 * takeMessages to move queued messages elsewhere in order, and driverWait to
 * block a caller until the driver answers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  _,
  answerDriverWait,
  driverWait,
  exit,
  isProcessAlive,
  onExit,
  processInfo,
  receive,
  run,
  self,
  send,
  setLogger,
  spawn,
  takeMessages,
  type DriverWait,
  type LogReport,
  type Pid,
} from '../src/index.ts';
import { errorCode, idle } from './helpers.ts';
import { killAll, settle } from '../src/testing/index.ts';

afterEach(async () => {
  await killAll();
});


/** The code of the BeamlineError `fn` throws. */

describe('onExit', () => {
  it('calls the hook once with the reason when the process returns', async () => {
    const reasons: unknown[] = [];
    const pid = spawn(() => receive('stop'));
    onExit(pid, (reason) => reasons.push(reason));
    await settle();
    expect(reasons).toEqual([]);
    send(pid, 'stop');
    await settle();
    expect(reasons).toEqual(['normal']);
  });

  it('calls the hook with the exact crash reason', async () => {
    const reasons: unknown[] = [];
    const error = new Error('crashed');
    const pid = spawn(async () => {
      await receive('crash');
      throw error;
    });
    onExit(pid, (reason) => reasons.push(reason));
    await settle();
    const previous = setLogger(() => {});
    send(pid, 'crash');
    await settle();
    setLogger(previous);
    expect(reasons).toEqual([error]);
    expect(reasons[0]).toBe(error);
  });

  it('calls the hook at once, with killed, when the process is killed', () => {
    const reasons: unknown[] = [];
    const pid = spawn(idle);
    onExit(pid, (reason) => reasons.push(reason));
    exit(pid, 'kill');
    expect(reasons).toEqual(['killed']);
    exit(pid, 'kill');
    expect(reasons).toEqual(['killed']);
  });

  it('calls every hook of the process, each once', () => {
    const calls: string[] = [];
    const pid = spawn(idle);
    onExit(pid, (reason) => calls.push(`a:${String(reason)}`));
    onExit(pid, (reason) => calls.push(`b:${String(reason)}`));
    exit(pid, 'stop');
    expect(calls).toEqual(['a:stop', 'b:stop']);
  });

  it('the returned function removes the hook', () => {
    const calls: unknown[] = [];
    const pid = spawn(idle);
    const remove = onExit(pid, (reason) => calls.push(['removed', reason]));
    onExit(pid, (reason) => calls.push(['kept', reason]));
    remove();
    remove();
    exit(pid, 'stop');
    expect(calls).toEqual([['kept', 'stop']]);
  });

  it('removing the hook after it ran is harmless', () => {
    const calls: unknown[] = [];
    const pid = spawn(idle);
    const remove = onExit(pid, (reason) => calls.push(reason));
    exit(pid, 'stop');
    expect(() => remove()).not.toThrow();
    expect(calls).toEqual(['stop']);
  });

  it("for a dead pid, calls the hook with 'noproc' on a later microtask", async () => {
    const dead = await run(() => self());
    const reasons: unknown[] = [];
    onExit(dead, (reason) => reasons.push(reason));
    expect(reasons).toEqual([]);
    await Promise.resolve();
    expect(reasons).toEqual(['noproc']);
    await settle();
    expect(reasons).toEqual(['noproc']);
  });

  it('for a dead pid, the returned function removes the hook before it runs', async () => {
    const dead = await run(() => self());
    const reasons: unknown[] = [];
    const remove = onExit(dead, (reason) => reasons.push(reason));
    remove();
    await settle();
    expect(reasons).toEqual([]);
  });

  it('throws badarg for a non-pid or a hook that is not a function', () => {
    const pid = spawn(idle);
    expect(errorCode(() => onExit('pid' as unknown as Pid, () => {}))).toBe('badarg');
    expect(errorCode(() => onExit(pid, 'hook' as unknown as () => void))).toBe('badarg');
  });

  it('a hook removed by an earlier hook during the exit is not called', () => {
    const calls: string[] = [];
    const p = spawn(idle);
    let removeB = (): void => {};
    onExit(p, () => {
      calls.push('A');
      removeB();
    });
    removeB = onExit(p, () => calls.push('B'));
    exit(p, 'kill');
    expect(calls).toEqual(['A']);
  });

  it('a hook of a returning process may send an exit signal: it runs to its end and is not reported', async () => {
    const reports: LogReport[] = [];
    const previous = setLogger((report) => reports.push(report));
    try {
      const helper = spawn(idle);
      const steps: string[] = [];
      const owner = spawn(() => 'done');
      onExit(owner, () => {
        steps.push('before');
        exit(helper, 'kill');
        steps.push('after');
      });
      await settle();
      expect(steps).toEqual(['before', 'after']);
      expect(isProcessAlive(helper)).toBe(false);
      expect(reports).toEqual([]);
    } finally {
      setLogger(previous);
    }
  });
});

describe('takeMessages', () => {
  const isTcp = (m: unknown): boolean => Array.isArray(m) && m[0] === 'tcp';

  it('removes the matching messages in arrival order and leaves the rest in order', async () => {
    await run(async () => {
      const me = self();
      for (const m of [['tcp', 1], 'a', ['tcp', 2], 'b', ['tcp', 3], 'c']) send(me, m);
      expect(takeMessages(isTcp)).toEqual([
        ['tcp', 1],
        ['tcp', 2],
        ['tcp', 3],
      ]);
      expect(processInfo(me)?.messages).toEqual(['a', 'b', 'c']);
      expect(await receive()).toBe('a');
      expect(await receive()).toBe('b');
      expect(await receive()).toBe('c');
    });
  });

  it('returns [] and leaves the mailbox as it was when nothing matches', async () => {
    await run(() => {
      const me = self();
      send(me, 'x');
      send(me, 'y');
      expect(takeMessages(isTcp)).toEqual([]);
      expect(processInfo(me)?.messages).toEqual(['x', 'y']);
    });
  });

  it('can take every message, leaving an empty mailbox that still works', async () => {
    await run(async () => {
      const me = self();
      send(me, 1);
      send(me, 2);
      expect(takeMessages(() => true)).toEqual([1, 2]);
      expect(processInfo(me)?.messageQueueLen).toBe(0);
      send(me, 3);
      expect(await receive()).toBe(3);
    });
  });

  it('keeps the order of the messages left for a later selective receive', async () => {
    await run(async () => {
      const me = self();
      for (let i = 0; i < 20; i++) send(me, i % 3 === 0 ? ['tcp', i] : ['other', i]);
      expect(takeMessages(isTcp).map((m) => (m as [string, number])[1])).toEqual([0, 3, 6, 9, 12, 15, 18]);
      const rest: unknown[] = [];
      for (let i = 0; i < 13; i++) rest.push((await receive(['other', _]))[1]);
      expect(rest).toEqual([1, 2, 4, 5, 7, 8, 10, 11, 13, 14, 16, 17, 19]);
    });
  });

  it('throws not_in_process outside a process and badarg for a pick that is not a function', async () => {
    expect(errorCode(() => takeMessages(() => true))).toBe('not_in_process');
    await run(() => {
      expect(errorCode(() => takeMessages('tcp' as unknown as () => boolean))).toBe('badarg');
    });
  });
});

describe('driverWait', () => {
  it('blocks the caller until the driver answers, and other processes run meanwhile', async () => {
    let wait: DriverWait<string> | undefined;
    const order: string[] = [];
    await run(async () => {
      const me = self();
      spawn(() => {
        order.push('other ran');
        answerDriverWait(wait!, 'answer');
        answerDriverWait(wait!, 'a second answer is ignored');
        send(me, 'after');
      });
      wait = driverWait<string>();
      order.push(await wait.promise);
      expect(await receive()).toBe('after');
    });
    expect(order).toEqual(['other ran', 'answer']);
  });

  it('an answer to a process killed while it waits does nothing', async () => {
    let wait: DriverWait<number> | undefined;
    const resumed: number[] = [];
    const pid = spawn(async () => {
      wait = driverWait<number>();
      resumed.push(await wait.promise);
    });
    await settle();
    expect(isProcessAlive(pid)).toBe(true);
    exit(pid, 'kill');
    await settle();
    answerDriverWait(wait!, 1);
    await settle();
    expect(resumed).toEqual([]);
    expect(isProcessAlive(pid)).toBe(false);
  });

  it('throws not_in_process outside a process', () => {
    expect(errorCode(() => driverWait())).toBe('not_in_process');
  });
});
