/**
 * The logger (logger.ts): what nobody else is told about is reported once
 * through the logger set with setLogger; everything else stays quiet.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  _,
  demonitor,
  exit,
  link,
  monitor,
  onExit,
  processFlag,
  processes,
  receive,
  run,
  self,
  send,
  setLogger,
  spawn,
  spawnLink,
  spawnMonitor,
  unlink,
  type LogReport,
  type Logger,
} from '../src/index.ts';
import { idle } from './helpers.ts';
import { settle } from '../src/testing/index.ts';

let reports: LogReport[] = [];
let previous: Logger;

beforeEach(() => {
  reports = [];
  previous = setLogger((report) => {
    reports.push(report);
  });
});

afterEach(async () => {
  for (const pid of processes()) exit(pid, 'kill');
  await settle();
  setLogger(previous);
});


describe('crash reports', () => {
  it('a crash of an unlinked, unmonitored process is reported once with its pid and reason', async () => {
    const reason = new Error('boom');
    const pid = spawn(() => {
      throw reason;
    });
    await settle();
    expect(reports).toEqual([{ kind: 'crash', pid, reason }]);
    expect(reports[0]!.kind === 'crash' && reports[0]!.reason).toBe(reason);
  });

  it('exit(reason) with a reason that is not quiet is reported', async () => {
    const pid = spawn(() => exit(['bad_state', 3]));
    await settle();
    expect(reports).toEqual([{ kind: 'crash', pid, reason: ['bad_state', 3] }]);
  });

  it('a crash after an await is reported once', async () => {
    const pid = spawn(async () => {
      await receive('go');
      throw new TypeError('late');
    });
    await settle();
    send(pid, 'go');
    await settle();
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ kind: 'crash', pid });
    expect((reports[0] as { reason: Error }).reason).toBeInstanceOf(TypeError);
  });

  it("exits with 'normal', 'shutdown' and ['shutdown', x] are not reported", async () => {
    spawn(() => 'returned');
    spawn(() => exit('normal'));
    spawn(() => exit('shutdown'));
    spawn(() => exit(['shutdown', { why: 'done' }]));
    await settle();
    expect(processes()).toEqual([]);
    expect(reports).toEqual([]);
  });

  it('a crash of a monitored process is not reported', async () => {
    await run(async () => {
      const [pid, ref] = spawnMonitor(() => exit('watched'));
      expect(await receive(['DOWN', ref, 'process', pid, _])).toEqual(['DOWN', ref, 'process', pid, 'watched']);
    });
    expect(reports).toEqual([]);
  });

  it('a crash of a linked process is not reported', async () => {
    await run(async () => {
      processFlag('trap_exit', true);
      const pid = spawnLink(() => exit('linked'));
      expect(await receive(['EXIT', pid, _])).toEqual(['EXIT', pid, 'linked']);
    });
    expect(reports).toEqual([]);
  });

  it('a crash of a process run() runs is not reported (run rejects instead)', async () => {
    await expect(run(() => exit('by_run'))).rejects.toMatchObject({ reason: 'by_run' });
    expect(reports).toEqual([]);
  });

  it('a process ended by an exit signal is not reported (as in Erlang)', async () => {
    const killed = spawn(idle);
    const stopped = spawn(idle);
    await settle();
    exit(killed, 'kill');
    exit(stopped, 'stop');
    await settle();
    expect(processes()).toEqual([]);
    expect(reports).toEqual([]);
  });

  it('a crash in a linked group where nobody traps exits is reported once; the processes it ends are not', async () => {
    const parent = spawn(async () => {
      spawnLink(idle);
      spawnLink(idle);
      await receive('crash');
      exit('chain');
    });
    await settle();
    expect(processes()).toHaveLength(3);
    send(parent, 'crash');
    await settle();
    expect(processes()).toEqual([]);
    expect(reports).toEqual([{ kind: 'crash', pid: parent, reason: 'chain' }]);
  });

  it('a crash that a trapping linked process hears of is not reported', async () => {
    const supervisor = spawn(async () => {
      processFlag('trap_exit', true);
      spawnLink(() => exit('heard'));
      await receive(['EXIT', _, 'heard']);
      await receive('stop');
    });
    await settle();
    send(supervisor, 'stop');
    await settle();
    expect(reports).toEqual([]);
  });

  it('a crash is reported once its links are gone (unlinked, or the partner exited)', async () => {
    const unlinked = spawn(async () => {
      const partner = spawn(idle);
      link(partner);
      unlink(partner);
      await receive('crash');
      exit('after_unlink');
    });
    const orphan = spawn(async () => {
      spawnLink(() => 'done');
      await receive('crash');
      exit('after_partner');
    });
    await settle();
    send(unlinked, 'crash');
    send(orphan, 'crash');
    await settle();
    expect(reports).toEqual([
      { kind: 'crash', pid: unlinked, reason: 'after_unlink' },
      { kind: 'crash', pid: orphan, reason: 'after_partner' },
    ]);
  });

  it('a crash is reported once its monitors were removed', async () => {
    const pid = spawn(async () => {
      await receive('crash');
      exit('after_demonitor');
    });
    await run(() => {
      demonitor(monitor(pid));
    });
    send(pid, 'crash');
    await settle();
    expect(reports).toEqual([{ kind: 'crash', pid, reason: 'after_demonitor' }]);
  });
});

describe('other reports', () => {
  it('a process awaiting a promise the runtime does not know of is reported as detached', async () => {
    const pid = spawn(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
    });
    await settle();
    expect(reports).toEqual([{ kind: 'detached', pid }]);
  });

  it('an exit hook that throws is reported as hook_failed, and the other hooks still run', async () => {
    const error = new Error('hook broke');
    const seen: unknown[] = [];
    const pid = spawn(idle);
    onExit(pid, () => {
      throw error;
    });
    onExit(pid, (reason) => seen.push(reason));
    exit(pid, 'kill');
    expect(seen).toEqual(['killed']);
    expect(reports).toEqual([{ kind: 'hook_failed', pid, error }]);
  });

  it('a hook on a dead pid that throws is reported as hook_failed too', async () => {
    const dead = await run(() => self());
    const error = new Error('late hook broke');
    onExit(dead, () => {
      throw error;
    });
    await settle();
    expect(reports).toEqual([{ kind: 'hook_failed', pid: dead, error }]);
  });
});

describe('setLogger', () => {
  it('returns the logger it replaces', () => {
    const mine: Logger = () => {};
    const current = setLogger(mine);
    expect(setLogger(current)).toBe(mine);
  });

  it('throws badarg for a non-function, keeping the current logger', async () => {
    expect(() => setLogger('console' as unknown as Logger)).toThrow(/badarg: setLogger/);
    const pid = spawn(() => exit('still_logged'));
    await settle();
    expect(reports).toEqual([{ kind: 'crash', pid, reason: 'still_logged' }]);
  });

  it('a logger that throws does not break the runtime', async () => {
    let calls = 0;
    setLogger(() => {
      calls++;
      throw new Error('logger broke');
    });
    const crashed = spawn(() => exit('first'));
    await settle();
    expect(calls).toBe(1);
    expect(processes()).toEqual([]);
    const answer = await run(async () => {
      const me = self();
      spawn(() => exit('second'));
      const echo = spawn(async () => send(me, ['echo', await receive()]));
      send(echo, 'hi');
      return receive(['echo', _]);
    });
    expect(answer).toEqual(['echo', 'hi']);
    expect(calls).toBe(2);
    expect(crashed).toBeDefined();
  });
});
