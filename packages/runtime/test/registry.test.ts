/**
 * Registered names (registry.ts): register, whereis, registered, unregister,
 * and what happens to a name when its process exits.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  _,
  exit,
  monitor,
  processInfo,
  receive,
  register,
  registered,
  run,
  self,
  send,
  spawn,
  spawnMonitor,
  unregister,
  whereis,
  type Pid,
} from '../src/index.ts';
import { errorCode, idle } from './helpers.ts';
import { killAll } from '../src/testing/index.ts';

afterEach(async () => {
  await killAll();
  expect(registered()).toEqual([]);
});


/** The code of the BeamlineError `fn` throws. */

describe('register', () => {
  it('whereis finds the registered pid and registered() lists the name', () => {
    const pid = spawn(idle);
    expect(register('reg_a', pid)).toBe(true);
    expect(whereis('reg_a')).toBe(pid);
    expect(registered()).toEqual(['reg_a']);
    expect(processInfo(pid)?.registeredName).toBe('reg_a');
  });

  it('registered() lists every name', () => {
    register('reg_one', spawn(idle));
    register('reg_two', spawn(idle));
    expect(registered().sort()).toEqual(['reg_one', 'reg_two']);
  });

  it('whereis of an unknown name is undefined', () => {
    expect(whereis('reg_nobody')).toBeUndefined();
  });

  it('a process can register itself; the name goes when it returns', async () => {
    const pid = await run(() => {
      register('reg_me', self());
      expect(whereis('reg_me')).toBe(self());
      return self();
    });
    expect(whereis('reg_me')).toBeUndefined();
    expect(processInfo(pid)).toBeUndefined();
  });

  it('throws badarg for a name already taken', () => {
    const first = spawn(idle);
    register('reg_taken', first);
    expect(errorCode(() => register('reg_taken', spawn(idle)))).toBe('badarg');
    expect(whereis('reg_taken')).toBe(first);
  });

  it('throws badarg for a dead pid', async () => {
    await run(async () => {
      const [pid, ref] = spawnMonitor(() => 'done');
      await receive(['DOWN', ref, 'process', pid, _]);
      expect(errorCode(() => register('reg_dead', pid))).toBe('badarg');
      expect(whereis('reg_dead')).toBeUndefined();
    });
  });

  it('throws badarg for a pid already registered under another name', () => {
    const pid = spawn(idle);
    register('reg_first', pid);
    expect(errorCode(() => register('reg_second', pid))).toBe('badarg');
    expect(registered()).toEqual(['reg_first']);
    expect(processInfo(pid)?.registeredName).toBe('reg_first');
  });

  it("throws badarg for the name 'undefined', an empty name or a non-string", () => {
    const pid = spawn(idle);
    expect(errorCode(() => register('undefined', pid))).toBe('badarg');
    expect(errorCode(() => register('', pid))).toBe('badarg');
    expect(errorCode(() => register(42 as unknown as string, pid))).toBe('badarg');
    expect(errorCode(() => register('reg_x', 'pid' as unknown as Pid))).toBe('badarg');
    expect(registered()).toEqual([]);
  });
});

describe('unregister', () => {
  it('removes the name and leaves the process alive', () => {
    const pid = spawn(idle);
    register('reg_gone', pid);
    expect(unregister('reg_gone')).toBe(true);
    expect(whereis('reg_gone')).toBeUndefined();
    expect(registered()).toEqual([]);
    expect(processInfo(pid)?.registeredName).toBeUndefined();
  });

  it('lets the process take another name afterwards', () => {
    const pid = spawn(idle);
    register('reg_old', pid);
    unregister('reg_old');
    register('reg_new', pid);
    expect(whereis('reg_new')).toBe(pid);
  });

  it('throws badarg for a name that is not registered', () => {
    expect(errorCode(() => unregister('reg_unknown'))).toBe('badarg');
    const pid = spawn(idle);
    register('reg_once', pid);
    unregister('reg_once');
    expect(errorCode(() => unregister('reg_once'))).toBe('badarg');
  });
});

describe('a name and its process', () => {
  it('the name disappears when the process exits normally, and can be reused', async () => {
    await run(async () => {
      const [pid, ref] = spawnMonitor(async () => {
        await receive('stop');
      });
      register('reg_normal', pid);
      send('reg_normal', 'stop');
      expect(await receive(['DOWN', ref, 'process', pid, _])).toEqual(['DOWN', ref, 'process', pid, 'normal']);
      expect(whereis('reg_normal')).toBeUndefined();
      expect(registered()).toEqual([]);
      const next = spawn(idle);
      expect(register('reg_normal', next)).toBe(true);
      expect(whereis('reg_normal')).toBe(next);
    });
  });

  it('the name disappears when the process crashes, and can be reused', async () => {
    await run(async () => {
      const [pid, ref] = spawnMonitor(async () => {
        await receive('crash');
        throw new Error('boom');
      });
      register('reg_crash', pid);
      send(pid, 'crash');
      const down = await receive(['DOWN', ref, 'process', pid, _]);
      expect((down[4] as Error).message).toBe('boom');
      expect(whereis('reg_crash')).toBeUndefined();
      const next = spawn(idle);
      register('reg_crash', next);
      expect(whereis('reg_crash')).toBe(next);
    });
  });

  it('the name is already gone when the monitor gets the DOWN', async () => {
    await run(async () => {
      const pid = spawn(idle);
      register('reg_killed', pid);
      const ref = monitor(pid);
      exit(pid, 'kill');
      const parent = self();
      expect(processInfo(parent)?.messages).toEqual([['DOWN', ref, 'process', pid, 'killed']]);
      expect(whereis('reg_killed')).toBeUndefined();
    });
  });
});

describe('send by name', () => {
  it('delivers to the registered process', async () => {
    await run(async () => {
      const parent = self();
      const pid = spawn(async () => {
        const m = await receive();
        send(parent, ['echo', m]);
      });
      register('reg_echo', pid);
      expect(send('reg_echo', 'hello')).toBe('hello');
      expect(await receive()).toEqual(['echo', 'hello']);
    });
  });

  it('throws badarg for a name nobody holds, also after the holder exited', async () => {
    expect(errorCode(() => send('reg_none', 'x'))).toBe('badarg');
    await run(async () => {
      const [pid, ref] = spawnMonitor(() => 'done');
      register('reg_short', pid);
      await receive(['DOWN', ref, 'process', pid, _]);
      expect(errorCode(() => send('reg_short', 'x'))).toBe('badarg');
    });
  });
});
