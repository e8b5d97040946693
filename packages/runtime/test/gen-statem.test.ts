/**
 * gen_statem (behaviours/gen-statem.ts): both callback modes, enter calls,
 * postpone, inserted events, event/state/generic timeouts, replies, stop and
 * the error reasons. The event sequences are the ones OTP 25 logs for the
 * same machine (sm.erl in the OTP check: handle_event_function + state_enter,
 * each event's content says what to do).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CallExit,
  ProcessExit,
  _,
  after,
  awaitPromise,
  exit,
  genStatem,
  isProcessAlive,
  monitor,
  processFlag,
  receive,
  run,
  self,
  send,
  setLogger,
  sleep,
  spawn,
  type From,
  type GenStatem,
  type LogReport,
  type Logger,
  type Pid,
} from '../src/index.ts';
import { thrown } from './helpers.ts';
import { killAll, settle, useSimulatedClock } from '../src/testing/index.ts';

let reports: LogReport[] = [];
let previousLogger: Logger;
let observer: Pid | undefined;

beforeEach(() => {
  reports = [];
  observer = undefined;
  previousLogger = setLogger((r) => reports.push(r));
});

afterEach(async () => {
  await killAll();
  setLogger(previousLogger);
});

const settled = () => awaitPromise(settle());
const log = (m: unknown) => {
  if (observer !== undefined) send(observer, ['log', m]);
};

/** Inside a run: what the machine logged, in order, once all is quiet. */
async function logged(): Promise<unknown[]> {
  await settled();
  const out: unknown[] = [];
  for (let i = 0; i < 200; i++) {
    const m = await receive(['log', _], after(0));
    if (m === undefined) return out;
    out.push(m[1]);
  }
  throw new Error('too many log lines');
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

type Mode = 'plain' | 'enter_change' | 'enter_postpone' | 'enter_state_timeout' | 'enter_repeat';

/** sm.erl: the event content says what to do. */
const sm: GenStatem<unknown, unknown[], unknown> = {
  callbackMode: ['handle_event_function', 'state_enter'],
  init(arg: unknown) {
    if (arg === 'ignore') return 'ignore';
    if (arg === 'badret') return 'whatever' as never;
    if (Array.isArray(arg) && arg[0] === 'stop') return ['stop', arg[1]];
    if (Array.isArray(arg) && arg[0] === 'actions') {
      mode = 'plain';
      return ['ok', 's0', [], arg[1]];
    }
    mode = arg as Mode;
    return ['ok', 's0', []];
  },
  handleEvent(type, content, state, data) {
    if (type === 'enter') {
      log(['enter', content, state]);
      if (mode === 'enter_change' && state === 's1') return ['next_state', 's2', data];
      if (mode === 'enter_postpone' && state === 's1') return ['keep_state_and_data', 'postpone'];
      if (mode === 'enter_state_timeout') return ['keep_state_and_data', [['state_timeout', 0, 'st0']]];
      if (mode === 'enter_repeat' && state === 's1' && data.length < 2) return ['repeat_state', ['x', ...data]];
      return 'keep_state_and_data';
    }
    log(['event', type, content, state]);
    const c = content as readonly unknown[] | string;
    if (Array.isArray(c)) {
      switch (c[0]) {
        case 'goto':
          return c.length === 2 ? ['next_state', c[1], data] : ['next_state', c[1], data, c[2]];
        case 'keep':
          return ['keep_state_and_data', c[1]];
        case 'stop':
          return ['stop', c[1]];
        case 'stop_data':
          return ['stop', c[1], [c[2]]];
        case 'badaction':
          return ['keep_state_and_data', [c[1]]];
        case 'reply_stop':
          return ['stop_and_reply', c[1], ['reply', (type as readonly ['call', From])[1], 'bye']];
        case 'call_reply':
          return ['keep_state_and_data', ['reply', (type as readonly ['call', From])[1], c[1]]];
        case 'crash':
          throw new Error(String(c[1]));
      }
    }
    switch (c) {
      case 'postpone_me':
        return ['keep_state_and_data', 'postpone'];
      case 'stop':
        return 'stop';
      case 'badret':
        return ['foo'] as never;
      case 'repeat':
        return ['repeat_state_and_data', []];
    }
    return 'keep_state_and_data';
  },
  terminate(reason, state) {
    log(['terminate', reason, state]);
  },
};
let mode: Mode = 'plain';

async function startSm(arg: unknown = 'plain'): Promise<Pid> {
  observer = self();
  const r = await genStatem.start(sm, arg);
  if (r === 'ignore' || r[0] !== 'ok') throw new Error(`not started: ${String(r)}`);
  await logged();
  return r[1];
}

describe('start', () => {
  it('calls init, then the initial state`s enter call with itself as the old state', async () => {
    await run(async () => {
      observer = self();
      const r = await genStatem.start(sm, 'plain');
      expect(r).toEqual(['ok', expect.anything()]);
      expect(await logged()).toEqual([['enter', 's0', 's0']]);
    });
  });

  it('init actions: inserted events after the enter call, timeouts started', async () => {
    await run(async () => {
      observer = self();
      await genStatem.start(sm, ['actions', [['next_event', 'internal', 'boot'], ['state_timeout', 10, 'st']]]);
      await sleep(20);
      expect(await logged()).toEqual([
        ['enter', 's0', 's0'],
        ['event', 'internal', 'boot', 's0'],
        ['event', 'state_timeout', 'st', 's0'],
      ]);
    });
  });

  it('init results: ignore, stop, a bad result, a crash', async () => {
    await run(async () => {
      expect(await genStatem.start(sm, 'ignore')).toBe('ignore');
      expect(await genStatem.start(sm, ['stop', 'no'])).toEqual(['error', 'no']);
      expect(await genStatem.start(sm, 'badret')).toEqual(['error', ['bad_return_from_init', 'whatever']]);
      const crashing: GenStatem<string, null> = {
        callbackMode: 'state_functions',
        init() {
          throw new Error('init crashed');
        },
      };
      const r = await genStatem.start(crashing, null);
      expect(((r as readonly [string, Error])[1]).message).toBe('init crashed');
    });
  });

  it('a callbackMode function returning junk ends the machine with bad_return_from_callback_mode', async () => {
    await run(async () => {
      const odd: GenStatem<string, null> = { callbackMode: () => 'weird' as never, init: () => ['ok', 'a', null] };
      processFlag('trap_exit', true);
      const r = await genStatem.startLink(odd, null);
      // It acks first (as OTP, which reads the mode after init), then exits.
      expect(r).toEqual(['ok', expect.anything()]);
      expect(await receive(['EXIT', r[1], _])).toEqual(['EXIT', r[1], ['bad_return_from_callback_mode', 'weird']]);
    });
  });

  it('throws badarg for a bad callbackMode or a module without init', async () => {
    await run(async () => {
      const message = (fn: () => unknown) => (thrown(fn) as Error).message;
      expect(message(() => genStatem.start({ callbackMode: 'x', init: () => 'ignore' } as never, null))).toMatch(/^badarg: genStatem.start: callbackMode/);
      expect(message(() => genStatem.start({ callbackMode: 'state_functions' } as never, null))).toMatch(/no init function/);
    });
  });
});

describe('calls, casts and info', () => {
  it('a reply action answers a call; the event type is ["call", from]', async () => {
    await run(async () => {
      const pid = await startSm();
      expect(await genStatem.call(pid, ['call_reply', 42])).toBe(42);
      const lines = await logged();
      expect(lines).toEqual([['event', ['call', [self(), expect.anything()]], ['call_reply', 42], 's0']]);
      genStatem.cast(pid, 'hello');
      send(pid, 'raw');
      expect(await logged()).toEqual([
        ['event', 'cast', 'hello', 's0'],
        ['event', 'info', 'raw', 's0'],
      ]);
    });
  });

  it('call failures: timeout and noproc, with gen_statem`s MFA (timeout infinity by default)', async () => {
    await run(async () => {
      const pid = await startSm();
      expect(((await rejection(genStatem.call(pid, 'hang', 30))) as CallExit).reason).toEqual([
        'timeout',
        ['gen_statem', 'call', [pid, 'hang', 30]],
      ]);
      await genStatem.stop(pid);
      expect(((await rejection(genStatem.call(pid, 'x'))) as CallExit).reason).toEqual([
        'noproc',
        ['gen_statem', 'call', [pid, 'x', 'infinity']],
      ]);
      expect(((await rejection(genStatem.stop(pid))) as ProcessExit).reason).toBe('noproc');
    });
  });

  it('genStatem.reply answers later, with (from, value) or reply actions', async () => {
    await run(async () => {
      const held: From[] = [];
      const holder: GenStatem<string, null> = {
        callbackMode: 'state_functions',
        init: () => ['ok', 'idle', null],
        states: {
          idle(type, content) {
            if (Array.isArray(type) && type[0] === 'call') {
              held.push(type[1] as From);
              return 'keep_state_and_data';
            }
            if (content === 'answer') {
              genStatem.reply(held[0]!, 'one');
              genStatem.reply(['reply', held[1]!, 'two']);
              genStatem.reply([['reply', held[2]!, 'three']]);
            }
            return 'keep_state_and_data';
          },
        },
      };
      const [, pid] = (await genStatem.start(holder, null)) as readonly ['ok', Pid];
      const me = self();
      for (const tag of ['a', 'b', 'c']) spawn(async () => send(me, [tag, await genStatem.call(pid, tag)]));
      await settled();
      genStatem.cast(pid, 'answer');
      expect(await receive(['a', _])).toEqual(['a', 'one']);
      expect(await receive(['b', _])).toEqual(['b', 'two']);
      expect(await receive(['c', _])).toEqual(['c', 'three']);
      expect((thrown(() => genStatem.reply(['reply', 'x', 1] as never)) as Error).message).toMatch(/^badarg: genStatem.reply/);
    });
  });
});

describe('postpone and inserted events', () => {
  it('a postponed event is retried after the next state change, and postponed again there', async () => {
    await run(async () => {
      const pid = await startSm();
      genStatem.cast(pid, 'postpone_me');
      genStatem.cast(pid, ['goto', 's1']);
      expect(await logged()).toEqual([
        ['event', 'cast', 'postpone_me', 's0'],
        ['event', 'cast', ['goto', 's1'], 's0'],
        ['enter', 's0', 's1'],
        ['event', 'cast', 'postpone_me', 's1'],
      ]);
    });
  });

  it('keep_state, next_state to the same state and repeat_state do not retry it', async () => {
    await run(async () => {
      const pid = await startSm();
      genStatem.cast(pid, 'postpone_me');
      genStatem.cast(pid, ['goto', 's0']);
      genStatem.cast(pid, 'repeat');
      genStatem.cast(pid, ['goto', 's1']);
      expect(await logged()).toEqual([
        ['event', 'cast', 'postpone_me', 's0'],
        ['event', 'cast', ['goto', 's0'], 's0'],
        ['event', 'cast', 'repeat', 's0'],
        ['enter', 's0', 's0'],
        ['event', 'cast', ['goto', 's1'], 's0'],
        ['enter', 's0', 's1'],
        ['event', 'cast', 'postpone_me', 's1'],
      ]);
    });
  });

  it('inserted events come first, in order, then the retried postponed ones', async () => {
    await run(async () => {
      const pid = await startSm();
      genStatem.cast(pid, 'postpone_me');
      genStatem.cast(pid, ['goto', 's2', [['next_event', 'internal', 'i1'], ['next_event', 'cast', 'i2']]]);
      expect(await logged()).toEqual([
        ['event', 'cast', 'postpone_me', 's0'],
        ['event', 'cast', ['goto', 's2', [['next_event', 'internal', 'i1'], ['next_event', 'cast', 'i2']]], 's0'],
        ['enter', 's0', 's2'],
        ['event', 'internal', 'i1', 's2'],
        ['event', 'cast', 'i2', 's2'],
        ['event', 'cast', 'postpone_me', 's2'],
      ]);
    });
  });

  it('takes one action or a list: "postpone", ["postpone", true], ["reply", …] alone or in a list', async () => {
    await run(async () => {
      const pid = await startSm();
      genStatem.cast(pid, ['keep', ['postpone', true]]);
      genStatem.cast(pid, ['keep', [['postpone', false], ['next_event', 'internal', 'x']]]);
      genStatem.cast(pid, ['goto', 's1']);
      expect(await logged()).toEqual([
        ['event', 'cast', ['keep', ['postpone', true]], 's0'],
        ['event', 'cast', ['keep', [['postpone', false], ['next_event', 'internal', 'x']]], 's0'],
        ['event', 'internal', 'x', 's0'],
        ['event', 'cast', ['goto', 's1'], 's0'],
        ['enter', 's0', 's1'],
        ['event', 'cast', ['keep', ['postpone', true]], 's1'],
      ]);
    });
  });
});

describe('timeouts (simulated clock)', () => {
  let clock: ReturnType<typeof useSimulatedClock>;
  beforeEach(() => {
    clock = useSimulatedClock();
  });
  afterEach(() => {
    clock.restore();
  });
  /** Lets the machine take what was sent first: time only moves once it waits. */
  const advance = async (ms: number) => {
    await settled();
    await awaitPromise(clock.advance(ms));
  };

  it('an event timeout (a bare integer) fires with the time as content, unless an event comes first', async () => {
    await run(async () => {
      const pid = await startSm();
      genStatem.cast(pid, ['keep', 30]);
      await advance(29);
      expect(await logged()).toEqual([['event', 'cast', ['keep', 30], 's0']]);
      await advance(1);
      expect(await logged()).toEqual([['event', 'timeout', 30, 's0']]);
      genStatem.cast(pid, ['keep', [['timeout', 50, 't1']]]);
      await advance(10);
      genStatem.cast(pid, 'x');
      await advance(100);
      expect(await logged()).toEqual([
        ['event', 'cast', ['keep', [['timeout', 50, 't1']]], 's0'],
        ['event', 'cast', 'x', 's0'],
      ]);
    });
  });

  it('an event timeout of 0 fires before messages already in the mailbox', async () => {
    await run(async () => {
      const pid = await startSm();
      genStatem.cast(pid, ['keep', [['timeout', 0, 't0']]]);
      genStatem.cast(pid, 'after0');
      expect(await logged()).toEqual([
        ['event', 'cast', ['keep', [['timeout', 0, 't0']]], 's0'],
        ['event', 'timeout', 't0', 's0'],
        ['event', 'cast', 'after0', 's0'],
      ]);
    });
  });

  it('an event timeout is not started when events are queued', async () => {
    await run(async () => {
      const pid = await startSm();
      genStatem.cast(pid, ['keep', [['next_event', 'internal', 'i'], ['timeout', 10, 'never']]]);
      await advance(50);
      expect(await logged()).toEqual([
        ['event', 'cast', ['keep', [['next_event', 'internal', 'i'], ['timeout', 10, 'never']]], 's0'],
        ['event', 'internal', 'i', 's0'],
      ]);
    });
  });

  it('a state timeout survives keep_state, is cancelled by a state change; 0 fires at once', async () => {
    await run(async () => {
      const pid = await startSm();
      genStatem.cast(pid, ['goto', 's3', [['state_timeout', 30, 'st']]]);
      genStatem.cast(pid, 'x');
      await advance(30);
      expect(await logged()).toEqual([
        ['event', 'cast', ['goto', 's3', [['state_timeout', 30, 'st']]], 's0'],
        ['enter', 's0', 's3'],
        ['event', 'cast', 'x', 's3'],
        ['event', 'state_timeout', 'st', 's3'],
      ]);
      genStatem.cast(pid, ['goto', 's4', [['state_timeout', 40, 'st']]]);
      genStatem.cast(pid, ['goto', 's5']);
      await advance(100);
      expect(await logged()).toEqual([
        ['event', 'cast', ['goto', 's4', [['state_timeout', 40, 'st']]], 's3'],
        ['enter', 's3', 's4'],
        ['event', 'cast', ['goto', 's5'], 's4'],
        ['enter', 's4', 's5'],
      ]);
      genStatem.cast(pid, ['keep', [['state_timeout', 0, 'z']]]);
      genStatem.cast(pid, 'after_z');
      expect(await logged()).toEqual([
        ['event', 'cast', ['keep', [['state_timeout', 0, 'z']]], 's5'],
        ['event', 'state_timeout', 'z', 's5'],
        ['event', 'cast', 'after_z', 's5'],
      ]);
    });
  });

  it('a generic timeout survives state changes; cancel and update', async () => {
    await run(async () => {
      const pid = await startSm();
      genStatem.cast(pid, ['keep', [[['timeout', 'g'], 20, 'gm']]]);
      genStatem.cast(pid, ['goto', 's7']);
      await advance(20);
      expect(await logged()).toEqual([
        ['event', 'cast', ['keep', [[['timeout', 'g'], 20, 'gm']]], 's0'],
        ['event', 'cast', ['goto', 's7'], 's0'],
        ['enter', 's0', 's7'],
        ['event', ['timeout', 'g'], 'gm', 's7'],
      ]);
      genStatem.cast(pid, ['keep', [[['timeout', 'g'], 20, 'gm']]]);
      genStatem.cast(pid, ['keep', [['timeout', 'g'], 'cancel']]);
      genStatem.cast(pid, ['keep', [[['timeout', 'h'], 20, 'old']]]);
      genStatem.cast(pid, ['keep', [['timeout', 'h'], 'update', 'new']]);
      await advance(50);
      const lines = await logged();
      expect(lines.filter((l) => (l as unknown[])[1] !== 'cast')).toEqual([['event', ['timeout', 'h'], 'new', 's7']]);
      // update with no timer running fires at once
      genStatem.cast(pid, ['keep', [['timeout', 'u'], 'update', 'now']]);
      expect((await logged()).slice(1)).toEqual([['event', ['timeout', 'u'], 'now', 's7']]);
    });
  });

  it('a timeout that fired while the machine was busy is dropped if cancelled before it is handled', async () => {
    await run(async () => {
      const busy: GenStatem<string, null> = {
        callbackMode: 'state_functions',
        init: () => ['ok', 'a', null, [['state_timeout', 10, 'late']]],
        states: {
          async a(type, content) {
            log([type, content]);
            if (content === 'work') {
              await sleep(20);
              return ['next_state', 'b', null];
            }
            return 'keep_state_and_data';
          },
          b(type, content) {
            log(['in b', type, content]);
            return 'keep_state_and_data';
          },
        },
      };
      observer = self();
      const [, pid] = (await genStatem.start(busy, null)) as readonly ['ok', Pid];
      genStatem.cast(pid, 'work');
      await advance(20);
      await advance(100);
      expect(await logged()).toEqual([['cast', 'work']]);
    });
  });
});

describe('enter calls', () => {
  it('repeat_state calls the enter function again with the state that was left', async () => {
    await run(async () => {
      const pid = await startSm('enter_repeat');
      genStatem.cast(pid, ['goto', 's1']);
      expect(await logged()).toEqual([
        ['event', 'cast', ['goto', 's1'], 's0'],
        ['enter', 's0', 's1'],
        ['enter', 's0', 's1'],
        ['enter', 's0', 's1'],
      ]);
    });
  });

  it('a state timeout of 0 from an enter call fires after it', async () => {
    await run(async () => {
      observer = self();
      await genStatem.start(sm, 'enter_state_timeout');
      expect(await logged()).toEqual([
        ['enter', 's0', 's0'],
        ['event', 'state_timeout', 'st0', 's0'],
      ]);
    });
  });

  it('an enter call may not change the state or postpone', async () => {
    await run(async () => {
      const p1 = await startSm('enter_change');
      const e1 = (await rejection(genStatem.call(p1, ['goto', 's1']))) as CallExit;
      expect(e1.why).toEqual(['bad_state_enter_return_from_state_function', ['next_state', 's2', []]]);
      expect((await logged()).slice(-1)).toEqual([['terminate', e1.why, 's1']]);
      const p2 = await startSm('enter_postpone');
      const e2 = (await rejection(genStatem.call(p2, ['goto', 's1']))) as CallExit;
      expect(e2.why).toEqual(['bad_state_enter_action_from_state_function', 'postpone']);
      expect((await logged()).slice(-1)).toEqual([['terminate', e2.why, 's1']]);
    });
  });
});

describe('stop and errors', () => {
  it('stop_and_reply replies, then terminate runs', async () => {
    await run(async () => {
      const pid = await startSm();
      expect(await genStatem.call(pid, ['reply_stop', 'because'])).toBe('bye');
      expect(await logged()).toEqual([
        ['event', ['call', [self(), expect.anything()]], ['reply_stop', 'because'], 's0'],
        ['terminate', 'because', 's0'],
      ]);
      expect(isProcessAlive(pid)).toBe(false);
    });
  });

  it('"stop" is normal; ["stop", r, data] gives terminate the new data; genStatem.stop', async () => {
    await run(async () => {
      const p1 = await startSm();
      genStatem.cast(p1, 'stop');
      expect(await logged()).toEqual([
        ['event', 'cast', 'stop', 's0'],
        ['terminate', 'normal', 's0'],
      ]);
      let seen: unknown;
      const withData: GenStatem<string, string[]> = {
        callbackMode: 'handle_event_function',
        init: () => ['ok', 'a', []],
        handleEvent: (_t, c) => ['stop', 'done', [String(c)]],
        terminate: (_r, _s, d) => {
          seen = d;
        },
      };
      const [, p2] = (await genStatem.start(withData, null)) as readonly ['ok', Pid];
      const ref = monitor(p2);
      genStatem.cast(p2, 'z');
      expect(await receive(['DOWN', ref, _, _, _])).toEqual(['DOWN', ref, 'process', p2, 'done']);
      expect(seen).toEqual(['z']);
      const p3 = await startSm();
      expect(await genStatem.stop(p3)).toBe('ok');
      expect(await logged()).toEqual([['terminate', 'normal', 's0']]);
    });
  });

  it('a bad result, a bad action, a crash: the machine exits with OTP`s reason after terminate', async () => {
    await run(async () => {
      const failing = async (request: unknown): Promise<unknown> => {
        const pid = await startSm();
        const why = ((await rejection(genStatem.call(pid, request))) as CallExit).why;
        expect((await logged()).slice(-1)).toEqual([['terminate', why, 's0']]);
        return why;
      };
      expect(await failing('badret')).toEqual(['bad_return_from_state_function', ['foo']]);
      expect(await failing(['badaction', ['reply', 'nope', 1]])).toEqual(['bad_action_from_state_function', ['reply', 'nope', 1]]);
      expect(await failing(['badaction', 'foo'])).toEqual(['bad_action_from_state_function', 'foo']);
      expect(await failing(['badaction', ['next_event', 'bogus', 1]])).toEqual(['bad_action_from_state_function', ['next_event', 'bogus', 1]]);
      expect(await failing(['badaction', ['state_timeout', -1, 'x']])).toEqual(['bad_action_from_state_function', ['state_timeout', -1, 'x']]);
      expect(((await failing(['crash', 'oops'])) as Error).message).toBe('oops');
    });
  });

  it('a state with no function crashes the machine (state_functions)', async () => {
    await run(async () => {
      const partial: GenStatem<string, null> = {
        callbackMode: 'state_functions',
        init: () => ['ok', 'a', null],
        states: { a: () => ['next_state', 'nowhere', null] } as never,
      };
      const [, pid] = (await genStatem.start(partial, null)) as readonly ['ok', Pid];
      const ref = monitor(pid);
      genStatem.cast(pid, 'go');
      genStatem.cast(pid, 'again');
      const [, , , , reason] = await receive(['DOWN', ref, 'process', pid, _]);
      expect((reason as Error).message).toBe('genStatem: no state function for state nowhere');
    });
  });

  it('a machine that traps exits runs terminate when its parent exits', async () => {
    await run(async () => {
      observer = self();
      const trapping: GenStatem<string, null> = {
        callbackMode: 'state_functions',
        init() {
          processFlag('trap_exit', true);
          return ['ok', 'a', null];
        },
        states: { a: () => 'keep_state_and_data' },
        terminate: (reason) => log(['terminate', reason]),
      };
      const parent = spawn(async (me: Pid) => {
        const r = await genStatem.startLink(trapping, null);
        send(me, ['machine', r[1]]);
        await receive('die');
        exit('parent_gone');
      }, self());
      const [, machine] = (await receive(['machine', _])) as readonly ['machine', Pid];
      const ref = monitor(machine);
      send(parent, 'die');
      expect(await receive(['DOWN', ref, _, _, _])).toEqual(['DOWN', ref, 'process', machine, 'parent_gone']);
      expect(await logged()).toEqual([['terminate', 'parent_gone']]);
    });
  });
});

describe('states that are terms (handle_event_function)', () => {
  it('compares states by value: a tuple state equal to the current one is no state change', async () => {
    await run(async () => {
      observer = self();
      const counter: GenStatem<readonly ['count', number], null> = {
        callbackMode: ['state_enter', 'handle_event_function'],
        init: () => ['ok', ['count', 0], null],
        handleEvent(type, content, state) {
          if (type === 'enter') {
            log(['enter', content, state]);
            return 'keep_state_and_data';
          }
          if (content === 'same') return ['next_state', ['count', state[1]], null];
          if (content === 'postpone') return ['keep_state_and_data', 'postpone'];
          log(['event', content, state]);
          return ['next_state', ['count', state[1] + 1], null];
        },
      };
      const [, pid] = (await genStatem.start(counter, null)) as readonly ['ok', Pid];
      genStatem.cast(pid, 'postpone');
      genStatem.cast(pid, 'same');
      genStatem.cast(pid, 'incr');
      expect(await logged()).toEqual([
        ['enter', ['count', 0], ['count', 0]],
        ['event', 'incr', ['count', 0]],
        ['enter', ['count', 0], ['count', 1]],
      ]);
    });
  });
});

describe('a ported machine: a code lock (state_functions)', () => {
  // The code of docs/behaviours.md (its Erlang original is there too), as it stands there.
  type LockState = 'locked' | 'open';
  interface LockData { readonly code: readonly number[]; readonly input: readonly number[] }

  const lock: GenStatem<LockState, LockData, readonly number[]> = {
    callbackMode: ['state_functions', 'state_enter'],
    init: (code) => ['ok', 'locked', { code, input: [] }],
    states: {
      locked(type, content, data) {
        if (type === 'enter') return ['keep_state', { ...data, input: [] }];
        if (type === 'cast' && content[0] === 'button') {
          const input = [...data.input, content[1]];
          if (input.length < data.code.length) return ['keep_state', { ...data, input }];
          return input.every((b, i) => b === data.code[i]) ? ['next_state', 'open', data] : ['keep_state', { ...data, input: [] }];
        }
        if (Array.isArray(type) && type[0] === 'call') return ['keep_state_and_data', [['reply', type[1], 'locked']]];
        return 'keep_state_and_data';
      },
      open(type, content, data) {
        if (type === 'enter') return ['keep_state_and_data', [['state_timeout', 1000, 'lock']]];
        if (type === 'state_timeout' && content === 'lock') return ['next_state', 'locked', data];
        if (Array.isArray(type) && type[0] === 'call') return ['keep_state_and_data', [['reply', type[1], 'open']]];
        return ['keep_state_and_data', 'postpone'];
      },
    },
  };

  it('opens with the right code, relocks after a second, keeps buttons pressed meanwhile', async () => {
    const clock = useSimulatedClock();
    try {
      await run(async () => {
        const r = await genStatem.startLink(['local', 'code_lock'], lock, [1, 2, 3]);
        expect(r[0]).toBe('ok');
        for (const b of [1, 2, 3]) genStatem.cast('code_lock', ['button', b]);
        expect(await genStatem.call('code_lock', 'status')).toBe('open');
        for (const b of [1, 2]) genStatem.cast('code_lock', ['button', b]);
        await awaitPromise(clock.advance(999));
        expect(await genStatem.call('code_lock', 'status')).toBe('open');
        await awaitPromise(clock.advance(1));
        expect(await genStatem.call('code_lock', 'status')).toBe('locked');
        // The two postponed buttons were replayed in 'locked': one more opens it.
        genStatem.cast('code_lock', ['button', 3]);
        expect(await genStatem.call('code_lock', 'status')).toBe('open');
      });
    } finally {
      clock.restore();
    }
  });
});
