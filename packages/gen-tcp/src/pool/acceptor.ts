/**
 * An acceptor, Ranch's `ranch_acceptor`: accepts on the listener's one
 * listen socket (several acceptors wait there at once, served oldest
 * first), gives each socket to the connections supervisor and waits until
 * that supervisor lets it go on, which it does only below the connection
 * limit. That wait is how accepting pauses at `maxConnections`.
 */
import { _, exit, monitor, receive, self, send, sleep, spawnLink, takeMessages, telemetry, type Pid } from '@beamline/runtime';
import { accept, close, controllingProcess } from '../gen-tcp.js';
import type { ListenSocket } from '../listener.js';
import type { ListenerRef } from './options.js';

/** Start function for the acceptors supervisor's child specs: the acceptor is linked to its caller. */
export function startAcceptor(ref: ListenerRef, listenSocket: ListenSocket, connsSup: Pid): readonly ['ok', Pid] {
  return ['ok', spawnLink(acceptorLoop, ref, listenSocket, connsSup)];
}

async function acceptorLoop(ref: ListenerRef, listenSocket: ListenSocket, connsSup: Pid): Promise<void> {
  const me = self();
  // Without the connections supervisor nothing can be started: exit with its reason (the tree restarts both).
  const monitorRef = monitor(connsSup);
  const down = ['DOWN', monitorRef, 'process', _, _] as const;
  // Anything else sent to an acceptor is dropped (Ranch logs it), so the mailbox never grows.
  const stray = (m: unknown): boolean => !(Array.isArray(m) && m[1] === monitorRef);
  for (;;) {
    // A connection already queued comes back at once: no await, no trip through the scheduler.
    const pending = accept(listenSocket);
    const r = Array.isArray(pending) ? (pending as Awaited<typeof pending>) : await pending;
    if (r[0] === 'ok') {
      const socket = r[1];
      if (telemetry.listening) telemetry.emit('pool:accept', { ref, acceptor: me, socket });
      // From here the socket is the supervisor's: if this acceptor dies now, the socket is not lost.
      if (controllingProcess(socket, connsSup) !== 'ok') {
        close(socket);
        continue;
      }
      send(connsSup, ['$pool_start', me, socket]);
      const m = await receive(connsSup, down);
      if (m !== connsSup) exit((m as typeof down)[4]);
      takeMessages(stray);
    } else if (r[1] === 'closed') {
      exit('closed');
    } else if (r[1] === 'emfile' || r[1] === 'enfile') {
      // Out of file descriptors: accepting again at once would fail again (Ranch waits too).
      await sleep(100);
    }
  }
}
