/**
 * The supervision tree of the pool, as Ranch's:
 *
 *   pool supervisor (ranch_sup; registered 'beamline_pool_sup', one_for_one)
 *   └─ listener supervisor, one per listener (ranch_listener_sup; rest_for_one)
 *      ├─ connections supervisor (ranch_conns_sup): the connection processes
 *      └─ acceptors supervisor (ranch_acceptors_sup; one_for_one): owns the
 *         listen socket
 *         └─ acceptors (ranch_acceptor)
 *
 * rest_for_one: if the connections supervisor dies, the acceptors (which
 * hand sockets to it) are restarted after it; an acceptors supervisor that
 * dies (suspend, or too many acceptor crashes) touches no connection.
 *
 * The pool supervisor belongs to no caller: a keeper process, which nothing
 * links to, starts it and stays linked to it, like an application master.
 * Listeners thus outlive the process that started them, as in Ranch.
 */
import {
  _,
  demonitor,
  isProcessAlive,
  monitor,
  onExit,
  processFlag,
  receive,
  self,
  send,
  spawn,
  supervisor,
  whereis,
  makeRef,
  type Pid,
} from '@beamline/runtime';
import { startAcceptorsSup } from './acceptors-sup.js';
import { startConnsSup } from './conns-sup.js';
import type { ListenerRef, Protocol, Settings } from './options.js';
import { find, forget, register, type Listener } from './registry.js';

/** The registered name of the pool supervisor. */
export const POOL_SUP = 'beamline_pool_sup';

const listenerSup: supervisor.Supervisor<Listener> = {
  init(listener) {
    listener.listenerSup = self();
    return [
      'ok',
      [
        { strategy: 'rest_for_one', intensity: 1, period: 5 },
        [
          { id: 'connections', start: [startConnsSup, [listener]], type: 'supervisor' },
          { id: 'acceptors', start: [startAcceptorsSup, [listener]], type: 'supervisor' },
        ],
      ],
    ];
  },
};

/**
 * Start function of a listener's child spec (under the pool supervisor, or
 * under the user's own for `childSpec`): registers the listener and starts
 * its supervisor linked to the caller. A name in use is
 * `['error', ['already_started', pid]]`.
 */
export async function startListenerSup(
  ref: ListenerRef,
  settings: Settings,
  protocol: Protocol<unknown>,
  protocolOptions: unknown,
): Promise<supervisor.StartResult> {
  const taken = find(ref);
  if (taken !== undefined && taken.listenerSup !== undefined) return ['error', ['already_started', taken.listenerSup]];
  const listener: Listener = {
    ref,
    settings,
    protocol,
    protocolOptions,
    maxConnections: settings.maxConnections,
    suspended: false,
    listenerSup: undefined,
    connsSup: undefined,
    acceptorsSup: undefined,
    listenSocket: undefined,
    boundPort: undefined,
    accepted: 0,
    terminated: 0,
  };
  register(listener);
  const result = await supervisor.startLink(listenerSup, listener);
  if (result === 'ignore' || result[0] === 'error') {
    forget(listener);
    return result;
  }
  onExit(result[1], () => forget(listener));
  return result;
}

const poolSup: supervisor.Supervisor<null> = {
  init: () => ['ok', [{ strategy: 'one_for_one', intensity: 1, period: 5 }, []]],
};

/** The pool supervisor, started on first use. Inside a process only. */
export async function poolSupervisor(): Promise<Pid> {
  const running = whereis(POOL_SUP);
  if (running !== undefined) return running;
  const me = self();
  const tag = makeRef();
  const keeper = spawn(async () => {
    processFlag('trap_exit', true);
    const result = await supervisor.startLink(['local', POOL_SUP], poolSup, null);
    send(me, [tag, result]);
    if (result !== 'ignore' && result[0] === 'ok') await receive(['EXIT', result[1], _] as const);
  });
  const down = monitor(keeper);
  const m = await receive([tag, _] as const, ['DOWN', down, 'process', keeper, _] as const);
  demonitor(down, ['flush']);
  if (m[0] === 'DOWN') throw new Error(`the pool supervisor's keeper died: ${String(m[4])}`);
  const result = m[1] as supervisor.StartResult;
  if (result !== 'ignore' && result[0] === 'ok') return result[1];
  // Another process started it in the meantime.
  if (result !== 'ignore' && Array.isArray(result[1]) && result[1][0] === 'already_started' && isProcessAlive(result[1][1] as Pid)) {
    return result[1][1] as Pid;
  }
  throw new Error(`the pool supervisor did not start: ${String(result)}`);
}

/** The pool supervisor's child id for a listener (Ranch's `{ranch_listener_sup, Ref}`). */
export const childId = (ref: ListenerRef): readonly ['listener', ListenerRef] => ['listener', ref];
