/**
 * Exit signals, links, monitors and trap_exit (signals.ts, exit.ts), checked
 * against what Erlang/OTP 25 does.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  BeamlineError,
  OUTSIDE,
  ProcessExit,
  ProcessExitError,
  _,
  after,
  awaitPromise,
  demonitor,
  exit,
  isProcessAlive,
  isRef,
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
  spawnLink,
  spawnMonitor,
  unlink,
  unregister,
  type Pid,
  type Ref,
} from '../src/index.ts';
import { idle, thrown } from './helpers.ts';
import { killAll, settle } from '../src/testing/index.ts';

afterEach(async () => {
  await killAll();
});

/** Inside a process: waits until every other process is blocked or gone. */
const settled = () => awaitPromise(settle());

/** A process that waits forever (until it is killed or trapped signals arrive). */

/** The thrown value of `fn`, which must throw. */

/** Waits for the DOWN of `ref` and returns its reason. */
async function downReason(ref: Ref, pid: Pid): Promise<unknown> {
  const down = await receive(['DOWN', ref, 'process', pid, _]);
  return down[4];
}

describe('exit/1', () => {
  it('ends the caller with the reason, seen by a monitor', async () => {
    await run(async () => {
      let reached = false;
      const [pid, ref] = spawnMonitor(() => {
        exit(['bad', 42]);
        reached = true;
      });
      expect(await receive(['DOWN', ref, 'process', pid, _])).toEqual(['DOWN', ref, 'process', pid, ['bad', 42]]);
      expect(reached).toBe(false);
    });
  });

  it('rejects run() with a ProcessExitError carrying the reason', async () => {
    const error = await run(() => exit('boom')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProcessExitError);
    expect((error as ProcessExitError).reason).toBe('boom');
    expect(isProcessAlive((error as ProcessExitError).pid)).toBe(false);
  });

  it('rejects run() with the reason itself when it is an Error', async () => {
    const reason = new Error('broken');
    await expect(run(() => exit(reason))).rejects.toBe(reason);
  });

  it('exit("normal") resolves run() with undefined', async () => {
    await expect(run(() => exit('normal'))).resolves.toBeUndefined();
  });

  it('throws not_in_process outside a process', () => {
    const error = thrown(() => exit('x'));
    expect(error).toBeInstanceOf(BeamlineError);
    expect((error as BeamlineError).code).toBe('not_in_process');
  });
});

describe('exit/2', () => {
  it('kill ends a trapping process with reason killed', async () => {
    await run(async () => {
      const pid = spawn(async () => {
        processFlag('trap_exit', true);
        await idle();
      });
      await settled();
      expect(processInfo(pid)?.trapExit).toBe(true);
      const ref = monitor(pid);
      expect(exit(pid, 'kill')).toBe(true);
      expect(await downReason(ref, pid)).toBe('killed');
    });
  });

  it('kill ends a non-trapping process with reason killed', async () => {
    await run(async () => {
      const pid = spawn(idle);
      const ref = monitor(pid);
      exit(pid, 'kill');
      expect(isProcessAlive(pid)).toBe(false);
      expect(await downReason(ref, pid)).toBe('killed');
    });
  });

  it('any reason other than normal ends a non-trapping process with that reason', async () => {
    await run(async () => {
      const pid = spawn(idle);
      const ref = monitor(pid);
      exit(pid, ['shutdown', 'bye']);
      expect(await downReason(ref, pid)).toEqual(['shutdown', 'bye']);
    });
  });

  it('a non-trapping process ignores normal from another process', async () => {
    await run(async () => {
      const parent = self();
      const pid = spawn(async () => {
        const m = await receive();
        send(parent, ['still here', m]);
      });
      exit(pid, 'normal');
      await settled();
      expect(isProcessAlive(pid)).toBe(true);
      send(pid, 'ping');
      expect(await receive()).toEqual(['still here', 'ping']);
    });
  });

  it('a non-trapping process ignores normal from outside any process', async () => {
    const pid = spawn(idle);
    exit(pid, 'normal');
    await settle();
    expect(isProcessAlive(pid)).toBe(true);
  });

  it('exit(self(), "normal") ends the caller with normal', async () => {
    await run(async () => {
      let reached = false;
      const [pid, ref] = spawnMonitor(() => {
        exit(self(), 'normal');
        reached = true;
      });
      expect(await downReason(ref, pid)).toBe('normal');
      expect(reached).toBe(false);
    });
  });

  it('exit(self(), "kill") ends the caller with killed', async () => {
    await run(async () => {
      let reached = false;
      const [pid, ref] = spawnMonitor(() => {
        exit(self(), 'kill');
        reached = true;
      });
      expect(await downReason(ref, pid)).toBe('killed');
      expect(reached).toBe(false);
    });
  });

  it('a trapping process receives ["EXIT", from, reason]', async () => {
    await run(async () => {
      const parent = self();
      const pid = spawn(async () => {
        processFlag('trap_exit', true);
        send(parent, 'ready');
        send(parent, await receive());
        send(parent, await receive());
      });
      await receive('ready');
      exit(pid, 'stop');
      exit(pid, 'normal');
      expect(await receive()).toEqual(['EXIT', parent, 'stop']);
      expect(await receive()).toEqual(['EXIT', parent, 'normal']);
      expect(isProcessAlive(pid)).toBe(false);
    });
  });

  it('a trapping process that sends itself normal receives ["EXIT", self, "normal"]', async () => {
    await run(async () => {
      processFlag('trap_exit', true);
      exit(self(), 'normal');
      expect(await receive(_, after(0))).toEqual(['EXIT', self(), 'normal']);
    });
  });

  it('a signal that comes back through a link ends the caller at once', async () => {
    await run(async () => {
      let reached = false;
      const [a, refA] = spawnMonitor(async () => {
        const b = spawnLink(idle);
        exit(b, 'crash');
        reached = true;
      });
      expect(await downReason(refA, a)).toBe('crash');
      expect(reached).toBe(false);
    });
  });

  it('a process killed before it starts never runs its body', async () => {
    await run(async () => {
      let started = false;
      const [pid, ref] = spawnMonitor(() => {
        started = true;
      });
      exit(pid, 'kill');
      expect(await downReason(ref, pid)).toBe('killed');
      await settled();
      expect(started).toBe(false);
    });
  });

  it('a trapping process that sends itself a crash reason receives it as a message and goes on', async () => {
    await run(async () => {
      processFlag('trap_exit', true);
      expect(exit(self(), 'boom')).toBe(true);
      expect(await receive(_, after(0))).toEqual(['EXIT', self(), 'boom']);
    });
  });

  it('a signal sent from outside any process comes from OUTSIDE (<0.0.0>)', async () => {
    const got = run(async () => {
      processFlag('trap_exit', true);
      return receive(['EXIT', _, _]);
    });
    await settle();
    const [pid] = processes();
    exit(pid!, 'from_test');
    const message = await got;
    expect(message).toEqual(['EXIT', OUTSIDE, 'from_test']);
    expect(message[1]).toBe(OUTSIDE);
    expect(String(OUTSIDE)).toBe('<0.0.0>');
  });

  it('returns true for a dead pid and does nothing', async () => {
    await run(async () => {
      const [pid, ref] = spawnMonitor(() => 'done');
      await downReason(ref, pid);
      expect(exit(pid, 'kill')).toBe(true);
    });
  });

  it('throws badarg for a target that is not a pid', () => {
    const error = thrown(() => exit('someone' as unknown as Pid, 'kill'));
    expect(error).toBeInstanceOf(BeamlineError);
    expect((error as BeamlineError).code).toBe('badarg');
  });
});

describe('links', () => {
  it('a crash of the linked process ends the linker', async () => {
    await run(async () => {
      const b = spawn(idle);
      const [a, refA] = spawnMonitor(async () => {
        link(b);
        await idle();
      });
      await settled();
      expect(processInfo(a)?.links).toEqual([b]);
      expect(processInfo(b)?.links).toEqual([a]);
      exit(b, 'crash');
      expect(await downReason(refA, a)).toBe('crash');
    });
  });

  it('a crash of the linker ends the linked process (links are bidirectional)', async () => {
    await run(async () => {
      const b = spawn(idle);
      const refB = monitor(b);
      const a = spawn(async () => {
        link(b);
        await idle();
      });
      await settled();
      exit(a, 'crash');
      expect(await downReason(refB, b)).toBe('crash');
    });
  });

  it('a throw inside the body ends linked processes with the thrown value', async () => {
    await run(async () => {
      const reason = new TypeError('nope');
      const b = spawn(idle);
      const refB = monitor(b);
      spawn(() => {
        link(b);
        throw reason;
      });
      expect(await downReason(refB, b)).toBe(reason);
    });
  });

  it('a crash propagates through a chain of 3 linked processes, all with the same reason', async () => {
    await run(async () => {
      const parent = self();
      const p1 = spawn(idle);
      const p2 = spawn(async () => {
        link(p1);
        send(parent, 'linked');
        await idle();
      });
      const p3 = spawn(async () => {
        link(p2);
        send(parent, 'linked');
        await idle();
      });
      await receive('linked');
      await receive('linked');
      const refs = [p1, p2, p3].map((p) => monitor(p));
      exit(p1, 'chain_broken');
      expect(await downReason(refs[0]!, p1)).toBe('chain_broken');
      expect(await downReason(refs[1]!, p2)).toBe('chain_broken');
      expect(await downReason(refs[2]!, p3)).toBe('chain_broken');
    });
  });

  it('a crash propagates through a chain of 10,000 linked processes', async () => {
    const N = 10_000;
    await run(async () => {
      const parent = self();
      const pids: Pid[] = [spawn(idle)];
      for (let i = 1; i < N; i++) {
        pids.push(
          spawn(async (prev: Pid) => {
            link(prev);
            send(parent, 'linked');
            await idle();
          }, pids[i - 1]!),
        );
      }
      for (let i = 1; i < N; i++) await receive('linked');
      const refs = new Map<Ref, Pid>(pids.map((p) => [monitor(p), p]));
      exit(pids[0]!, 'domino');
      const reasons = new Map<Pid, unknown>();
      for (let i = 0; i < N; i++) {
        const [, ref, , pid, reason] = await receive(['DOWN', _, 'process', _, _]);
        expect(refs.get(ref as Ref)).toBe(pid);
        reasons.set(pid as Pid, reason);
      }
      expect(reasons.size).toBe(N);
      expect([...reasons.values()].every((r) => r === 'domino')).toBe(true);
      expect(pids.some((p) => isProcessAlive(p))).toBe(false);
    });
  });

  it('a normal exit does not end linked non-trapping processes', async () => {
    await run(async () => {
      const parent = self();
      const a = spawn(async () => {
        const [child, ref] = spawnMonitor(async () => {
          await receive('go');
        });
        link(child);
        send(parent, ['child', child]);
        send(parent, await receive(['DOWN', ref, 'process', child, _]));
        await idle();
      });
      const [, child] = await receive(['child', _]);
      send(child as Pid, 'go');
      expect((await receive(['DOWN', _, 'process', _, _]))[4]).toBe('normal');
      expect(isProcessAlive(a)).toBe(true);
      expect(processInfo(a)?.links).toEqual([]);
    });
  });

  it('a trapping process in the middle of a chain stops the crash and gets the EXIT message', async () => {
    await run(async () => {
      const parent = self();
      const first = spawn(idle);
      const middle = spawn(async () => {
        processFlag('trap_exit', true);
        link(first);
        send(parent, 'linked');
        send(parent, ['middle got', await receive()]);
        await idle();
      });
      const last = spawn(async () => {
        link(middle);
        send(parent, 'linked');
        await idle();
      });
      await receive('linked');
      await receive('linked');
      exit(first, 'boom');
      expect(await receive(['middle got', _])).toEqual(['middle got', ['EXIT', first, 'boom']]);
      expect(isProcessAlive(middle)).toBe(true);
      expect(isProcessAlive(last)).toBe(true);
      expect(processInfo(middle)?.links).toEqual([last]);
    });
  });

  it('a trapping process gets ["EXIT", pid, "normal"] when a linked process returns', async () => {
    await run(async () => {
      processFlag('trap_exit', true);
      const child = spawnLink(() => 'done');
      expect(await receive(['EXIT', child, _])).toEqual(['EXIT', child, 'normal']);
      expect(processInfo(self())?.links).toEqual([]);
    });
  });

  it('unlink removes the link on both sides', async () => {
    await run(async () => {
      const b = spawn(idle);
      link(b);
      expect(processInfo(self())?.links).toEqual([b]);
      expect(unlink(b)).toBe(true);
      expect(processInfo(self())?.links).toEqual([]);
      expect(processInfo(b)?.links).toEqual([]);
      const ref = monitor(b);
      exit(b, 'crash');
      expect(await downReason(ref, b)).toBe('crash');
      expect(isProcessAlive(self())).toBe(true);
    });
  });

  it('unlink of a pid that is not linked or not alive returns true', async () => {
    await run(async () => {
      const [dead, ref] = spawnMonitor(() => 'done');
      await downReason(ref, dead);
      expect(unlink(dead)).toBe(true);
      expect(unlink(spawn(idle))).toBe(true);
    });
  });

  it('link to a dead pid throws noproc when not trapping', async () => {
    await run(async () => {
      const [dead, ref] = spawnMonitor(() => 'done');
      await downReason(ref, dead);
      const error = thrown(() => link(dead));
      expect(error).toBeInstanceOf(BeamlineError);
      expect((error as BeamlineError).code).toBe('noproc');
      expect(processInfo(self())?.links).toEqual([]);
    });
  });

  it('link to a dead pid returns true and delivers ["EXIT", pid, "noproc"] when trapping', async () => {
    await run(async () => {
      const [dead, ref] = spawnMonitor(() => 'done');
      await downReason(ref, dead);
      processFlag('trap_exit', true);
      expect(link(dead)).toBe(true);
      expect(await receive(_, after(0))).toEqual(['EXIT', dead, 'noproc']);
    });
  });

  it('exit("kill") ends linked processes with reason kill; trapping ones get ["EXIT", pid, "kill"]', async () => {
    await run(async () => {
      const parent = self();
      const plain = spawn(idle);
      const trapping = spawn(async () => {
        processFlag('trap_exit', true);
        send(parent, 'trapping');
        send(parent, ['trapped', await receive()]);
        await idle();
      });
      await receive('trapping');
      const [killer, refKiller] = spawnMonitor(async () => {
        link(plain);
        link(trapping);
        await receive('die');
        exit('kill');
      });
      const refPlain = monitor(plain);
      await settled();
      send(killer, 'die');
      expect(await downReason(refKiller, killer)).toBe('kill');
      expect(await downReason(refPlain, plain)).toBe('kill');
      expect(await receive(['trapped', _])).toEqual(['trapped', ['EXIT', killer, 'kill']]);
      expect(isProcessAlive(trapping)).toBe(true);
    });
  });

  it('spawnLink links the child both ways at once', async () => {
    await run(async () => {
      const child = spawnLink(idle);
      expect(processInfo(self())?.links).toEqual([child]);
      expect(processInfo(child)?.links).toEqual([self()]);
      unlink(child);
    });
  });
});

describe('monitors', () => {
  it('the monitor gets ["DOWN", ref, "process", pid, reason]', async () => {
    await run(async () => {
      const pid = spawn(async () => {
        await receive('crash');
        exit({ code: 7 });
      });
      const ref = monitor('process', pid);
      expect(isRef(ref)).toBe(true);
      send(pid, 'crash');
      expect(await receive()).toEqual(['DOWN', ref, 'process', pid, { code: 7 }]);
    });
  });

  it('monitor of a dead pid delivers DOWN with noproc at once', async () => {
    await run(async () => {
      const [dead, first] = spawnMonitor(() => 'done');
      await downReason(first, dead);
      const ref = monitor(dead);
      expect(await receive(_, after(0))).toEqual(['DOWN', ref, 'process', dead, 'noproc']);
    });
  });

  it('monitor by registered name names [name, node] in the DOWN', async () => {
    await run(async () => {
      const pid = spawn(idle);
      register('signals_named', pid);
      const ref = monitor('signals_named');
      expect(processInfo(pid)?.monitoredBy).toEqual([self()]);
      exit(pid, 'bye');
      expect(await receive()).toEqual(['DOWN', ref, 'process', ['signals_named', 'nonode@nohost'], 'bye']);
    });
  });

  it('monitor of a name nobody holds delivers DOWN with noproc at once', async () => {
    await run(async () => {
      const ref = monitor('process', 'signals_nobody');
      expect(await receive(_, after(0))).toEqual(['DOWN', ref, 'process', ['signals_nobody', 'nonode@nohost'], 'noproc']);
    });
  });

  it('monitoring a name follows the process registered at the time of the call', async () => {
    await run(async () => {
      const first = spawn(idle);
      register('signals_moving', first);
      const ref = monitor('signals_moving');
      unregister('signals_moving');
      const second = spawn(idle);
      register('signals_moving', second);
      exit(second, 'shutdown');
      exit(first, 'me');
      expect(await receive(['DOWN', ref, _, _, _])).toEqual(['DOWN', ref, 'process', ['signals_moving', 'nonode@nohost'], 'me']);
    });
  });

  it('demonitor stops the DOWN', async () => {
    await run(async () => {
      const pid = spawn(idle);
      const ref = monitor(pid);
      const witness = monitor(pid);
      expect(demonitor(ref)).toBe(true);
      exit(pid, 'crash');
      expect(await downReason(witness, pid)).toBe('crash');
      expect(await receive(['DOWN', ref, _, _, _], after(0))).toBeUndefined();
      expect(processInfo(self())?.messageQueueLen).toBe(0);
    });
  });

  it('demonitor(ref, ["flush"]) removes a DOWN already queued', async () => {
    await run(async () => {
      const pid = spawn(idle);
      const ref = monitor(pid);
      send(self(), 'before');
      exit(pid, 'crash');
      send(self(), 'after');
      expect(processInfo(self())?.messages).toEqual(['before', ['DOWN', ref, 'process', pid, 'crash'], 'after']);
      expect(demonitor(ref, ['flush'])).toBe(true);
      expect(processInfo(self())?.messages).toEqual(['before', 'after']);
    });
  });

  it('demonitor(ref, ["info"]) is true while the monitor is active', async () => {
    await run(async () => {
      const pid = spawn(idle);
      const ref = monitor(pid);
      expect(processInfo(self())?.monitors).toEqual([['process', pid]]);
      expect(demonitor(ref, ['info'])).toBe(true);
      expect(processInfo(self())?.monitors).toEqual([]);
      expect(processInfo(pid)?.monitoredBy).toEqual([]);
      expect(demonitor(ref, ['info'])).toBe(false);
    });
  });

  it('demonitor(ref, ["info"]) is false after the DOWN fired, and the DOWN stays queued', async () => {
    await run(async () => {
      const pid = spawn(idle);
      const ref = monitor(pid);
      exit(pid, 'crash');
      expect(demonitor(ref, ['info'])).toBe(false);
      expect(processInfo(self())?.messages).toEqual([['DOWN', ref, 'process', pid, 'crash']]);
    });
  });

  it('demonitor(ref, ["flush", "info"]) removes the DOWN and says it had fired', async () => {
    await run(async () => {
      const pid = spawn(idle);
      const ref = monitor(pid);
      exit(pid, 'crash');
      expect(demonitor(ref, ['flush', 'info'])).toBe(false);
      expect(processInfo(self())?.messageQueueLen).toBe(0);
    });
  });

  it('demonitor throws badarg for a non-reference or an unknown option', async () => {
    await run(async () => {
      const ref = monitor(spawn(idle));
      const e1 = thrown(() => demonitor('ref' as unknown as Ref));
      const e2 = thrown(() => demonitor(ref, ['flsh' as 'flush']));
      expect((e1 as BeamlineError).code).toBe('badarg');
      expect((e2 as BeamlineError).code).toBe('badarg');
    });
  });

  it('monitor throws badarg for a bad target or an unknown type', async () => {
    await run(async () => {
      const e1 = thrown(() => monitor(42 as unknown as Pid));
      const e2 = thrown(() => monitor('port' as 'process', spawn(idle)));
      expect((e1 as BeamlineError).code).toBe('badarg');
      expect((e2 as BeamlineError).code).toBe('badarg');
    });
  });

  it('a process monitoring itself records no monitor (as in Erlang)', async () => {
    await run(() => {
      const ref = monitor(self());
      expect(isRef(ref)).toBe(true);
      expect(processInfo(self())?.monitors).toEqual([]);
      expect(demonitor(ref, ['info'])).toBe(false);
    });
  });

  it('each monitor gets its own DOWN', async () => {
    await run(async () => {
      const pid = spawn(idle);
      const r1 = monitor(pid);
      const r2 = monitor(pid);
      expect(r1).not.toBe(r2);
      exit(pid, 'twice');
      expect(processInfo(self())?.messages).toEqual([
        ['DOWN', r1, 'process', pid, 'twice'],
        ['DOWN', r2, 'process', pid, 'twice'],
      ]);
    });
  });
});

describe('processFlag', () => {
  it('returns the old value of trap_exit', async () => {
    await run(() => {
      expect(processFlag('trap_exit', true)).toBe(false);
      expect(processFlag('trap_exit', true)).toBe(true);
      expect(processFlag('trap_exit', false)).toBe(true);
      expect(processInfo(self())?.trapExit).toBe(false);
    });
  });

  it('throws badarg for an unknown flag or a non-boolean value', async () => {
    await run(() => {
      const e1 = thrown(() => processFlag('priority' as 'trap_exit', true));
      const e2 = thrown(() => processFlag('trap_exit', 'yes' as unknown as boolean));
      expect(e1).toBeInstanceOf(BeamlineError);
      expect((e1 as BeamlineError).code).toBe('badarg');
      expect((e2 as BeamlineError).code).toBe('badarg');
      expect(processInfo(self())?.trapExit).toBe(false);
    });
  });
});

describe('a process killed while blocked never resumes', () => {
  it('in receive', async () => {
    let resumed = false;
    await run(async () => {
      const pid = spawn(async () => {
        await receive('wake');
        resumed = true;
      });
      await settled();
      const ref = monitor(pid);
      exit(pid, 'kill');
      send(pid, 'wake');
      expect(await downReason(ref, pid)).toBe('killed');
    });
    await settle();
    expect(resumed).toBe(false);
  });

  it('in receive, with its message already queued but not yet taken', async () => {
    let resumed = false;
    await run(async () => {
      const pid = spawn(async () => {
        await receive('wake');
        resumed = true;
      });
      await settled();
      const ref = monitor(pid);
      send(pid, 'wake');
      exit(pid, 'kill');
      expect(await downReason(ref, pid)).toBe('killed');
    });
    await settle();
    expect(resumed).toBe(false);
  });

  it('in sleep', async () => {
    let resumed = false;
    await run(async () => {
      const pid = spawn(async () => {
        await sleep(10);
        resumed = true;
      });
      await settled();
      const ref = monitor(pid);
      exit(pid, 'stop');
      expect(await downReason(ref, pid)).toBe('stop');
      await sleep(30);
    });
    expect(resumed).toBe(false);
  });

  it('in awaitPromise, even when the promise settles afterwards', async () => {
    let resumed = false;
    let settleIt: (v: string) => void = () => {};
    const promise = new Promise<string>((resolve) => {
      settleIt = resolve;
    });
    await run(async () => {
      const pid = spawn(async () => {
        await awaitPromise(promise);
        resumed = true;
      });
      await settled();
      expect(processInfo(pid)?.status).toBe('waiting');
      const ref = monitor(pid);
      exit(pid, 'kill');
      settleIt('too late');
      expect(await downReason(ref, pid)).toBe('killed');
    });
    await promise;
    await settle();
    expect(resumed).toBe(false);
  });
});

describe('a process killed while its code runs', () => {
  it('unwinds as itself: its finally sees its own pid and cannot block the process that runs next', async () => {
    const seen: unknown[] = [];
    const got: unknown[] = [];
    const other = spawn(async () => {
      got.push(await receive());
      got.push(await receive(_, after(20, () => 'timeout')));
    });
    await settle();
    const victim = spawn(async () => {
      const peer = spawn(idle);
      link(peer);
      const kill = async () => {
        await null;
        send(other, 'wake');
        exit(peer, 'boom'); // the link brings the signal back: the caller dies too
      };
      try {
        await kill();
      } finally {
        seen.push(self());
        try {
          await receive(_, after(5));
          seen.push('received');
        } catch (error) {
          seen.push(error);
        }
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(seen).toEqual([victim, new ProcessExit('boom')]);
    expect(got).toEqual(['wake', 'timeout']);
    expect(isProcessAlive(victim)).toBe(false);
  });
});
