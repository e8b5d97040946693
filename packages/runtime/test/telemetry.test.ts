/**
 * The event bus (telemetry.ts): `listening` follows the listeners, and the
 * lifecycle events carry the right pids, refs and reasons.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  _,
  demonitor,
  exit,
  isProcessAlive,
  link,
  monitor,
  processes,
  receive,
  register,
  run,
  self,
  send,
  setLogger,
  spawn,
  spawnLink,
  spawnMonitor,
  telemetry,
  unlink,
  whereis,
  type LogReport,
  type Pid,
  type RuntimeEvents,
} from '../src/index.ts';
import { idle } from './helpers.ts';
import { settle } from '../src/testing/index.ts';

afterEach(async () => {
  telemetry.removeAllListeners();
  const previous = setLogger(() => {});
  for (const pid of processes()) exit(pid, 'kill');
  setLogger(previous);
  await settle();
});


type EventName = 'spawn' | 'exit' | 'link' | 'unlink' | 'monitor' | 'demonitor';

/** Records every lifecycle event, in order, as [name, payload]. */
function record(): [EventName, unknown][] {
  const events: [EventName, unknown][] = [];
  for (const name of ['spawn', 'exit', 'link', 'unlink', 'monitor', 'demonitor'] as const) {
    telemetry.on(name, (event: RuntimeEvents[typeof name][0]) => events.push([name, event]));
  }
  return events;
}

describe('telemetry.listening', () => {
  it('is false with no listeners and true with one', () => {
    expect(telemetry.listening).toBe(false);
    const fn = () => {};
    telemetry.on('spawn', fn);
    expect(telemetry.listening).toBe(true);
    telemetry.off('spawn', fn);
    expect(telemetry.listening).toBe(false);
  });

  it('stays true while another listener remains', () => {
    const a = () => {};
    const b = () => {};
    telemetry.addListener('spawn', a);
    telemetry.on('exit', b);
    telemetry.removeListener('spawn', a);
    expect(telemetry.listening).toBe(true);
    telemetry.off('exit', b);
    expect(telemetry.listening).toBe(false);
  });

  it('is false again after removeAllListeners, for one event or all', () => {
    telemetry.on('spawn', () => {});
    telemetry.on('spawn', () => {});
    telemetry.removeAllListeners('spawn');
    expect(telemetry.listening).toBe(false);
    telemetry.on('exit', () => {});
    telemetry.on('link', () => {});
    telemetry.removeAllListeners();
    expect(telemetry.listening).toBe(false);
  });

  it('is false again after a once listener fired', async () => {
    const seen: unknown[] = [];
    telemetry.once('spawn', (event) => seen.push(event.pid));
    expect(telemetry.listening).toBe(true);
    const pid = spawn(() => 'x');
    expect(seen).toEqual([pid]);
    expect(telemetry.listening).toBe(false);
    spawn(() => 'y');
    expect(seen).toEqual([pid]);
    await settle();
  });

  it('is true for a listener of a free-form event of another package', () => {
    const fn = () => {};
    telemetry.on('socket:open', fn);
    expect(telemetry.listening).toBe(true);
    expect(telemetry.emit('socket:open', { port: 1 })).toBe(true);
    telemetry.off('socket:open', fn);
    expect(telemetry.listening).toBe(false);
  });
});

describe('lifecycle events', () => {
  it('exit is emitted once the name is freed; link only for a new link; demonitor only for an active monitor', async () => {
    const events = record();
    let seenName: unknown = 'not called';
    const onExitEvent = (): void => {
      seenName = whereis('leaving');
    };
    telemetry.on('exit', onExitEvent);
    await run(async () => {
      const pid = spawn(idle);
      register('leaving', pid);
      link(pid);
      link(pid);
      const ref = monitor(pid);
      demonitor(ref);
      demonitor(ref);
      unlink(pid);
      exit(pid, 'kill');
    });
    telemetry.off('exit', onExitEvent);
    expect(seenName).toBeUndefined();
    expect(events.filter(([name]) => name === 'link')).toHaveLength(1);
    expect(events.filter(([name]) => name === 'demonitor')).toHaveLength(1);
  });

  it('spawn names the parent, or undefined outside processes', async () => {
    const events = record();
    const top = spawn(idle);
    let child: Pid | undefined;
    const parent = await run(() => {
      child = spawn(idle);
      return self();
    });
    const spawns = events.filter(([name]) => name === 'spawn').map(([, e]) => e);
    expect(spawns).toEqual([
      { pid: top, parent: undefined },
      { pid: parent, parent: undefined },
      { pid: child, parent },
    ]);
  });

  it('exit carries the pid and the exact reason, for every way of ending', async () => {
    const previous = setLogger(() => {});
    const events = record();
    const reason = new Error('thrown');
    const returned = spawn(() => 'done');
    const thrower = spawn(() => {
      throw reason;
    });
    const exiter = spawn(() => exit(['custom', 1]));
    const killed = spawn(idle);
    await settle();
    exit(killed, 'kill');
    const exits = events.filter(([name]) => name === 'exit').map(([, e]) => e);
    expect(exits).toEqual([
      { pid: returned, reason: 'normal' },
      { pid: thrower, reason },
      { pid: exiter, reason: ['custom', 1] },
      { pid: killed, reason: 'killed' },
    ]);
    setLogger(previous);
  });

  it('exit is emitted for each process a crash reaches through links, in order', async () => {
    const events = record();
    await run(async () => {
      const me = self();
      const a = spawn(idle);
      const b = spawn(async () => {
        link(a);
        send(me, 'linked');
        await idle();
      });
      await receive('linked');
      events.length = 0;
      exit(a, 'spread');
      expect(events).toEqual([
        ['exit', { pid: a, reason: 'spread' }],
        ['exit', { pid: b, reason: 'spread' }],
      ]);
    });
  });

  it('link and unlink name the caller as from and the other process as to', async () => {
    const events = record();
    await run(() => {
      const me = self();
      const other = spawn(idle);
      events.length = 0;
      link(other);
      unlink(other);
      unlink(other);
      expect(events).toEqual([
        ['link', { from: me, to: other }],
        ['unlink', { from: me, to: other }],
      ]);
    });
  });

  it('spawnLink emits spawn then link from the parent to the child', async () => {
    const events = record();
    await run(() => {
      const me = self();
      events.length = 0;
      const child = spawnLink(idle);
      expect(events).toEqual([
        ['spawn', { pid: child, parent: me }],
        ['link', { from: me, to: child }],
      ]);
      unlink(child);
    });
  });

  it('monitor and demonitor carry the ref, the watcher and the target', async () => {
    const events = record();
    await run(() => {
      const me = self();
      const target = spawn(idle);
      register('telemetry_target', target);
      events.length = 0;
      const byPid = monitor(target);
      const byName = monitor('process', 'telemetry_target');
      demonitor(byPid);
      demonitor(byName, ['flush']);
      expect(events).toEqual([
        ['monitor', { ref: byPid, watcher: me, target }],
        ['monitor', { ref: byName, watcher: me, target: 'telemetry_target' }],
        ['demonitor', { ref: byPid, watcher: me }],
        ['demonitor', { ref: byName, watcher: me }],
      ]);
    });
  });

  it('spawnMonitor emits spawn then monitor of the child', async () => {
    const events = record();
    await run(async () => {
      const me = self();
      events.length = 0;
      const [child, ref] = spawnMonitor(() => 'done');
      expect(events).toEqual([
        ['spawn', { pid: child, parent: me }],
        ['monitor', { ref, watcher: me, target: child }],
      ]);
      await receive(['DOWN', ref, 'process', child, _]);
      expect(events[2]).toEqual(['exit', { pid: child, reason: 'normal' }]);
    });
  });

  it('nothing is emitted to nobody: events resume when a listener is added', async () => {
    spawn(() => 'unseen');
    await settle();
    const events = record();
    const seen = spawn(() => 'seen');
    await settle();
    expect(events).toEqual([
      ['spawn', { pid: seen, parent: undefined }],
      ['exit', { pid: seen, reason: 'normal' }],
    ]);
  });

  it('a listener that throws is reported and breaks neither the emitter nor the runtime', async () => {
    const reports: LogReport[] = [];
    const previous = setLogger((r) => {
      reports.push(r);
    });
    try {
      const error = new Error('listener broke');
      telemetry.on('spawn', () => {
        throw error;
      });
      const answer = await run(async () => {
        const me = self();
        const echo = spawn(async () => send(me, ['echo', await receive()]));
        send(echo, 'hi');
        return receive(['echo', _]);
      });
      expect(answer).toEqual(['echo', 'hi']);
      expect(reports).toEqual([
        { kind: 'listener_failed', event: 'spawn', error },
        { kind: 'listener_failed', event: 'spawn', error },
      ]);
    } finally {
      setLogger(previous);
    }
  });

  it('a process killed by a spawn listener stays dead: it never starts and exits once', async () => {
    const exits: unknown[] = [];
    let started = false;
    telemetry.on('spawn', ({ pid }) => {
      exit(pid, 'kill');
    });
    telemetry.on('exit', ({ pid, reason }) => exits.push([pid, reason]));
    const child = spawn(() => {
      started = true;
    });
    const before = processes().length;
    await settle();
    expect(started).toBe(false);
    expect(isProcessAlive(child)).toBe(false);
    expect(exits).toEqual([[child, 'killed']]);
    expect(processes().length).toBe(before);
  });
});
