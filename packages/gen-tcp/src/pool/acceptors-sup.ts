/**
 * The acceptors supervisor, Ranch's `ranch_acceptors_sup`: in its `init` it
 * opens the listen socket, which it owns (so the socket closes when it
 * stops: that is what suspending does), then starts `numAcceptors`
 * acceptors, one_for_one, each restarted if it crashes. A listen error
 * fails its start with `['listen_error', ref, reason]`.
 */
import { exit, onExit, self, supervisor, type ChildSpec } from '@beamline/runtime';
import { listen } from '../gen-tcp.js';
import { port as portOf } from '../inet.js';
import { startAcceptor } from './acceptor.js';
import { withPort } from './options.js';
import type { Listener } from './registry.js';

/** Start function for the listener supervisor's child spec. */
export function startAcceptorsSup(listener: Listener): Promise<supervisor.StartResult> {
  return supervisor.startLink(acceptorsSup, listener);
}

const acceptorsSup: supervisor.Supervisor<Listener> = {
  async init(listener) {
    // A suspended listener stays suspended even when a restart of its tree starts this child again.
    if (listener.suspended) return 'ignore';
    const { settings, ref } = listener;
    const connsSup = listener.connsSup;
    if (connsSup === undefined) exit(['no_connections_supervisor', ref]);
    // Listen again on the port first bound, so that clients find a resumed listener where it was.
    const bound = listener.boundPort;
    const result = bound === undefined ? await listen(settings.port, settings.socketOptions) : await listen(bound, withPort(settings.socketOptions, bound));
    if (result[0] === 'error') exit(['listen_error', ref, result[1]]);
    const listenSocket = result[1];
    const port = portOf(listenSocket);
    if (port[0] === 'ok') listener.boundPort ??= port[1];
    const me = self();
    listener.listenSocket = listenSocket;
    listener.acceptorsSup = me;
    onExit(me, () => {
      if (listener.acceptorsSup === me) {
        listener.acceptorsSup = undefined;
        listener.listenSocket = undefined;
      }
    });
    const n = settings.numAcceptors;
    const children: ChildSpec[] = [];
    for (let i = 1; i <= n; i++) {
      children.push({ id: ['acceptor', i], start: [startAcceptor, [ref, listenSocket, connsSup]], shutdown: 'brutal_kill' });
    }
    // Ranch's intensity: a few acceptor crashes at once are restarts, a storm gives up.
    return ['ok', [{ strategy: 'one_for_one', intensity: 1 + Math.ceil(Math.log2(n)), period: 5 }, children]];
  },
};
