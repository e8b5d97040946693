/**
 * One process per connected client. It owns its socket (`{packet, line}`,
 * `{active, once}` re-armed after each line), and waits for two kinds of
 * message at once: a line from its socket, and a `['chat', line]` from its
 * room or from another client. It is in at most one room, which it
 * monitors: if the room dies the client is told and carries on.
 *
 * When the connection closes the process just returns: its room and the
 * registry monitor it, and remove it. The same happens when it crashes or
 * is killed, and then its socket closes too, as its owner is gone.
 */
import { _, demonitor, exit, isPid, isRef, link, monitor, receive, self, send, type Pid, type Ref } from '@beamline/runtime';
import * as gen_tcp from '@beamline/gen-tcp';
import { setopts, type TcpSocket } from '@beamline/gen-tcp';
import { call } from './call.js';
import { lines, parseCommand } from './protocol.js';
import type { RegistryRequest } from './registry.js';
import type { RoomRequest } from './room.js';

interface Joined {
  readonly name: string;
  readonly pid: Pid;
  readonly ref: Ref;
}

/**
 * The connection process. `server` is linked at once, so that stopping the
 * server ends every connection; the socket is used only once `['go', socket]`
 * says that this process owns it.
 */
export async function chatClient(socket: TcpSocket, registry: Pid, server: Pid): Promise<void> {
  link(server);
  await receive(['go', socket]);
  const write = async (line: string): Promise<void> => {
    const result = await gen_tcp.send(socket, `${line}\n`);
    // A peer that cannot be written to is gone (closed, reset, or not reading
    // for send_timeout): end as a closed connection ends.
    if (result !== 'ok') exit('normal');
  };
  const toRegistry = <R>(request: RegistryRequest) => call<R>(registry, request);
  const toRoom = <R>(room: Joined, request: RoomRequest) => call<R>(room.pid, request);

  let nick = await toRegistry<string>('hello');
  let room: Joined | null = null;
  await write(lines.welcome(nick));

  const leaveRoom = async (why: string | null): Promise<void> => {
    if (room === null) return;
    await toRoom(room, ['leave', why]);
    demonitor(room.ref, ['flush']);
    room = null;
  };

  for (;;) {
    setopts(socket, [['active', 'once']]);
    const m = await receive(
      ['tcp', socket, _],
      ['tcp_closed', socket],
      ['tcp_error', socket, _],
      ['chat', _],
      ['DOWN', isRef, 'process', isPid, _],
    );
    if (m[0] === 'tcp_closed') return; // the room and the registry see this process go
    if (m[0] === 'tcp_error') continue; // tcp_closed follows
    if (m[0] === 'chat') {
      await write(m[1] as string);
      continue;
    }
    if (m[0] === 'DOWN') {
      if (room !== null && m[1] === room.ref) {
        await write(lines.roomClosed(room.name));
        room = null;
      }
      continue;
    }

    const command = parseCommand((m[2] as Buffer).toString('utf8').replace(/\r?\n$/, ''));
    if (command === 'empty') continue;
    if (command === 'help') {
      await write(lines.help());
    } else if (command === 'who') {
      if (room === null) await write(lines.notInRoom());
      else await write(lines.who(room.name, await toRoom<string[]>(room, 'who')));
    } else if (command === 'leave') {
      if (room === null) {
        await write(lines.notInRoom());
      } else {
        const name = room.name;
        await leaveRoom(null);
        await write(lines.leftYou(name));
      }
    } else if (command === 'quit') {
      await leaveRoom('quit');
      await write(lines.bye());
      gen_tcp.close(socket); // what was written goes out before the FIN
      return;
    } else {
      switch (command[0]) {
        case 'error':
          await write(command[1]);
          break;
        case 'say':
          if (room === null) await write(lines.notInRoom());
          else send(room.pid, ['say', self(), command[1]]);
          break;
        case 'nick': {
          const wanted = command[1];
          const answer = await toRegistry<'ok' | 'taken'>(['nick', wanted]);
          if (answer === 'taken') {
            await write(lines.nickTaken(wanted));
          } else {
            if (room !== null) send(room.pid, ['renamed', self(), wanted]);
            nick = wanted;
            await write(lines.nickChanged(nick));
          }
          break;
        }
        case 'join': {
          const name = command[1];
          if (room !== null && room.name === name) {
            await write(lines.alreadyIn(name));
            break;
          }
          await leaveRoom(null);
          const pid = await toRegistry<Pid>(['room', name]);
          const ref = monitor('process', pid);
          const joined: Joined = { name, pid, ref };
          const answer = await toRoom<readonly ['ok', string[]] | 'already_in'>(joined, ['join', nick]);
          room = joined;
          await write(answer === 'already_in' ? lines.alreadyIn(name) : lines.joinedYou(name, answer[1]));
          break;
        }
        case 'msg': {
          const [, to, text] = command;
          const pid = await toRegistry<Pid | null>(['whereis', to]);
          if (pid === null) {
            await write(lines.noSuchNick(to));
          } else {
            send(pid, ['chat', lines.whisper(nick, text)]);
            await write(lines.whisperSent(to, text));
          }
          break;
        }
      }
    }
  }
}
