/**
 * gen_server (behaviours/gen-server.ts and the shared gen.ts): start,
 * call/cast/info, timeouts, noproc, deferred replies, stop and terminate.
 * The exit reasons are the ones OTP 25 gives (checked with erl).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CallExit,
  ProcessExit,
  _,
  after,
  awaitPromise,
  exit,
  genServer,
  isProcessAlive,
  monitor,
  processFlag,
  processInfo,
  receive,
  run,
  self,
  send,
  setLogger,
  sleep,
  spawn,
  spawnMonitor,
  whereis,
  type From,
  type GenServer,
  type LogReport,
  type Logger,
  type Pid,
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

const settled = () => awaitPromise(settle());

/** What a test server's callbacks report to the test process. */
let observer: Pid | undefined;
const note = (m: unknown) => {
  if (observer !== undefined) send(observer, ['note', m]);
};

interface S {
  n: number;
  held: From[];
}

/** A server with one clause per test need, like gs.erl in the OTP check. */
const srv: GenServer<S, unknown> = {
  init(arg: unknown) {
    if (arg === 'ignore') return 'ignore';
    if (Array.isArray(arg) && arg[0] === 'stop') return ['stop', arg[1]];
    if (arg === 'crash') throw new Error('init crashed');
    if (arg === 'badret') return 'foo' as never;
    if (Array.isArray(arg) && arg[0] === 'ok') return arg as never;
    if (arg === 'trap') processFlag('trap_exit', true);
    return ['ok', { n: 0, held: [] }];
  },
  async handleCall(request: unknown, from, s) {
    if (request === 'ping') return ['reply', 'pong', s];
    if (request === 'incr') return ['reply', s.n + 1, { ...s, n: s.n + 1 }];
    if (request === 'hang') return ['noreply', s];
    if (request === 'hold') return ['noreply', { ...s, held: [...s.held, from] }];
    if (request === 'crash') throw new Error('call crashed');
    if (request === 'exit') return exit(['exited', s.n]);
    if (request === 'badret') return 'what' as never;
    if (request === 'stop_reply') return ['stop', 'stopped', 'ok_reply', s];
    if (request === 'stop_noreply') return ['stop', 'stopped2', s];
    if (request === 'slow') {
      await sleep(20);
      return ['reply', 'slept', s];
    }
    if (Array.isArray(request) && request[0] === 'then') return ['reply', 'later', s, request[1]];
    return ['reply', ['echo', request], s];
  },
  handleCast(message: unknown, s) {
    if (message === 'release') {
      for (const from of s.held) genServer.reply(from, ['released', s.n]);
      return ['noreply', { ...s, held: [] }];
    }
    if (message === 'stop') return ['stop', 'cast_stop', s];
    note(['cast', message]);
    return ['noreply', { ...s, n: s.n + 1 }];
  },
  handleInfo(message: unknown, s) {
    note(['info', message]);
    if (Array.isArray(message) && message[0] === 'then') return ['noreply', s, message[1]];
    return ['noreply', s];
  },
  handleContinue(c: unknown, s) {
    note(['continue', c]);
    if (Array.isArray(c) && c[0] === 'again') return ['noreply', s, ['continue', c[1]]];
    return ['noreply', s];
  },
  async terminate(reason, s) {
    note(['terminate', reason, s.n]);
    if (reason === 'hang_in_terminate') await sleep('infinity');
    if (reason === 'crash_in_terminate') throw new Error('terminate crashed');
  },
};

beforeEach(() => {
  observer = undefined;
});

/** Inside a run: the notes the server sent, in order, once all is quiet. */
async function notes(): Promise<unknown[]> {
  await settled();
  const out: unknown[] = [];
  for (let i = 0; i < 100; i++) {
    const m = await receive(['note', _], after(0));
    if (m === undefined) return out;
    out.push(m[1]);
  }
  throw new Error('too many notes');
}

async function started(arg: unknown = null): Promise<Pid> {
  observer = self();
  const r = await genServer.start(srv, arg);
  if (r === 'ignore' || r[0] !== 'ok') throw new Error(`not started: ${String(r)}`);
  return r[1];
}

/** The rejection of a promise that must reject. */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('start and startLink', () => {
  it('start runs init and resolves with ["ok", pid], not linked', async () => {
    await run(async () => {
      const pid = await started();
      expect(isProcessAlive(pid)).toBe(true);
      expect(processInfo(pid)?.links).toEqual([]);
      expect(await genServer.call(pid, 'ping')).toBe('pong');
    });
  });

  it('startLink links the server to the caller', async () => {
    await run(async () => {
      const r = await genServer.startLink(srv, null);
      expect(r[0]).toBe('ok');
      expect(processInfo(r[1] as Pid)?.links).toEqual([self()]);
    });
  });

  it('registers ["local", name]; a taken name gives already_started; calls by name', async () => {
    await run(async () => {
      const r = await genServer.start(['local', 'kv'], srv, null);
      const pid = whereis('kv');
      expect(r).toEqual(['ok', pid]);
      expect(await genServer.start(['local', 'kv'], srv, null)).toEqual(['error', ['already_started', pid]]);
      expect(await genServer.call('kv', 'incr')).toBe(1);
    });
  });

  it('init returning ignore gives ignore; a linked trapping caller gets EXIT normal', async () => {
    await run(async () => {
      processFlag('trap_exit', true);
      expect(await genServer.startLink(srv, 'ignore')).toBe('ignore');
      expect(await receive(['EXIT', _, _], after(0))).toEqual(['EXIT', expect.anything(), 'normal']);
    });
  });

  it('init returning ["stop", r] gives ["error", r]; the server exits with r', async () => {
    await run(async () => {
      processFlag('trap_exit', true);
      expect(await genServer.start(srv, ['stop', 'bad'])).toEqual(['error', 'bad']);
      expect(await genServer.startLink(srv, ['stop', 'bad'])).toEqual(['error', 'bad']);
      // As in OTP 25, the EXIT stays in a trapping caller's mailbox.
      expect(await receive(['EXIT', _, _], after(0))).toEqual(['EXIT', expect.anything(), 'bad']);
    });
  });

  it('a caller that does not trap exits dies with the reason of a failed startLink', async () => {
    await run(async () => {
      const [caller, ref] = spawnMonitor(async () => {
        await genServer.startLink(srv, ['stop', 'bad']);
        await sleep('infinity');
      });
      expect(await receive(['DOWN', ref, 'process', caller, _])).toEqual(['DOWN', ref, 'process', caller, 'bad']);
    });
  });

  it('init that throws gives ["error", error]; a bad result gives bad_return_value', async () => {
    await run(async () => {
      const r = await genServer.start(srv, 'crash');
      expect(r[0]).toBe('error');
      expect(((r as readonly [string, Error])[1]).message).toBe('init crashed');
      expect(await genServer.start(srv, 'badret')).toEqual(['error', ['bad_return_value', 'foo']]);
    });
  });

  it('the timeout option kills a slow init and gives ["error", "timeout"], leaving no EXIT', async () => {
    await run(async () => {
      processFlag('trap_exit', true);
      const slow: GenServer<null> = {
        async init() {
          await sleep(1000);
          return ['ok', null];
        },
      };
      expect(await genServer.startLink(slow, null, [['timeout', 20]])).toEqual(['error', 'timeout']);
      expect(await genServer.start(slow, null, { timeout: 20 })).toEqual(['error', 'timeout']);
      expect(await receive(_, after(0))).toBeUndefined();
    });
  });

  it('init may ask for a continuation or a timeout', async () => {
    await run(async () => {
      await started(['ok', { n: 0, held: [] }, ['continue', ['again', 'second']]]);
      expect(await notes()).toEqual([
        ['continue', ['again', 'second']],
        ['continue', 'second'],
      ]);
    });
  });

  it('throws badarg for a bad module, name or option', async () => {
    await run(async () => {
      const message = (fn: () => unknown) => (thrown(fn) as Error).message;
      expect(message(() => genServer.start({} as GenServer<null>, null))).toMatch(/^badarg: genServer.start: the callback module has no init/);
      expect(message(() => genServer.start(['global', 'x'] as never, srv, null))).toMatch(/^badarg: genServer.start: a server name/);
      expect(message(() => genServer.start(srv, null, { debug: [] } as never))).toMatch(/unsupported start option 'debug'/);
      expect(message(() => genServer.start(srv, null, [['spawn_opt', []]] as never))).toMatch(/unsupported start option/);
      expect(message(() => genServer.start(srv, null, { timeout: -1 }))).toMatch(/timeout must be/);
    });
  });

  it('start outside a process rejects with not_in_process', async () => {
    await expect(genServer.start(srv, null)).rejects.toMatchObject({ code: 'not_in_process' });
  });
});

describe('call', () => {
  it('returns the reply; the state carries over', async () => {
    await run(async () => {
      const pid = await started();
      expect(await genServer.call(pid, 'incr')).toBe(1);
      expect(await genServer.call<number>(pid, 'incr')).toBe(2);
      expect(await genServer.call(pid, 'slow')).toBe('slept');
      expect(await genServer.call(pid, { any: 'term' })).toEqual(['echo', { any: 'term' }]);
    });
  });

  it('to a dead pid throws CallExit noproc with OTP`s MFA (2 or 3 arguments)', async () => {
    await run(async () => {
      const pid = await started();
      await genServer.stop(pid);
      const e2 = await rejection(genServer.call(pid, 'hello'));
      expect(e2).toBeInstanceOf(CallExit);
      expect(e2).toBeInstanceOf(ProcessExit);
      expect((e2 as CallExit).reason).toEqual(['noproc', ['gen_server', 'call', [pid, 'hello']]]);
      expect((e2 as CallExit).why).toBe('noproc');
      const e3 = await rejection(genServer.call(pid, 'hello', 100));
      expect((e3 as CallExit).reason).toEqual(['noproc', ['gen_server', 'call', [pid, 'hello', 100]]]);
    });
  });

  it('to a name nobody holds throws noproc; to itself calling_self', async () => {
    await run(async () => {
      expect(((await rejection(genServer.call('nobody', 'hello'))) as CallExit).reason).toEqual([
        'noproc',
        ['gen_server', 'call', ['nobody', 'hello']],
      ]);
      expect(((await rejection(genServer.call(self(), 'hello'))) as CallExit).reason).toEqual([
        'calling_self',
        ['gen_server', 'call', [self(), 'hello']],
      ]);
    });
  });

  it('times out with ["timeout", …]; a reply after the timeout never arrives', async () => {
    await run(async () => {
      const pid = await started();
      const t0 = performance.now();
      const e = await rejection(genServer.call(pid, 'hold', 30));
      expect(performance.now() - t0).toBeGreaterThanOrEqual(28);
      expect((e as CallExit).reason).toEqual(['timeout', ['gen_server', 'call', [pid, 'hold', 30]]]);
      genServer.cast(pid, 'release');
      await settled();
      expect(processInfo(self())?.messages).toEqual([]);
      expect(await genServer.call(pid, 'ping')).toBe('pong');
    });
  });

  it('times out on the simulated clock, exactly', async () => {
    const clock = useSimulatedClock();
    try {
      await run(async () => {
        const pid = await started();
        const caller = spawn(async (parent: Pid) => {
          const e = await rejection(genServer.call(pid, 'hang', 1000));
          send(parent, ['caller', (e as CallExit).why]);
        }, self());
        await settled();
        await awaitPromise(clock.advance(999));
        expect(isProcessAlive(caller)).toBe(true);
        await awaitPromise(clock.advance(1));
        expect(await receive(['caller', _], after(0))).toEqual(['caller', 'timeout']);
      });
    } finally {
      clock.restore();
    }
  });

  it('a server that crashes in handleCall: the caller gets the error, terminate runs first', async () => {
    await run(async () => {
      const pid = await started();
      const ref = monitor(pid);
      const e = (await rejection(genServer.call(pid, 'crash'))) as CallExit;
      expect(e.why).toBeInstanceOf(Error);
      expect((e.why as Error).message).toBe('call crashed');
      expect(e.reason).toEqual([e.why, ['gen_server', 'call', [pid, 'crash']]]);
      expect(await notes()).toEqual([['terminate', e.why, 0]]);
      expect(await receive(['DOWN', ref, _, _, _])).toEqual(['DOWN', ref, 'process', pid, e.why]);
    });
  });

  it('exit(reason) in a callback ends the server with that reason, after terminate', async () => {
    await run(async () => {
      const pid = await started();
      await genServer.call(pid, 'incr');
      const e = (await rejection(genServer.call(pid, 'exit'))) as CallExit;
      expect(e.why).toEqual(['exited', 1]);
      expect(await notes()).toEqual([['terminate', ['exited', 1], 1]]);
    });
  });

  it('a bad return value stops the server with ["bad_return_value", value]', async () => {
    await run(async () => {
      const pid = await started();
      const e = (await rejection(genServer.call(pid, 'badret'))) as CallExit;
      expect(e.reason).toEqual([['bad_return_value', 'what'], ['gen_server', 'call', [pid, 'badret']]]);
      expect(await notes()).toEqual([['terminate', ['bad_return_value', 'what'], 0]]);
    });
  });

  it('["stop", reason, reply, state] replies after terminate; ["stop", reason, state] does not reply', async () => {
    await run(async () => {
      const p1 = await started();
      expect(await genServer.call(p1, 'stop_reply')).toBe('ok_reply');
      expect(await notes()).toEqual([['terminate', 'stopped', 0]]);
      expect(isProcessAlive(p1)).toBe(false);
      const p2 = await started();
      expect(((await rejection(genServer.call(p2, 'stop_noreply'))) as CallExit).reason).toEqual([
        'stopped2',
        ['gen_server', 'call', [p2, 'stop_noreply']],
      ]);
    });
  });

  it('uncaught, a failed call exits the caller with OTP`s reason', async () => {
    await run(async () => {
      const [caller, ref] = spawnMonitor(() => genServer.call('nobody', 'x'));
      expect(await receive(['DOWN', ref, 'process', caller, _])).toEqual([
        'DOWN',
        ref,
        'process',
        caller,
        ['noproc', ['gen_server', 'call', ['nobody', 'x']]],
      ]);
      // Someone heard of it (the monitor): no crash report.
      expect(reports).toEqual([]);
    });
  });

  it('a server killed during the call gives why killed', async () => {
    await run(async () => {
      const pid = await started();
      spawn(async () => {
        await sleep(5);
        exit(pid, 'kill');
      });
      expect(((await rejection(genServer.call(pid, 'hang'))) as CallExit).why).toBe('killed');
    });
  });

  it('throws badarg for a bad server or timeout', async () => {
    await run(async () => {
      expect((thrown(() => genServer.call(42 as never, 'x')) as Error).message).toMatch(/^badarg: genServer.call: server/);
      expect((thrown(() => genServer.call(self(), 'x', -5)) as Error).message).toMatch(/^badarg: genServer.call: timeout/);
      expect((thrown(() => genServer.call(self(), 'x', 1.5)) as Error).message).toMatch(/^badarg: genServer.call: timeout/);
    });
  });
});

describe('cast and info', () => {
  it('cast goes to handleCast and returns ok, also for a dead pid or an unknown name', async () => {
    await run(async () => {
      const pid = await started();
      expect(genServer.cast(pid, 'hello')).toBe('ok');
      expect(await notes()).toEqual([['cast', 'hello']]);
      await genServer.stop(pid);
      await notes();
      expect(genServer.cast(pid, 'x')).toBe('ok');
      expect(genServer.cast('nobody', 'x')).toBe('ok');
    });
  });

  it('any other message goes to handleInfo; without handleInfo it is dropped', async () => {
    await run(async () => {
      const pid = await started();
      send(pid, 'hello');
      send(pid, ['$gen_cast']); // not a cast: wrong size
      expect(await notes()).toEqual([
        ['info', 'hello'],
        ['info', ['$gen_cast']],
      ]);
      const bare = await genServer.start({ init: () => ['ok', 0], handleCall: (_r, _f, s) => ['reply', s, s] } as GenServer<number>, null);
      const b = bare[1] as Pid;
      send(b, 'ignored');
      expect(await genServer.call(b, 'x')).toBe(0);
    });
  });

  it('a timeout after the state gives handleInfo("timeout") when no message comes (simulated clock)', async () => {
    const clock = useSimulatedClock();
    try {
      await run(async () => {
        const pid = await started();
        send(pid, ['then', 100]);
        await settled();
        await notes();
        await awaitPromise(clock.advance(99));
        expect(await notes()).toEqual([]);
        await awaitPromise(clock.advance(1));
        expect(await notes()).toEqual([['info', 'timeout']]);
        // A message before the time cancels it.
        send(pid, ['then', 100]);
        await awaitPromise(clock.advance(50));
        genServer.cast(pid, 'c');
        await awaitPromise(clock.advance(100));
        expect(await notes()).toEqual([
          ['info', ['then', 100]],
          ['cast', 'c'],
        ]);
      });
    } finally {
      clock.restore();
    }
  });

  it('a call can set a timeout or a continuation after its reply', async () => {
    await run(async () => {
      const pid = await started();
      expect(await genServer.call(pid, ['then', ['continue', 'after_call']])).toBe('later');
      expect(await notes()).toEqual([['continue', 'after_call']]);
      expect(await genServer.call(pid, ['then', 10])).toBe('later');
      await sleep(20);
      expect(await notes()).toEqual([['info', 'timeout']]);
    });
  });

  it('a request whose callback is missing crashes the server', async () => {
    await run(async () => {
      const r = await genServer.start({ init: () => ['ok', 0] } as GenServer<number>, null);
      const pid = r[1] as Pid;
      const ref = monitor(pid);
      genServer.cast(pid, 'x');
      const [, , , , reason] = await receive(['DOWN', ref, 'process', pid, _]);
      expect((reason as Error).message).toBe('genServer: the callback module has no handleCast function');
    });
  });
});

describe('reply', () => {
  it('answers a call the server did not answer at once', async () => {
    await run(async () => {
      const pid = await started();
      const a = spawn(async (parent: Pid) => send(parent, ['a', await genServer.call(pid, 'hold')]), self());
      const b = spawn(async (parent: Pid) => send(parent, ['b', await genServer.call(pid, 'hold')]), self());
      await settled();
      expect(isProcessAlive(a) && isProcessAlive(b)).toBe(true);
      genServer.cast(pid, 'release');
      expect(await receive(['a', _])).toEqual(['a', ['released', 0]]);
      expect(await receive(['b', _])).toEqual(['b', ['released', 0]]);
    });
  });

  it('works from another process and returns ok; a bad From is badarg', async () => {
    await run(async () => {
      const helper: GenServer<null> = {
        init: () => ['ok', null],
        handleCall(request, from, s) {
          spawn(() => genServer.reply(from, ['from_helper', request]));
          return ['noreply', s];
        },
      };
      const [, pid] = (await genServer.start(helper, null)) as readonly ['ok', Pid];
      expect(await genServer.call(pid, 1)).toEqual(['from_helper', 1]);
      expect((thrown(() => genServer.reply(['x', 'y'] as never, 1)) as Error).message).toMatch(/^badarg: genServer.reply/);
    });
  });
});

describe('stop and terminate', () => {
  it('stop runs terminate with normal and returns ok; another reason too', async () => {
    await run(async () => {
      const p1 = await started();
      expect(await genServer.stop(p1)).toBe('ok');
      expect(isProcessAlive(p1)).toBe(false);
      const p2 = await started();
      expect(await genServer.stop(p2, ['shutdown', 'x'], 'infinity')).toBe('ok');
      expect(await notes()).toEqual([
        ['terminate', 'normal', 0],
        ['terminate', ['shutdown', 'x'], 0],
      ]);
    });
  });

  it('stop of a dead pid or an unknown name exits noproc (no MFA)', async () => {
    await run(async () => {
      const pid = await started();
      await genServer.stop(pid);
      expect(((await rejection(genServer.stop(pid))) as ProcessExit).reason).toBe('noproc');
      expect(((await rejection(genServer.stop('nobody'))) as ProcessExit).reason).toBe('noproc');
    });
  });

  it('stop times out with exit timeout and leaves the server running, as OTP 25', async () => {
    await run(async () => {
      const pid = await started();
      expect(((await rejection(genServer.stop(pid, 'hang_in_terminate', 20))) as ProcessExit).reason).toBe('timeout');
      expect(isProcessAlive(pid)).toBe(true);
      expect(processInfo(self())?.messages).toEqual([['note', ['terminate', 'hang_in_terminate', 0]]]);
    });
  });

  it('terminate that crashes replaces the exit reason, and stop exits with it', async () => {
    await run(async () => {
      const pid = await started();
      const e = (await rejection(genServer.stop(pid, 'crash_in_terminate'))) as ProcessExit;
      expect((e.reason as Error).message).toBe('terminate crashed');
    });
  });

  it('a server that traps exits runs terminate when its parent exits', async () => {
    await run(async () => {
      observer = self();
      const parent = spawn(async (me: Pid) => {
        const r = await genServer.startLink(srv, 'trap');
        send(me, ['server', r[1]]);
        await receive('die');
        exit('parent_gone');
      }, self());
      const [, server] = (await receive(['server', _])) as readonly ['server', Pid];
      const ref = monitor(server);
      send(parent, 'die');
      expect(await receive(['DOWN', ref, _, _, _])).toEqual(['DOWN', ref, 'process', server, 'parent_gone']);
      expect(await notes()).toEqual([['terminate', 'parent_gone', 0]]);
    });
  });

  it('an EXIT from another process goes to handleInfo; without trapping the server just dies', async () => {
    await run(async () => {
      const trapping = await started('trap');
      exit(trapping, 'from_other');
      expect(await notes()).toEqual([['info', ['EXIT', self(), 'from_other']]]);
      expect(isProcessAlive(trapping)).toBe(true);
      const plain = await started();
      const ref = monitor(plain);
      exit(plain, 'from_other');
      expect(await receive(['DOWN', ref, _, _, _])).toEqual(['DOWN', ref, 'process', plain, 'from_other']);
      expect(await notes()).toEqual([]);
    });
  });

  it('a cast returning stop runs terminate; a killed server never runs it', async () => {
    await run(async () => {
      const p1 = await started();
      genServer.cast(p1, 'stop');
      expect(await notes()).toEqual([['terminate', 'cast_stop', 0]]);
      const p2 = await started('trap');
      exit(p2, 'kill');
      expect(await notes()).toEqual([]);
    });
  });
});

describe('a ported server', () => {
  /**
   * The kv server of the porting guide as a gen_server:
   *   init([]) -> {ok, #{}}.
   *   handle_call({put, K, V}, _From, S) -> {reply, ok, S#{K => V}};
   *   handle_call({get, K}, _From, S) -> {reply, maps:find(K, S), S}.
   *   handle_cast({delete, K}, S) -> {noreply, maps:remove(K, S)}.
   */
  type Req = readonly ['put', string, unknown] | readonly ['get', string];
  const kv: GenServer<Map<string, unknown>, [], Req, readonly ['delete', string]> = {
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

  it('keeps its shape and works', async () => {
    await run(async () => {
      const r = await genServer.startLink(['local', 'kv_store'], kv, []);
      expect(r[0]).toBe('ok');
      expect(await genServer.call('kv_store', ['put', 'lang', 'erlang'])).toBe('ok');
      expect(await genServer.call('kv_store', ['get', 'lang'])).toEqual(['ok', 'erlang']);
      genServer.cast('kv_store', ['delete', 'lang']);
      expect(await genServer.call('kv_store', ['get', 'lang'])).toBe('error');
      expect(await genServer.stop('kv_store')).toBe('ok');
      expect(whereis('kv_store')).toBeUndefined();
    });
  });
});
