/**
 * The chat's registry process: who is called what, and which process is
 * which room. One process serialises both, so two clients can never take the
 * same nick or start the same room twice.
 *
 * - Nicks: every client says `hello` first and gets a `guestN` nick. The
 *   registry monitors it, and frees its nick when it goes, however it goes.
 * - Rooms: started on the first `['room', name]` and kept for the server's
 *   life. They are linked to the registry, which traps exits: a room that
 *   crashes is forgotten (its members see its monitor fire), the next join
 *   starts it afresh.
 * - The server process that started the registry is linked too; its exit
 *   signal ends the registry, and the links take every room down with it.
 *
 * Requests come through `call` (call.ts):
 *   'hello'            -> the new guest nick
 *   ['nick', Nick]     -> 'ok' | 'taken'
 *   ['room', Name]     -> the room's pid
 *   ['whereis', Nick]  -> the client's pid, or null
 */
import { _, exit, isPid, isRef, monitor, processFlag, receive, spawnLink, type Pid, type Ref } from '@beamline/runtime';
import { reply } from './call.js';
import { room } from './room.js';

export type RegistryRequest = 'hello' | readonly ['nick', string] | readonly ['room', string] | readonly ['whereis', string];

export async function registry(parent: Pid): Promise<void> {
  processFlag('trap_exit', true);
  const byNick = new Map<string, Pid>();
  const clients = new Map<Pid, { nick: string; ref: Ref }>();
  const rooms = new Map<string, Pid>();
  const roomNames = new Map<Pid, string>();
  let guests = 0;

  for (;;) {
    const m = await receive(['call', isPid, isRef, _], ['DOWN', isRef, 'process', isPid, _], ['EXIT', isPid, _]);
    switch (m[0]) {
      case 'call': {
        const [, from, ref] = m;
        const request = m[3] as RegistryRequest;
        if (request === 'hello') {
          let nick: string;
          do nick = `guest${++guests}`;
          while (byNick.has(nick));
          byNick.set(nick, from);
          clients.set(from, { nick, ref: monitor('process', from) });
          reply(from, ref, nick);
        } else if (request[0] === 'nick') {
          const [, nick] = request;
          const holder = byNick.get(nick);
          const client = clients.get(from);
          if (client === undefined) {
            reply(from, ref, 'unknown');
          } else if (holder !== undefined && holder !== from) {
            reply(from, ref, 'taken');
          } else {
            byNick.delete(client.nick);
            byNick.set(nick, from);
            client.nick = nick;
            reply(from, ref, 'ok');
          }
        } else if (request[0] === 'room') {
          const [, name] = request;
          let pid = rooms.get(name);
          if (pid === undefined) {
            pid = spawnLink(room, name);
            rooms.set(name, pid);
            roomNames.set(pid, name);
          }
          reply(from, ref, pid);
        } else {
          reply(from, ref, byNick.get(request[1]) ?? null);
        }
        break;
      }
      case 'DOWN': {
        // A client went: its nick is free again.
        const [, , , pid] = m;
        const client = clients.get(pid);
        if (client !== undefined) {
          clients.delete(pid);
          if (byNick.get(client.nick) === pid) byNick.delete(client.nick);
        }
        break;
      }
      case 'EXIT': {
        const [, pid, reason] = m;
        const name = roomNames.get(pid);
        if (name !== undefined) {
          // A room crashed: forget it; its members were told by their monitors.
          roomNames.delete(pid);
          rooms.delete(name);
        } else if (pid === parent) {
          exit(reason);
        }
        break;
      }
    }
  }
}
