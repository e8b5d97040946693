/**
 * supervisor (behaviours/supervisor.ts): strategies, restart types, restart
 * intensity, shutdown, dynamic children and every API call, with the crash
 * sequences and results checked against OTP 25 (supervisor:which_children,
 * the order of stops and starts a worker logs, the error terms).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CallExit,
  _,
  after,
  awaitPromise,
  exit,
  genServer,
  isPid,
  isProcessAlive,
  makeRef,
  processFlag,
  receive,
  run,
  self,
  send,
  setLogger,
  spawn,
  spawnLink,
  supervisor,
  whereis,
  type ChildSpec,
  type GenServer,
  type LogReport,
  type Logger,
  type Pid,
  type Supervisor,
} from '../src/index.ts';
import { thrown } from './helpers.ts';
import { killAll, settle, useSimulatedClock } from '../src/testing/index.ts';

let reports: LogReport[] = [];
let previousLogger: Logger;

beforeEach(() => {
  reports = [];
  previousLogger = setLogger((r) => reports.push(r));
});

afterEach(async () => {
  await killAll();
  setLogger(previousLogger);
});

/** Inside a process: waits until every other process is blocked or gone. */
const settled = () => awaitPromise(settle());

type Mode = 'plain' | 'trap' | 'slow';

/**
 * A worker that tells `log` what it does: `['started', id]`; on
 * `['crash', reason]` it logs `['crashing', id]` and exits; trapping exits
 * (`trap`) it logs `['stopping', id, reason]` and exits with the reason of an
 * exit signal; `slow` logs `['ignoring', id, reason]` and goes on.
 */
async function workerBody(parent: Pid, log: Pid, id: unknown, mode: Mode): Promise<void> {
  if (mode !== 'plain') processFlag('trap_exit', true);
  send(log, ['started', id]);
  send(parent, ['up', self()]);
  for (;;) {
    const m = await receive();
    if (Array.isArray(m) && m[0] === 'crash') {
      send(log, ['crashing', id]);
      exit(m[1]);
    }
    if (Array.isArray(m) && m[0] === 'EXIT') {
      if (mode === 'trap') {
        send(log, ['stopping', id, m[2]]);
        exit(m[2]);
      }
      send(log, ['ignoring', id, m[2]]);
    }
  }
}

/**
 * A start function: OTP's `{sw, start, [Id, Mode]}`. It runs in the
 * supervisor, so spawnLink links the worker to it, and it waits until the
 * worker is up, as proc_lib's synchronous starts do.
 */
async function startWorker(log: Pid, id: unknown, mode: Mode): Promise<readonly ['ok', Pid]> {
  const pid = spawnLink(workerBody, self(), log, id, mode);
  await receive(['up', pid]);
  return ['ok', pid];
}

const spec = (id: string, mode: Mode = 'trap', more: Partial<ChildSpec> = {}): ChildSpec => ({
  id,
  start: [startWorker, [self(), id, mode]],
  shutdown: 100,
  ...more,
});

/** A callback module whose init returns what the test gives it. */
const sup: Supervisor<unknown> = {
  init(result: unknown) {
    return result as never;
  },
};

const LOG_TAGS = ['started', 'crashing', 'stopping', 'ignoring'];

/** Waits until all is quiet, then takes the workers' log messages, in order. */
async function drain(): Promise<unknown[]> {
  await settled();
  const out: unknown[] = [];
  for (let i = 0; i < 1000; i++) {
    const m = await receive((x: unknown) => Array.isArray(x) && LOG_TAGS.includes(x[0] as string), after(0));
    if (m === undefined) return out;
    out.push(m);
  }
  throw new Error('drain: too many log messages');
}

async function startSup(flags: object | readonly unknown[], specs: readonly unknown[]): Promise<Pid> {
  const r = await supervisor.startLink(sup, ['ok', [flags, specs]]);
  if (r === 'ignore' || r[0] !== 'ok') throw new Error(`supervisor did not start: ${String(r)}`);
  return r[1];
}

async function pidOf(s: Pid, id: unknown): Promise<Pid> {
  const child = (await supervisor.whichChildren(s)).find(([i]) => i === id);
  if (child === undefined || !isPid(child[1])) throw new Error(`no running child ${String(id)}`);
  return child[1];
}

const supervisorReports = () =>
  reports.flatMap((r) => (r.kind === 'supervisor' ? [[r.context, r.reason, r.offender['id']] as const] : []));

describe('startLink', () => {
  it('starts the children in order; whichChildren lists them newest first', async () => {
    await run(async () => {
      const s = await startSup({}, [spec('a'), spec('b')]);
      expect(await drain()).toEqual([
        ['started', 'a'],
        ['started', 'b'],
      ]);
      const a = await pidOf(s, 'a');
      const b = await pidOf(s, 'b');
      expect(await supervisor.whichChildren(s)).toEqual([
        ['b', b, 'worker', []],
        ['a', a, 'worker', []],
      ]);
      expect(await supervisor.countChildren(s)).toEqual([
        ['specs', 2],
        ['active', 2],
        ['supervisors', 0],
        ['workers', 2],
      ]);
    });
  });

  it('registers the name given as ["local", name]; a second start gives already_started', async () => {
    await run(async () => {
      const first = await supervisor.startLink(['local', 'top_sup'], sup, ['ok', [{}, []]]);
      const pid = whereis('top_sup');
      expect(first).toEqual(['ok', pid]);
      expect(await supervisor.startLink(['local', 'top_sup'], sup, ['ok', [{}, []]])).toEqual(['error', ['already_started', pid]]);
      expect(await supervisor.whichChildren('top_sup')).toEqual([]);
    });
  });

  it('init returning ignore gives ignore; the supervisor exits normal', async () => {
    await run(async () => {
      processFlag('trap_exit', true);
      expect(await supervisor.startLink(sup, 'ignore')).toBe('ignore');
      expect(await receive(['EXIT', _, _], after(0))).toEqual(['EXIT', expect.anything(), 'normal']);
    });
  });

  it('a bad init result gives ["bad_return", [module, "init", value]]', async () => {
    await run(async () => {
      processFlag('trap_exit', true);
      expect(await supervisor.startLink(sup, 'what')).toEqual(['error', ['bad_return', [sup, 'init', 'what']]]);
      expect(await receive(['EXIT', _, _], after(0))).toEqual(['EXIT', expect.anything(), ['bad_return', [sup, 'init', 'what']]]);
    });
  });

  it('bad flags give ["supervisor_data", …]', async () => {
    await run(async () => {
      processFlag('trap_exit', true);
      const start = (flags: unknown) => supervisor.startLink(sup, ['ok', [flags, []]]);
      expect(await start({ strategy: 'foo' })).toEqual(['error', ['supervisor_data', ['invalid_strategy', 'foo']]]);
      expect(await start({ intensity: -1 })).toEqual(['error', ['supervisor_data', ['invalid_intensity', -1]]]);
      expect(await start({ period: 0 })).toEqual(['error', ['supervisor_data', ['invalid_period', 0]]]);
      expect(await start({ auto_shutdown: 'x' })).toEqual(['error', ['supervisor_data', ['invalid_auto_shutdown', 'x']]]);
      expect(await start({ stratgy: 'one_for_one' })).toEqual(['error', ['supervisor_data', ['invalid_type', { stratgy: 'one_for_one' }]]]);
      expect(await start('x')).toEqual(['error', ['supervisor_data', ['invalid_type', 'x']]]);
    });
  });

  it('duplicate ids give ["start_spec", ["duplicate_child_name", id]]', async () => {
    await run(async () => {
      processFlag('trap_exit', true);
      const r = await supervisor.startLink(sup, ['ok', [{}, [spec('a'), spec('a')]]]);
      expect(r).toEqual(['error', ['start_spec', ['duplicate_child_name', 'a']]]);
      expect(await drain()).toEqual([]);
    });
  });

  it('a child that fails to start stops the ones started, in reverse order, and the supervisor', async () => {
    await run(async () => {
      processFlag('trap_exit', true);
      const failing = { id: 'c', start: () => ['error', 'nope'] as const };
      const r = await supervisor.startLink(sup, ['ok', [{}, [spec('a'), spec('b'), failing, spec('d')]]]);
      expect(r).toEqual(['error', ['shutdown', ['failed_to_start_child', 'c', 'nope']]]);
      expect(await drain()).toEqual([
        ['started', 'a'],
        ['started', 'b'],
        ['stopping', 'b', 'shutdown'],
        ['stopping', 'a', 'shutdown'],
      ]);
      expect(supervisorReports()).toEqual([['start_error', 'nope', 'c']]);
    });
  });

  it('simple_one_for_one takes exactly one spec', async () => {
    await run(async () => {
      processFlag('trap_exit', true);
      const specs = [spec('a'), spec('b')];
      expect(await supervisor.startLink(sup, ['ok', [{ strategy: 'simple_one_for_one' }, specs]])).toEqual([
        'error',
        ['bad_start_spec', specs],
      ]);
      expect(await supervisor.startLink(sup, ['ok', [{ strategy: 'simple_one_for_one' }, []]])).toEqual(['error', ['bad_start_spec', []]]);
    });
  });

  it('accepts the tuple forms of flags and child specs', async () => {
    await run(async () => {
      const s = await startSup(['one_for_all', 0, 1], [['a', [startWorker, [self(), 'a', 'trap']], 'permanent', 100, 'worker', ['sw']]]);
      expect(await drain()).toEqual([['started', 'a']]);
      const [, spec1] = (await supervisor.getChildspec(s, 'a')) as readonly ['ok', supervisor.FullChildSpec];
      expect(spec1).toMatchObject({ id: 'a', restart: 'permanent', shutdown: 100, type: 'worker', modules: ['sw'], significant: false });
    });
  });

  it('throws badarg for a module without init, and not_in_process outside a process', async () => {
    expect((thrown(() => supervisor.startLink({} as Supervisor, 1)) as Error).message).toMatch(/^badarg: supervisor.startLink/);
    await expect(supervisor.startLink(sup, ['ok', [{}, []]])).rejects.toMatchObject({ code: 'not_in_process' });
  });
});

describe('restart strategies', () => {
  it('one_for_one restarts only the child that crashed', async () => {
    await run(async () => {
      const s = await startSup({ intensity: 5 }, [spec('a'), spec('b')]);
      await drain();
      const a = await pidOf(s, 'a');
      const b = await pidOf(s, 'b');
      send(b, ['crash', 'boom']);
      expect(await drain()).toEqual([
        ['crashing', 'b'],
        ['started', 'b'],
      ]);
      expect(await pidOf(s, 'a')).toBe(a);
      expect(await pidOf(s, 'b')).not.toBe(b);
      expect(supervisorReports()).toEqual([['child_terminated', 'boom', 'b']]);
    });
  });

  it('one_for_all stops the others in reverse order, then starts all but temporary ones', async () => {
    await run(async () => {
      const s = await startSup({ strategy: 'one_for_all', intensity: 5 }, [spec('a'), spec('b', 'trap', { restart: 'temporary' }), spec('c')]);
      await drain();
      send(await pidOf(s, 'c'), ['crash', 'boom']);
      // OTP 25 logs exactly this sequence.
      expect(await drain()).toEqual([
        ['crashing', 'c'],
        ['stopping', 'b', 'shutdown'],
        ['stopping', 'a', 'shutdown'],
        ['started', 'a'],
        ['started', 'c'],
      ]);
      expect((await supervisor.whichChildren(s)).map(([id]) => id)).toEqual(['c', 'a']);
    });
  });

  it('rest_for_one stops the children started after it, then restarts it and them in order', async () => {
    await run(async () => {
      const s = await startSup({ strategy: 'rest_for_one', intensity: 5 }, [spec('a'), spec('b'), spec('c'), spec('d')]);
      await drain();
      const a = await pidOf(s, 'a');
      send(await pidOf(s, 'b'), ['crash', 'boom']);
      expect(await drain()).toEqual([
        ['crashing', 'b'],
        ['stopping', 'd', 'shutdown'],
        ['stopping', 'c', 'shutdown'],
        ['started', 'b'],
        ['started', 'c'],
        ['started', 'd'],
      ]);
      expect(await pidOf(s, 'a')).toBe(a);
      // A permanent child is restarted even after a normal exit, and takes the rest with it.
      send(await pidOf(s, 'c'), ['crash', 'normal']);
      expect(await drain()).toEqual([
        ['crashing', 'c'],
        ['stopping', 'd', 'shutdown'],
        ['started', 'c'],
        ['started', 'd'],
      ]);
    });
  });

  it('a restart that fails is retried until it succeeds, each try counted', async () => {
    await run(async () => {
      let failures = 0;
      const flaky = (log: Pid) => (failures-- > 0 ? (['error', 'not_yet'] as const) : startWorker(log, 'f', 'trap'));
      const s = await startSup({ intensity: 5 }, [{ id: 'f', start: [flaky, [self()]] }]);
      failures = 2;
      send(await pidOf(s, 'f'), ['crash', 'boom']);
      expect(await drain()).toEqual([
        ['started', 'f'],
        ['crashing', 'f'],
        ['started', 'f'],
      ]);
      expect(supervisorReports()).toEqual([
        ['child_terminated', 'boom', 'f'],
        ['start_error', 'not_yet', 'f'],
        ['start_error', 'not_yet', 'f'],
      ]);
      expect(isProcessAlive(s)).toBe(true);
    });
  });

  it('a restart that keeps failing exhausts the intensity and the supervisor exits shutdown', async () => {
    await run(async () => {
      processFlag('trap_exit', true);
      let fail = false;
      const flaky = (log: Pid) => (fail ? (['error', 'never'] as const) : startWorker(log, 'f', 'trap'));
      const s = await startSup({ intensity: 3 }, [{ id: 'f', start: [flaky, [self()]] }]);
      fail = true;
      send(await pidOf(s, 'f'), ['crash', 'boom']);
      expect(await receive(['EXIT', s, _])).toEqual(['EXIT', s, 'shutdown']);
      expect(supervisorReports()).toEqual([
        ['child_terminated', 'boom', 'f'],
        ['start_error', 'never', 'f'],
        ['start_error', 'never', 'f'],
        ['start_error', 'never', 'f'],
        ['shutdown', 'reached_max_restart_intensity', 'f'],
      ]);
    });
  });
});

describe('restart types', () => {
  it('a transient child that exits normal or shutdown is not restarted; its spec stays', async () => {
    await run(async () => {
      const s = await startSup({ intensity: 5 }, [spec('a', 'trap', { restart: 'transient' }), spec('b', 'trap', { restart: 'transient' })]);
      await drain();
      send(await pidOf(s, 'a'), ['crash', 'normal']);
      send(await pidOf(s, 'b'), ['crash', ['shutdown', 'done']]);
      expect(await drain()).toEqual([
        ['crashing', 'a'],
        ['crashing', 'b'],
      ]);
      expect(await supervisor.whichChildren(s)).toEqual([
        ['b', undefined, 'worker', []],
        ['a', undefined, 'worker', []],
      ]);
      expect(supervisorReports()).toEqual([]);
    });
  });

  it('a transient child that crashes is restarted', async () => {
    await run(async () => {
      const s = await startSup({}, [spec('a', 'trap', { restart: 'transient' })]);
      await drain();
      send(await pidOf(s, 'a'), ['crash', 'boom']);
      expect(await drain()).toEqual([
        ['crashing', 'a'],
        ['started', 'a'],
      ]);
    });
  });

  it('a temporary child is never restarted and is forgotten; a crash is reported', async () => {
    await run(async () => {
      const s = await startSup({}, [spec('a', 'trap', { restart: 'temporary' }), spec('b', 'trap', { restart: 'temporary' })]);
      await drain();
      send(await pidOf(s, 'a'), ['crash', 'boom']);
      send(await pidOf(s, 'b'), ['crash', 'normal']);
      expect(await drain()).toEqual([
        ['crashing', 'a'],
        ['crashing', 'b'],
      ]);
      expect(await supervisor.whichChildren(s)).toEqual([]);
      expect(supervisorReports()).toEqual([['child_terminated', 'boom', 'a']]);
    });
  });

  it('a permanent child that exits normal is restarted and reported', async () => {
    await run(async () => {
      const s = await startSup({}, [spec('a')]);
      await drain();
      send(await pidOf(s, 'a'), ['crash', 'normal']);
      expect(await drain()).toEqual([
        ['crashing', 'a'],
        ['started', 'a'],
      ]);
      expect(supervisorReports()).toEqual([['child_terminated', 'normal', 'a']]);
    });
  });
});

describe('restart intensity', () => {
  it('defaults to 1 restart in 5 seconds: the second crash shuts the supervisor down', async () => {
    await run(async () => {
      processFlag('trap_exit', true);
      const s = await startSup({}, [spec('a'), spec('b')]);
      await drain();
      send(await pidOf(s, 'b'), ['crash', 'boom1']);
      expect(await drain()).toEqual([
        ['crashing', 'b'],
        ['started', 'b'],
      ]);
      send(await pidOf(s, 'b'), ['crash', 'boom2']);
      expect(await receive(['EXIT', s, _])).toEqual(['EXIT', s, 'shutdown']);
      // The crashed child is not stopped again; the others are, in reverse order.
      expect(await drain()).toEqual([
        ['crashing', 'b'],
        ['stopping', 'a', 'shutdown'],
      ]);
      expect(supervisorReports()).toEqual([
        ['child_terminated', 'boom1', 'b'],
        ['child_terminated', 'boom2', 'b'],
        ['shutdown', 'reached_max_restart_intensity', 'b'],
      ]);
    });
  });

  it('intensity 0 shuts down at the first crash', async () => {
    await run(async () => {
      processFlag('trap_exit', true);
      const s = await startSup({ intensity: 0 }, [spec('a')]);
      await drain();
      send(await pidOf(s, 'a'), ['crash', 'boom']);
      expect(await receive(['EXIT', s, _])).toEqual(['EXIT', s, 'shutdown']);
      expect(await drain()).toEqual([['crashing', 'a']]);
    });
  });

  it('counts only the restarts within the period (simulated clock)', async () => {
    const clock = useSimulatedClock();
    try {
      await run(async () => {
        processFlag('trap_exit', true);
        const s = await startSup({ intensity: 2, period: 1 }, [spec('a', 'plain')]);
        const crash = async () => {
          send(await pidOf(s, 'a'), ['crash', 'boom']);
          await settled();
        };
        await crash(); // t = 0
        await awaitPromise(clock.advance(10));
        await crash(); // t = 10
        await awaitPromise(clock.advance(995));
        await crash(); // t = 1005: the one at 0 is out of the window, two remain
        expect(isProcessAlive(s)).toBe(true);
        await awaitPromise(clock.advance(1));
        await crash(); // t = 1006: 10, 1005, 1006 within the last second
        expect(await receive(['EXIT', s, _], after(0))).toEqual(['EXIT', s, 'shutdown']);
      });
    } finally {
      clock.restore();
    }
  });
});

describe('shutdown', () => {
  it('stops children in reverse start order: brutal_kill, ms then kill, infinity (simulated clock)', async () => {
    const clock = useSimulatedClock();
    try {
      await run(async () => {
        processFlag('trap_exit', true);
        const s = await startSup({}, [
          spec('a', 'trap'),
          spec('b', 'slow'),
          spec('c', 'slow', { shutdown: 'brutal_kill' }),
          spec('d', 'plain'),
          spec('e', 'trap', { shutdown: 'infinity' }),
        ]);
        await drain();
        exit(s, 'shutdown');
        // e stops at once (infinity waits, but it obeys), d dies of the signal, c is killed, b ignores it.
        expect(await drain()).toEqual([
          ['stopping', 'e', 'shutdown'],
          ['ignoring', 'b', 'shutdown'],
        ]);
        await awaitPromise(clock.advance(99));
        expect(isProcessAlive(s)).toBe(true);
        await awaitPromise(clock.advance(1));
        expect(await drain()).toEqual([['stopping', 'a', 'shutdown']]);
        expect(await receive(['EXIT', s, _], after(0))).toEqual(['EXIT', s, 'shutdown']);
        expect(supervisorReports()).toEqual([['shutdown_error', 'killed', 'b']]);
      });
    } finally {
      clock.restore();
    }
  });

  it('a supervisor child (shutdown infinity by default) stops its own subtree first', async () => {
    await run(async () => {
      processFlag('trap_exit', true);
      const inner = {
        id: 'inner',
        type: 'supervisor' as const,
        start: [supervisor.startLink, [sup, ['ok', [{}, [spec('x'), spec('y')]]]]] as const,
      };
      const s = await startSup({}, [spec('a'), inner, spec('b')]);
      expect(await drain()).toEqual([
        ['started', 'a'],
        ['started', 'x'],
        ['started', 'y'],
        ['started', 'b'],
      ]);
      const [, full] = (await supervisor.getChildspec(s, 'inner')) as readonly ['ok', supervisor.FullChildSpec];
      expect(full.shutdown).toBe('infinity');
      expect(await supervisor.countChildren(s)).toEqual([
        ['specs', 3],
        ['active', 3],
        ['supervisors', 1],
        ['workers', 2],
      ]);
      exit(s, 'shutdown');
      expect(await drain()).toEqual([
        ['stopping', 'b', 'shutdown'],
        ['stopping', 'y', 'shutdown'],
        ['stopping', 'x', 'shutdown'],
        ['stopping', 'a', 'shutdown'],
      ]);
      expect(await receive(['EXIT', s, _])).toEqual(['EXIT', s, 'shutdown']);
    });
  });

  it('the supervisor stops its children when its parent exits', async () => {
    const pids: Pid[] = [];
    await run(async () => {
      const s = await startSup({}, [spec('a'), spec('b')]);
      await drain();
      pids.push(s, await pidOf(s, 'a'), await pidOf(s, 'b'));
    });
    await settle();
    expect(pids.map(isProcessAlive)).toEqual([false, false, false]);
  });
});

describe('simple_one_for_one', () => {
  const dynSpec = (restart: 'permanent' | 'transient' | 'temporary' = 'transient'): ChildSpec => ({
    id: 'ignored_id',
    start: [startWorker, [self()]],
    restart,
    shutdown: 100,
  });

  it('startChild appends the extra arguments; whichChildren and countChildren', async () => {
    await run(async () => {
      const s = await startSup({ strategy: 'simple_one_for_one' }, [
        { id: 'w', start: [startWorker, [self()]], restart: 'transient', shutdown: 100 },
      ]);
      const r1 = await supervisor.startChild(s, ['x1', 'trap']);
      const r2 = await supervisor.startChild(s, ['x2', 'trap']);
      expect(await drain()).toEqual([
        ['started', 'x1'],
        ['started', 'x2'],
      ]);
      const c1 = r1[1] as Pid;
      const c2 = r2[1] as Pid;
      expect(r1).toEqual(['ok', c1]);
      expect(await supervisor.whichChildren(s)).toEqual([
        [undefined, c1, 'worker', []],
        [undefined, c2, 'worker', []],
      ]);
      expect(await supervisor.countChildren(s)).toEqual([
        ['specs', 1],
        ['active', 2],
        ['supervisors', 0],
        ['workers', 2],
      ]);
    });
  });

  it('calls by id give simple_one_for_one; terminateChild takes a pid', async () => {
    await run(async () => {
      const s = await startSup({ strategy: 'simple_one_for_one' }, [dynSpec()]);
      const [, c1] = (await supervisor.startChild(s, ['x', 'trap'])) as readonly ['ok', Pid];
      await drain();
      expect(await supervisor.terminateChild(s, 'ignored_id')).toEqual(['error', 'simple_one_for_one']);
      expect(await supervisor.restartChild(s, 'ignored_id')).toEqual(['error', 'simple_one_for_one']);
      expect(await supervisor.deleteChild(s, 'ignored_id')).toEqual(['error', 'simple_one_for_one']);
      const [, byPid] = (await supervisor.getChildspec(s, c1)) as readonly ['ok', supervisor.FullChildSpec];
      expect(byPid).toMatchObject({ id: 'ignored_id', restart: 'transient' });
      expect(await supervisor.getChildspec(s, 'ignored_id')).toEqual(['ok', byPid]);
      expect(await supervisor.terminateChild(s, c1)).toBe('ok');
      expect(await drain()).toEqual([['stopping', 'x', 'shutdown']]);
      expect(await supervisor.terminateChild(s, c1)).toBe('ok');
      expect(await supervisor.whichChildren(s)).toEqual([]);
      const stranger = spawn(() => receive());
      expect(await supervisor.terminateChild(s, stranger)).toEqual(['error', 'not_found']);
      exit(stranger, 'kill');
    });
  });

  it('a transient child that exits normal is forgotten; one that crashes restarts with its arguments', async () => {
    await run(async () => {
      const s = await startSup({ strategy: 'simple_one_for_one', intensity: 5 }, [dynSpec()]);
      const [, c1] = (await supervisor.startChild(s, ['x1', 'trap'])) as readonly ['ok', Pid];
      const [, c2] = (await supervisor.startChild(s, ['x2', 'trap'])) as readonly ['ok', Pid];
      await drain();
      send(c1, ['crash', 'normal']);
      send(c2, ['crash', 'boom']);
      expect(await drain()).toEqual([
        ['crashing', 'x1'],
        ['crashing', 'x2'],
        ['started', 'x2'],
      ]);
      const children = await supervisor.whichChildren(s);
      expect(children).toHaveLength(1);
      expect(children[0]![1]).not.toBe(c2);
    });
  });

  it('stops all children at once at shutdown, killing those still there after the timeout (simulated clock)', async () => {
    const clock = useSimulatedClock();
    try {
      await run(async () => {
        processFlag('trap_exit', true);
        const s = await startSup({ strategy: 'simple_one_for_one' }, [dynSpec()]);
        await supervisor.startChild(s, ['x', 'trap']);
        await supervisor.startChild(s, ['y', 'slow']);
        await supervisor.startChild(s, ['z', 'slow']);
        await drain();
        exit(s, 'shutdown');
        expect(await drain()).toEqual([
          ['stopping', 'x', 'shutdown'],
          ['ignoring', 'y', 'shutdown'],
          ['ignoring', 'z', 'shutdown'],
        ]);
        await awaitPromise(clock.advance(99));
        expect(isProcessAlive(s)).toBe(true);
        await awaitPromise(clock.advance(1));
        expect(await receive(['EXIT', s, _], after(0))).toEqual(['EXIT', s, 'shutdown']);
        const errors = reports.flatMap((r) => (r.kind === 'supervisor' ? [[r.context, r.reason, r.offender['pids']]] : []));
        expect(errors).toEqual([['shutdown_error', 'killed', [expect.anything(), expect.anything()]]]);
      });
    } finally {
      clock.restore();
    }
  });

  it('startChild with extra arguments that are not a list fails with ["EXIT", badarg]', async () => {
    await run(async () => {
      const s = await startSup({ strategy: 'simple_one_for_one' }, [dynSpec()]);
      const r = await supervisor.startChild(s, 'x' as never);
      expect(r[0]).toBe('error');
      const [tag, error] = r[1] as [string, Error];
      expect(tag).toBe('EXIT');
      expect(error.message).toMatch(/^badarg: supervisor.startChild/);
    });
  });

  it('a temporary dynamic child is never restarted; ignore adds no child', async () => {
    await run(async () => {
      const maybe = (log: Pid, id: string) => (id === 'skip' ? 'ignore' : startWorker(log, id, 'trap'));
      const s = await startSup({ strategy: 'simple_one_for_one' }, [{ id: 't', start: [maybe, [self()]], restart: 'temporary' }]);
      expect(await supervisor.startChild(s, ['skip'])).toEqual(['ok', undefined]);
      const [, c] = (await supervisor.startChild(s, ['x'])) as readonly ['ok', Pid];
      send(c, ['crash', 'boom']);
      expect(await drain()).toEqual([
        ['started', 'x'],
        ['crashing', 'x'],
      ]);
      expect(await supervisor.whichChildren(s)).toEqual([]);
    });
  });
});

describe('startChild', () => {
  it('returns already_started for a running id and already_present for a stopped one', async () => {
    await run(async () => {
      const s = await startSup({}, [spec('a')]);
      await drain();
      const a = await pidOf(s, 'a');
      expect(await supervisor.startChild(s, spec('a'))).toEqual(['error', ['already_started', a]]);
      expect(await supervisor.terminateChild(s, 'a')).toBe('ok');
      expect(await supervisor.startChild(s, spec('a'))).toEqual(['error', 'already_present']);
    });
  });

  it('returns the spec errors', async () => {
    await run(async () => {
      const s = await startSup({}, []);
      const start = [startWorker, [self(), 'c', 'trap']] as const;
      const bad = (x: unknown) => supervisor.startChild(s, x as ChildSpec);
      expect(await bad({ id: 'c', start, restart: 'foo' })).toEqual(['error', ['invalid_restart_type', 'foo']]);
      expect(await bad({ id: 'c', start, shutdown: -1 })).toEqual(['error', ['invalid_shutdown', -1]]);
      expect(await bad({ id: 'c', start, type: 'boss' })).toEqual(['error', ['invalid_child_type', 'boss']]);
      expect(await bad({ id: 'c', start, modules: 'x' })).toEqual(['error', ['invalid_modules', 'x']]);
      expect(await bad({ id: 'c', start, modules: [1] })).toEqual(['error', ['invalid_module', 1]]);
      expect(await bad({ id: 'c' })).toEqual(['error', 'missing_start']);
      expect(await bad({ start })).toEqual(['error', 'missing_id']);
      expect(await bad({ id: 'c', start: 'f' })).toEqual(['error', ['invalid_mfa', 'f']]);
      expect(await bad({ id: 'c', start, restrat: 'temporary' })).toEqual(['error', ['invalid_child_spec', { id: 'c', start, restrat: 'temporary' }]]);
      expect(await bad({ id: 'c', start, significant: true })).toEqual([
        'error',
        ['bad_combination', [['auto_shutdown', 'never'], ['significant', true]]],
      ]);
      expect(await bad(42)).toEqual(['error', ['invalid_child_spec', 42]]);
      expect(await supervisor.whichChildren(s)).toEqual([]);
    });
  });

  it('returns [reason, spec] when the start function fails, returns junk or throws', async () => {
    await run(async () => {
      const s = await startSup({}, []);
      const failing = { id: 'c', start: () => ['error', 'nope'] as const };
      const r1 = await supervisor.startChild(s, failing);
      expect(r1).toEqual(['error', ['nope', { id: 'c', start: [failing.start, []], restart: 'permanent', shutdown: 5000, type: 'worker', modules: [], significant: false }]]);
      const junk = { id: 'f', start: () => 'hello' as never };
      expect(((await supervisor.startChild(s, junk))[1] as unknown[])[0]).toBe('hello');
      const err = new Error('kaboom');
      const throwing = {
        id: 'g',
        start: () => {
          throw err;
        },
      };
      expect(((await supervisor.startChild(s, throwing))[1] as unknown[])[0]).toEqual(['EXIT', err]);
      const exiting = { id: 'h', start: () => exit('kaboom') };
      expect(((await supervisor.startChild(s, exiting))[1] as unknown[])[0]).toEqual(['EXIT', 'kaboom']);
      expect(await supervisor.whichChildren(s)).toEqual([]);
      // Errors of startChild are the caller's to handle: no report.
      expect(supervisorReports()).toEqual([]);
    });
  });

  it('keeps the spec of a child whose start returns ignore, unless temporary', async () => {
    await run(async () => {
      const s = await startSup({}, []);
      expect(await supervisor.startChild(s, { id: 'd', start: () => 'ignore' })).toEqual(['ok', undefined]);
      expect(await supervisor.startChild(s, { id: 'e', start: () => 'ignore', restart: 'temporary' })).toEqual(['ok', undefined]);
      expect(await supervisor.whichChildren(s)).toEqual([['d', undefined, 'worker', []]]);
    });
  });

  it('passes ["ok", pid, info] through', async () => {
    await run(async () => {
      const s = await startSup({}, []);
      const r = await supervisor.startChild(s, { id: 'a', start: () => ['ok', spawnLink(() => receive()), { port: 80 }] });
      expect(r).toEqual(['ok', expect.anything(), { port: 80 }]);
      expect(await pidOf(s, 'a')).toBe(r[1]);
    });
  });
});

describe('restartChild, deleteChild, terminateChild, getChildspec', () => {
  it('each gives running / not_found / ok as OTP does', async () => {
    await run(async () => {
      const s = await startSup({}, [spec('a'), spec('b')]);
      await drain();
      expect(await supervisor.restartChild(s, 'b')).toEqual(['error', 'running']);
      expect(await supervisor.deleteChild(s, 'b')).toEqual(['error', 'running']);
      expect(await supervisor.deleteChild(s, 'zz')).toEqual(['error', 'not_found']);
      expect(await supervisor.restartChild(s, 'zz')).toEqual(['error', 'not_found']);
      expect(await supervisor.terminateChild(s, 'zz')).toEqual(['error', 'not_found']);
      expect(await supervisor.getChildspec(s, 'zz')).toEqual(['error', 'not_found']);
      expect(await supervisor.terminateChild(s, 'a')).toBe('ok');
      expect(await drain()).toEqual([['stopping', 'a', 'shutdown']]);
      expect(await supervisor.terminateChild(s, 'a')).toBe('ok');
      const restarted = await supervisor.restartChild(s, 'a');
      expect(restarted).toEqual(['ok', await pidOf(s, 'a')]);
      expect(await supervisor.terminateChild(s, 'a')).toBe('ok');
      expect(await supervisor.deleteChild(s, 'a')).toBe('ok');
      expect((await supervisor.whichChildren(s)).map(([id]) => id)).toEqual(['b']);
      expect(await drain()).toEqual([
        ['started', 'a'],
        ['stopping', 'a', 'shutdown'],
      ]);
    });
  });

  it('give restarting while a failed restart waits to be retried', async () => {
    await run(async () => {
      const me = self();
      const [ref1, ref2] = [makeRef(), makeRef()];
      let failures = 0;
      // The one failing try puts two calls in the supervisor's mailbox, ahead of its retry
      // (a call from this process could not get there first: the retry is queued at once).
      const flaky = (log: Pid) => {
        if (failures === 0) return startWorker(log, 'f', 'trap');
        failures--;
        send(self(), ['$gen_call', [me, ref1], ['restart_child', 'f']]);
        send(self(), ['$gen_call', [me, ref2], ['delete_child', 'f']]);
        return ['error', 'later'] as const;
      };
      const s = await startSup({ intensity: 10 }, [{ id: 'f', start: [flaky, [self()]] }]);
      failures = 1;
      send(await pidOf(s, 'f'), ['crash', 'boom']);
      expect(await receive([ref1, _])).toEqual([ref1, ['error', 'restarting']]);
      expect(await receive([ref2, _])).toEqual([ref2, ['error', 'restarting']]);
      await settled();
      expect(isPid(await pidOf(s, 'f'))).toBe(true);
      expect(supervisorReports()).toEqual([
        ['child_terminated', 'boom', 'f'],
        ['start_error', 'later', 'f'],
      ]);
    });
  });

  it('terminateChild forgets a temporary child; a slow one is killed after its shutdown time', async () => {
    await run(async () => {
      const s = await startSup({}, [spec('t', 'trap', { restart: 'temporary' }), spec('slow', 'slow', { shutdown: 20 })]);
      await drain();
      expect(await supervisor.terminateChild(s, 't')).toBe('ok');
      expect(await supervisor.whichChildren(s)).toEqual([['slow', await pidOf(s, 'slow'), 'worker', []]]);
      const t0 = performance.now();
      expect(await supervisor.terminateChild(s, 'slow')).toBe('ok');
      expect(performance.now() - t0).toBeGreaterThanOrEqual(18);
      expect(await drain()).toEqual([
        ['stopping', 't', 'shutdown'],
        ['ignoring', 'slow', 'shutdown'],
      ]);
      expect(supervisorReports()).toEqual([['shutdown_error', 'killed', 'slow']]);
    });
  });

  it('getChildspec gives the spec with every default filled in', async () => {
    await run(async () => {
      const start = [startWorker, [self(), 'a', 'trap']] as const;
      const s = await startSup({}, [{ id: 'a', start }]);
      expect(await supervisor.getChildspec(s, 'a')).toEqual([
        'ok',
        { id: 'a', start, restart: 'permanent', shutdown: 5000, type: 'worker', modules: [], significant: false },
      ]);
    });
  });

  it('finds tuple ids by value', async () => {
    await run(async () => {
      const s = await startSup({}, [{ ...spec('x'), id: ['worker', 1] }]);
      await drain();
      expect(await supervisor.terminateChild(s, ['worker', 1])).toBe('ok');
      expect(await supervisor.restartChild(s, ['worker', 1])).toEqual(['ok', expect.anything()]);
    });
  });
});

describe('calls to a supervisor', () => {
  it('a dead supervisor gives CallExit noproc with gen_server:call infinity', async () => {
    await run(async () => {
      processFlag('trap_exit', true);
      const s = await startSup({}, []);
      exit(s, 'kill');
      const error = await supervisor.whichChildren(s).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CallExit);
      expect((error as CallExit).reason).toEqual(['noproc', ['gen_server', 'call', [s, 'which_children', 'infinity']]]);
    });
  });

  it('throws badarg for a server that is neither a pid nor a name', async () => {
    await run(async () => {
      expect((thrown(() => supervisor.whichChildren(42 as never)) as Error).message).toMatch(/^badarg: supervisor.whichChildren/);
    });
  });

  it('checkChildspecs validates without a supervisor', () => {
    expect(supervisor.checkChildspecs([{ id: 'a', start: () => 'ignore' }])).toBe('ok');
    expect(supervisor.checkChildspecs([{ id: 'a', start: () => 'ignore' }, { id: 'b' } as ChildSpec])).toEqual(['error', 'missing_start']);
    expect(supervisor.checkChildspecs('x' as never)).toEqual(['error', ['badarg', 'x']]);
  });
});

describe('auto_shutdown', () => {
  it('any_significant: a significant transient child that exits normal shuts the supervisor down', async () => {
    await run(async () => {
      processFlag('trap_exit', true);
      const s = await startSup({ auto_shutdown: 'any_significant' }, [spec('a'), spec('sig', 'trap', { restart: 'transient', significant: true })]);
      await drain();
      send(await pidOf(s, 'sig'), ['crash', 'normal']);
      expect(await receive(['EXIT', s, _])).toEqual(['EXIT', s, 'shutdown']);
      expect(await drain()).toEqual([
        ['crashing', 'sig'],
        ['stopping', 'a', 'shutdown'],
      ]);
    });
  });

  it('all_significant waits for the last significant child', async () => {
    await run(async () => {
      processFlag('trap_exit', true);
      const sig = (id: string) => spec(id, 'trap', { restart: 'temporary', significant: true });
      const s = await startSup({ autoShutdown: 'all_significant' }, [sig('x'), sig('y')]);
      await drain();
      send(await pidOf(s, 'x'), ['crash', 'done']);
      await drain();
      expect(isProcessAlive(s)).toBe(true);
      send(await pidOf(s, 'y'), ['crash', 'done']);
      expect(await receive(['EXIT', s, _])).toEqual(['EXIT', s, 'shutdown']);
    });
  });

  it('a significant permanent child is refused', async () => {
    await run(async () => {
      processFlag('trap_exit', true);
      const r = await supervisor.startLink(sup, ['ok', [{ auto_shutdown: 'any_significant' }, [spec('a', 'trap', { significant: true })]]]);
      expect(r).toEqual(['error', ['start_spec', ['bad_combination', [['restart', 'permanent'], ['significant', true]]]]]);
    });
  });
});

describe('with genServer children', () => {
  it('restarts a gen_server child that crashes in a callback', async () => {
    await run(async () => {
      const counter: GenServer<number> = {
        init: () => ['ok', 0],
        handleCall: (req, _from, n) => (req === 'crash' ? exit('boom') : ['reply', n + 1, n + 1]),
      };
      const s = await startSup({}, [{ id: 'counter', start: [genServer.startLink, [['local', 'counter'], counter, null]] }]);
      expect(await genServer.call('counter', 'incr')).toBe(1);
      expect(await genServer.call('counter', 'incr')).toBe(2);
      const error = await genServer.call('counter', 'crash').catch((e: unknown) => e);
      expect((error as CallExit).why).toBe('boom');
      await settled();
      expect(await genServer.call('counter', 'incr')).toBe(1);
      expect(supervisorReports()).toEqual([['child_terminated', 'boom', 'counter']]);
      expect(whereis('counter')).toBe(await pidOf(s, 'counter'));
    });
  });
});

describe('the example of docs/behaviours.md', () => {
  // The code of "A ported example, side by side", as it stands there.
  type Store = ReadonlyMap<string, unknown>;
  type Request = readonly ['put', string, unknown] | readonly ['get', string];

  const kv: GenServer<Store, [], Request, readonly ['delete', string]> = {
    init: () => ['ok', new Map()],
    handleCall(request, _from, store) {
      switch (request[0]) {
        case 'put':
          return ['reply', 'ok', new Map(store).set(request[1], request[2])];
        case 'get':
          return ['reply', store.has(request[1]) ? ['ok', store.get(request[1])] : 'error', store];
      }
    },
    handleCast([, key], store) {
      const next = new Map(store);
      next.delete(key);
      return ['noreply', next];
    },
  };
  const startLink = () => genServer.startLink(['local', 'kv'], kv, []);
  const put = (key: string, value: unknown) => genServer.call('kv', ['put', key, value]);
  const get = (key: string) => genServer.call('kv', ['get', key]);

  const kvSup: Supervisor<[]> = {
    init: () => ['ok', [{ strategy: 'one_for_one', intensity: 3, period: 10 }, [{ id: 'kv', start: [startLink, []] }]]],
  };
  const startSup = () => supervisor.startLink(['local', 'kv_sup'], kvSup, []);

  it('runs: the store works, and comes back empty after a crash', async () => {
    await run(async () => {
      const [tag, sup1] = (await startSup()) as readonly ['ok', Pid];
      expect(tag).toBe('ok');
      expect(whereis('kv_sup')).toBe(sup1);
      expect(await put('lang', 'erlang')).toBe('ok');
      expect(await get('lang')).toEqual(['ok', 'erlang']);
      genServer.cast('kv', ['delete', 'lang']);
      expect(await get('lang')).toBe('error');
      await put('lang', 'erlang');
      exit(whereis('kv')!, 'crash');
      await settled();
      expect(await get('lang')).toBe('error');
      expect(supervisorReports()).toEqual([['child_terminated', 'crash', 'kv']]);
    });
  });
});
