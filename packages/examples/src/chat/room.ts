/**
 * A chat room: one process per room, holding its members in join order.
 * Everything said in the room goes through this process, so every member
 * sees the same lines in the same order.
 *
 * The room monitors each member. A member that leaves with `/leave` or
 * `/quit` tells the room; one whose connection drops, or whose process
 * crashes or is killed, is removed when its `DOWN` arrives, and the others
 * are told why.
 *
 * Messages:
 *   call ['join', Nick]     -> ['ok', Nicks] | 'already_in'  (the others see "* Nick joined")
 *   call ['leave', Why?]    -> 'ok'                          (the others see "* Nick left")
 *   call 'who'              -> Nicks
 *   ['say', Pid, Text]      every member gets "<Nick> Text"
 *   ['renamed', Pid, Nick]  the others get "* Old is now Nick"
 * Members get `['chat', line]`.
 */
import { _, demonitor, formatReason, isPid, isRef, monitor, receive, send, type Pid, type Ref } from '@beamline/runtime';
import { reply } from './call.js';
import { lines } from './protocol.js';

export type RoomRequest = readonly ['join', string] | readonly ['leave', string | null] | 'who';

export async function room(name: string): Promise<void> {
  const members = new Map<Pid, { nick: string; ref: Ref }>();
  const nicks = (): string[] => [...members.values()].map((m) => m.nick);
  const broadcast = (line: string, except?: Pid): void => {
    for (const pid of members.keys()) if (pid !== except) send(pid, ['chat', line]);
  };

  for (;;) {
    const m = await receive(
      ['call', isPid, isRef, _],
      ['say', isPid, _],
      ['renamed', isPid, _],
      ['DOWN', isRef, 'process', isPid, _],
    );
    switch (m[0]) {
      case 'call': {
        const [, from, ref] = m;
        const request = m[3] as RoomRequest;
        const member = members.get(from);
        if (request === 'who') {
          reply(from, ref, nicks());
        } else if (request[0] === 'join') {
          if (member !== undefined) {
            reply(from, ref, 'already_in');
          } else {
            members.set(from, { nick: request[1], ref: monitor('process', from) });
            broadcast(lines.joined(request[1], name), from);
            reply(from, ref, ['ok', nicks()]);
          }
        } else {
          if (member !== undefined) {
            members.delete(from);
            demonitor(member.ref, ['flush']);
            broadcast(lines.left(member.nick, name, request[1] ?? undefined));
          }
          reply(from, ref, 'ok');
        }
        break;
      }
      case 'say': {
        const [, from, text] = m;
        const member = members.get(from);
        if (member !== undefined) broadcast(lines.said(member.nick, text as string));
        break;
      }
      case 'renamed': {
        const [, from, nick] = m;
        const member = members.get(from);
        if (member !== undefined) {
          broadcast(lines.renamed(member.nick, nick as string), from);
          member.nick = nick as string;
        }
        break;
      }
      case 'DOWN': {
        const [, ref, , pid, reason] = m;
        const member = members.get(pid);
        if (member !== undefined && member.ref === ref) {
          members.delete(pid);
          broadcast(lines.left(member.nick, name, reason === 'normal' ? 'disconnected' : `crashed: ${firstLine(reason)}`));
        }
        break;
      }
    }
  }
}

/** A crash reason on one line: an Error's message, not its stack. */
function firstLine(reason: unknown): string {
  if (reason instanceof Error) return `${reason.name}: ${reason.message}`.split('\n')[0] as string;
  return formatReason(reason).split('\n')[0] as string;
}
