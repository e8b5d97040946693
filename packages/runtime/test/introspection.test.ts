/**
 * Looking at processes from outside (introspection.ts): processes() and
 * processInfo(pid), field by field.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  BeamlineError,
  _,
  awaitPromise,
  exit,
  link,
  monitor,
  processFlag,
  processInfo,
  processes,
  receive,
  register,
  run,
  self,
  send,
  sleep,
  spawn,
  spawnMonitor,
  type Pid,
} from '../src/index.ts';
import { idle } from './helpers.ts';
import { killAll, settle } from '../src/testing/index.ts';

afterEach(async () => {
  await killAll();
});


describe('processes()', () => {
  it('lists the live pids and drops the dead ones', async () => {
    const a = spawn(idle);
    const b = spawn(idle);
    const c = spawn(() => 'short');
    expect(processes()).toEqual([a, b, c]);
    await settle();
    expect(processes()).toEqual([a, b]);
    exit(a, 'kill');
    expect(processes()).toEqual([b]);
    exit(b, 'kill');
    expect(processes()).toEqual([]);
  });

  it('includes the caller', async () => {
    await run(() => {
      expect(processes()).toContain(self());
    });
    expect(processes()).toEqual([]);
  });
});

describe('processInfo(pid)', () => {
  it('describes a fresh process that has not started yet as runnable with empty tables', () => {
    const pid = spawn(idle);
    expect(processInfo(pid)).toEqual({
      status: 'runnable',
      messageQueueLen: 0,
      messages: [],
      links: [],
      monitors: [],
      monitoredBy: [],
      registeredName: undefined,
      trapExit: false,
    });
  });

  it("says 'running' for the caller itself", async () => {
    await run(() => {
      expect(processInfo(self())?.status).toBe('running');
    });
  });

  it("says 'waiting' for a process blocked in receive, sleep or awaitPromise", async () => {
    const inReceive = spawn(idle);
    const inSleep = spawn(() => sleep(100));
    const inAwait = spawn(() => awaitPromise(new Promise(() => {})));
    await settle();
    expect(processInfo(inReceive)?.status).toBe('waiting');
    expect(processInfo(inSleep)?.status).toBe('waiting');
    expect(processInfo(inAwait)?.status).toBe('waiting');
  });

  it("says 'runnable' for a blocked process that a message has woken", async () => {
    const pid = spawn(() => receive('go'));
    await settle();
    send(pid, 'go');
    expect(processInfo(pid)?.status).toBe('runnable');
  });

  it('shows the queued messages, oldest first, and their count', async () => {
    const pid = spawn(() => receive('wanted'));
    await settle();
    send(pid, 'one');
    send(pid, ['two', 2]);
    send(pid, { three: 3 });
    await settle();
    const info = processInfo(pid)!;
    expect(info.messageQueueLen).toBe(3);
    expect(info.messages).toEqual(['one', ['two', 2], { three: 3 }]);
    expect(info.status).toBe('waiting');
  });

  it('messages is a snapshot the caller cannot use to change the mailbox', async () => {
    const pid = spawn(() => receive('wanted'));
    send(pid, 'one');
    const messages = processInfo(pid)!.messages as unknown[];
    messages.length = 0;
    expect(processInfo(pid)?.messages).toEqual(['one']);
  });

  it('shows links on both sides', async () => {
    await run(async () => {
      const a = spawn(idle);
      const b = spawn(idle);
      link(a);
      link(b);
      expect(processInfo(self())?.links).toEqual([a, b]);
      expect(processInfo(a)?.links).toEqual([self()]);
      expect(processInfo(b)?.links).toEqual([self()]);
    });
  });

  it("shows monitors held as ['process', pid] and the watchers as monitoredBy", async () => {
    await run(async () => {
      const target = spawn(idle);
      monitor(target);
      const me = self();
      const other = spawn(async () => {
        monitor(target);
        await idle();
      });
      await awaitPromise(settle());
      expect(processInfo(me)?.monitors).toEqual([['process', target]]);
      expect(processInfo(target)?.monitoredBy).toEqual([me, other]);
      expect(processInfo(target)?.monitors).toEqual([]);
    });
  });

  it("shows a monitor by registered name as ['process', [name, node]]", async () => {
    await run(async () => {
      const target = spawn(idle);
      register('intro_named', target);
      monitor('intro_named');
      monitor(target);
      expect(processInfo(self())?.monitors).toEqual([
        ['process', ['intro_named', 'nonode@nohost']],
        ['process', target],
      ]);
      expect(processInfo(target)?.monitoredBy).toEqual([self(), self()]);
    });
  });

  it('drops the links and monitors of a process that exited from the others', async () => {
    await run(async () => {
      const target = spawn(idle);
      const [watcher, ref] = spawnMonitor(async () => {
        monitor(target);
        link(target);
        await receive('stop');
      });
      await awaitPromise(settle());
      expect(processInfo(target)?.monitoredBy).toEqual([watcher]);
      expect(processInfo(target)?.links).toEqual([watcher]);
      expect(processInfo(watcher)?.monitoredBy).toEqual([self()]);
      send(watcher, 'stop');
      await receive(['DOWN', ref, 'process', watcher, _]);
      expect(processInfo(target)?.monitoredBy).toEqual([]);
      expect(processInfo(target)?.links).toEqual([]);
    });
  });

  it('drops a monitor that fired from both sides', async () => {
    await run(async () => {
      const [pid, ref] = spawnMonitor(() => 'done');
      await receive(['DOWN', ref, 'process', pid, _]);
      expect(processInfo(self())?.monitors).toEqual([]);
    });
  });

  it('shows the registered name and trap_exit', async () => {
    await run(async () => {
      register('intro_me', self());
      processFlag('trap_exit', true);
      const info = processInfo(self())!;
      expect(info.registeredName).toBe('intro_me');
      expect(info.trapExit).toBe(true);
    });
  });

  it('is undefined for a dead pid', async () => {
    await run(async () => {
      const [pid, ref] = spawnMonitor(() => 'done');
      expect(processInfo(pid)).toBeDefined();
      await receive(['DOWN', ref, 'process', pid, _]);
      expect(processInfo(pid)).toBeUndefined();
    });
  });

  it('throws badarg for a non-pid', () => {
    for (const value of ['<0.80.0>', 80, null, undefined, {}]) {
      let error: unknown;
      try {
        processInfo(value as unknown as Pid);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(BeamlineError);
      expect((error as BeamlineError).code).toBe('badarg');
    }
  });
});
