/**
 * Erlang's timers (timers.ts): sendAfter, startTimer, cancelTimer, readTimer,
 * on the real clock with short times, then exactly on the simulated clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  _,
  after,
  cancelTimer,
  exit,
  isRef,
  makeRef,
  processInfo,
  readTimer,
  receive,
  register,
  run,
  self,
  send,
  sendAfter,
  sleep,
  spawn,
  spawnMonitor,
  startTimer,
  type Pid,
  type Ref,
} from '../src/index.ts';
import { errorCode, idle } from './helpers.ts';
import { killAll, settle, useSimulatedClock } from '../src/testing/index.ts';

afterEach(async () => {
  await killAll();
});


/** The code of the BeamlineError `fn` throws. */

describe('sendAfter and startTimer on the real clock', () => {
  it('sendAfter delivers the message after the time', async () => {
    const elapsed = await run(async () => {
      const t0 = performance.now();
      const ref = sendAfter(50, self(), 'tick');
      expect(isRef(ref)).toBe(true);
      expect(await receive('tick', after(20))).toBeUndefined();
      expect(await receive('tick')).toBe('tick');
      return performance.now() - t0;
    });
    expect(elapsed).toBeGreaterThanOrEqual(48);
    expect(elapsed).toBeLessThan(150);
  });

  it('startTimer delivers ["timeout", ref, msg] after the time', async () => {
    const elapsed = await run(async () => {
      const t0 = performance.now();
      const ref = startTimer(40, self(), { n: 1 });
      const message = await receive(['timeout', ref, _]);
      expect(message).toEqual(['timeout', ref, { n: 1 }]);
      return performance.now() - t0;
    });
    expect(elapsed).toBeGreaterThanOrEqual(38);
    expect(elapsed).toBeLessThan(140);
  });

  it('a time of 0 delivers on a later turn', async () => {
    await run(async () => {
      sendAfter(0, self(), 'now');
      expect(processInfo(self())?.messageQueueLen).toBe(0);
      expect(await receive('now', after(100))).toBe('now');
    });
  });

  it('timers with different times arrive in deadline order', async () => {
    await run(async () => {
      sendAfter(40, self(), 'second');
      sendAfter(10, self(), 'first');
      expect(await receive()).toBe('first');
      expect(await receive()).toBe('second');
    });
  });
});

describe('cancelTimer and readTimer', () => {
  it('cancelTimer returns the milliseconds left, then false; the message never comes', async () => {
    await run(async () => {
      const ref = sendAfter(60, self(), 'never');
      await sleep(10);
      const left = cancelTimer(ref);
      expect(typeof left).toBe('number');
      expect(left).toBeLessThanOrEqual(60);
      expect(left).toBeGreaterThan(0);
      expect(cancelTimer(ref)).toBe(false);
      expect(readTimer(ref)).toBe(false);
      expect(await receive('never', after(100))).toBeUndefined();
    });
  });

  it('readTimer returns the milliseconds left while the timer runs, false once it fired', async () => {
    await run(async () => {
      const ref = startTimer(30, self(), 'x');
      const left = readTimer(ref);
      expect(left).toBeLessThanOrEqual(30);
      expect(left).toBeGreaterThanOrEqual(25);
      await receive(['timeout', ref, 'x']);
      expect(readTimer(ref)).toBe(false);
      expect(cancelTimer(ref)).toBe(false);
    });
  });

  it('cancelTimer and readTimer return false for a reference that is no timer', () => {
    expect(cancelTimer(makeRef())).toBe(false);
    expect(readTimer(makeRef())).toBe(false);
  });

  it('cancelTimer and readTimer throw badarg for a non-reference', () => {
    expect(errorCode(() => cancelTimer('ref' as unknown as Ref))).toBe('badarg');
    expect(errorCode(() => readTimer(42 as unknown as Ref))).toBe('badarg');
  });
});

describe('timers and the lives of processes', () => {
  it('a timer started by a process that exited still fires', async () => {
    await run(async () => {
      const b = self();
      const [a, ref] = spawnMonitor(() => {
        sendAfter(30, b, ['from a', self()]);
      });
      expect(await receive(['DOWN', ref, 'process', a, _])).toEqual(['DOWN', ref, 'process', a, 'normal']);
      expect(await receive(['from a', _], after(150))).toEqual(['from a', a]);
    });
  });

  it('a timer aimed at a pid is cancelled when that pid exits', async () => {
    await run(async () => {
      const target = spawn(idle);
      const ref = sendAfter(50, target, 'late');
      const tref = startTimer(50, target, 'late');
      expect(readTimer(ref)).not.toBe(false);
      exit(target, 'kill');
      expect(readTimer(ref)).toBe(false);
      expect(readTimer(tref)).toBe(false);
      expect(cancelTimer(ref)).toBe(false);
    });
  });

  it('a timer aimed at a dead pid is born cancelled', async () => {
    await run(async () => {
      const [dead, ref] = spawnMonitor(() => 'done');
      await receive(['DOWN', ref, 'process', dead, _]);
      const timer = sendAfter(50, dead, 'x');
      expect(isRef(timer)).toBe(true);
      expect(readTimer(timer)).toBe(false);
    });
  });

  it('a timer aimed at a name looks the name up when it fires', async () => {
    await run(async () => {
      const parent = self();
      const ref = sendAfter(40, 'timers_late_name', 'hello');
      const first = spawn(idle);
      register('timers_late_name', first);
      exit(first, 'kill');
      const second = spawn(async () => {
        send(parent, ['got', await receive()]);
      });
      register('timers_late_name', second);
      expect(await receive(['got', _], after(150))).toEqual(['got', 'hello']);
      expect(readTimer(ref)).toBe(false);
    });
  });

  it('a timer aimed at a name nobody holds when it fires is dropped', async () => {
    await run(async () => {
      const ref = sendAfter(10, 'timers_nobody', 'lost');
      expect(readTimer(ref)).not.toBe(false);
      await sleep(40);
      expect(readTimer(ref)).toBe(false);
    });
  });
});

describe('bad arguments', () => {
  const target = (): Pid => spawn(idle);

  it('throws badarg for a negative, non-integer or too large time', () => {
    const pid = target();
    for (const ms of [-1, 1.5, NaN, Infinity, 2 ** 50, '10' as unknown as number]) {
      expect(errorCode(() => sendAfter(ms, pid, 'x'))).toBe('badarg');
      expect(errorCode(() => startTimer(ms, pid, 'x'))).toBe('badarg');
    }
  });

  it('accepts times past 2^32 ms, as OTP 25 does (2^40 ms here)', () => {
    const ref = sendAfter(2 ** 40, target(), 'x');
    const left = readTimer(ref);
    expect(left).toBeGreaterThan(2 ** 40 - 1000);
    expect(cancelTimer(ref)).toBeLessThanOrEqual(2 ** 40);
  });

  it('throws badarg just past the longest time OTP can represent', () => {
    expect(errorCode(() => sendAfter(9_223_372_036_855, target(), 'x'))).toBe('badarg');
  });

  it('throws badarg for a bad destination', () => {
    for (const dest of [42, '', null, {}, ['a', 'b']]) {
      expect(errorCode(() => sendAfter(10, dest as unknown as Pid, 'x'))).toBe('badarg');
      expect(errorCode(() => startTimer(10, dest as unknown as Pid, 'x'))).toBe('badarg');
    }
  });

  it('throws badarg for undefined as the message', () => {
    expect(errorCode(() => sendAfter(10, target(), undefined))).toBe('badarg');
    expect(errorCode(() => startTimer(10, target(), undefined))).toBe('badarg');
  });
});

describe('on the simulated clock', () => {
  let restore: (() => void) | null = null;
  afterEach(() => {
    restore?.();
    restore = null;
  });
  function simulated() {
    const clock = useSimulatedClock();
    restore = clock.restore;
    return clock;
  }

  it('sendAfter fires exactly at its deadline, not before', async () => {
    const clock = simulated();
    const pid = spawn(idle);
    const ref = sendAfter(100, pid, 'tick');
    await clock.advance(99);
    expect(processInfo(pid)?.messages).toEqual([]);
    expect(readTimer(ref)).toBe(1);
    await clock.advance(1);
    expect(processInfo(pid)?.messages).toEqual(['tick']);
    expect(readTimer(ref)).toBe(false);
  });

  it('startTimer fires exactly at its deadline, and readTimer/cancelTimer are exact', async () => {
    const clock = simulated();
    const pid = spawn(idle);
    const fires = startTimer(50, pid, 'a');
    const cancelled = startTimer(80, pid, 'b');
    await clock.advance(30);
    expect(readTimer(fires)).toBe(20);
    expect(cancelTimer(cancelled)).toBe(50);
    await clock.advance(19);
    expect(processInfo(pid)?.messages).toEqual([]);
    await clock.advance(1);
    expect(processInfo(pid)?.messages).toEqual([['timeout', fires, 'a']]);
    await clock.advance(100);
    expect(processInfo(pid)?.messages).toEqual([['timeout', fires, 'a']]);
  });

  it('receive(after(ms)) times out exactly at its deadline, not before', async () => {
    const clock = simulated();
    let outcome: unknown = 'pending';
    spawn(async () => {
      outcome = await receive('never', after(200, () => 'timed out'));
    });
    await settle();
    await clock.advance(199);
    expect(outcome).toBe('pending');
    await clock.advance(1);
    expect(outcome).toBe('timed out');
  });

  it('a bare after resolves undefined at its deadline', async () => {
    const clock = simulated();
    let outcome: unknown = 'pending';
    spawn(async () => {
      outcome = await receive('never', after(10));
    });
    await settle();
    await clock.advance(9);
    expect(outcome).toBe('pending');
    await clock.advance(1);
    expect(outcome).toBeUndefined();
  });

  it('a message before the deadline wins and the after never fires', async () => {
    const clock = simulated();
    let outcome: unknown = 'pending';
    const pid = spawn(async () => {
      outcome = await receive('msg', after(100, () => 'timed out'));
    });
    await settle();
    await clock.advance(50);
    send(pid, 'msg');
    await settle();
    expect(outcome).toBe('msg');
    expect(clock.pending).toBe(0);
  });

  it('a process killed while it waits in receive … after leaves no timer behind', async () => {
    const clock = simulated();
    const pid = spawn(() => receive('never', after(100)));
    sendAfter(100, pid, 'late');
    await settle();
    expect(clock.pending).toBe(2);
    exit(pid, 'kill');
    expect(clock.pending).toBe(0);
  });

  it('restore() puts the real clock back', async () => {
    const clock = simulated();
    clock.restore();
    restore = null;
    const got = await run(async () => {
      sendAfter(5, self(), 'real');
      return receive('real', after(150, () => 'timed out'));
    });
    expect(got).toBe('real');
    expect(clock.pending).toBe(0);
  });

  it('sleep ends exactly after its time', async () => {
    const clock = simulated();
    const steps: string[] = [];
    spawn(async () => {
      steps.push('asleep');
      steps.push(await sleep(30));
    });
    await settle();
    await clock.advance(29);
    expect(steps).toEqual(['asleep']);
    await clock.advance(1);
    expect(steps).toEqual(['asleep', 'ok']);
  });

  it('one advance fires timers in deadline order, and a timeout set by a woken process counts from its wake-up', async () => {
    const clock = simulated();
    const log: string[] = [];
    spawn(async () => {
      sendAfter(30, self(), 'b');
      sendAfter(10, self(), 'a');
      log.push(String(await receive()));
      log.push(String(await receive()));
      log.push(String(await receive('c', after(15, () => 'after 15'))));
    });
    await settle();
    await clock.advance(44);
    expect(log).toEqual(['a', 'b']);
    await clock.advance(1);
    expect(log).toEqual(['a', 'b', 'after 15']);
  });
});
