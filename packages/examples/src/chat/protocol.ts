/**
 * The chat's line protocol, both ways, as plain functions: what a client's
 * line means (`parseCommand`), and every line the server writes back
 * (`lines`). The processes (client.ts, room.ts, registry.ts) only pass these
 * around, so the protocol reads in one place.
 *
 * A client sends one command or one message per line (`\n` or `\r\n`):
 *
 *   /nick NAME        change nick (a letter, then up to 15 letters, digits, _ or -)
 *   /join ROOM        join a room (leaving the current one); `#` in front is optional
 *   /leave            leave the current room
 *   /who              list the current room
 *   /msg NICK TEXT    a private message
 *   /quit             say goodbye and close
 *   /help             the list of commands
 *   anything else     said to the current room
 *
 * The server answers with lines that start with `* ` (news), `! ` (an
 * error: the connection stays open), `<nick> ` (said in the room) or
 * `*nick* ` (a private message).
 */

/** A client's line, as the client process acts on it. */
export type Command =
  | readonly ['say', text: string]
  | readonly ['nick', nick: string]
  | readonly ['join', room: string]
  | readonly ['msg', to: string, text: string]
  | 'leave'
  | 'who'
  | 'quit'
  | 'help'
  | 'empty'
  | readonly ['error', line: string];

const NICK = /^[A-Za-z][A-Za-z0-9_-]{0,15}$/;
const ROOM = /^#?([A-Za-z0-9_-]{1,24})$/;

/** Parses one line, its line end already removed. Never throws: a bad command is `['error', line]`. */
export function parseCommand(line: string): Command {
  if (line.trim() === '') return 'empty';
  if (!line.startsWith('/')) return ['say', line];
  const [word = '', ...rest] = line.slice(1).split(' ').filter((w) => w !== '');
  const arg = rest.join(' ');
  switch (word) {
    case 'nick':
      if (rest.length !== 1) return ['error', lines.usage('/nick NAME')];
      if (!NICK.test(arg)) return ['error', lines.badNick(arg)];
      return ['nick', arg];
    case 'join': {
      if (rest.length !== 1) return ['error', lines.usage('/join ROOM')];
      const m = ROOM.exec(arg);
      if (m === null) return ['error', lines.badRoom(arg)];
      return ['join', (m[1] as string).toLowerCase()];
    }
    case 'msg': {
      // The text keeps its own spacing: everything after the nick and the spaces that follow it.
      const m = /^\/msg +(\S+) +(\S.*)$/.exec(line);
      if (m === null) return ['error', lines.usage('/msg NICK TEXT')];
      return ['msg', m[1] as string, m[2] as string];
    }
    case 'leave':
    case 'who':
    case 'quit':
    case 'help':
      return rest.length === 0 ? word : ['error', lines.usage(`/${word}`)];
    default:
      return ['error', lines.unknownCommand(word)];
  }
}

/** Every line the server sends, without its `\n`. */
export const lines = {
  welcome: (nick: string) => `* welcome, you are ${nick} (/help for commands)`,
  help: () => '* commands: /nick NAME, /join ROOM, /leave, /who, /msg NICK TEXT, /quit',
  nickChanged: (nick: string) => `* you are now ${nick}`,
  renamed: (from: string, to: string) => `* ${from} is now ${to}`,
  joinedYou: (room: string, nicks: readonly string[]) => `* joined #${room}: ${nicks.join(', ')}`,
  joined: (nick: string, room: string) => `* ${nick} joined #${room}`,
  leftYou: (room: string) => `* left #${room}`,
  left: (nick: string, room: string, why?: string) => `* ${nick} left #${room}${why === undefined ? '' : ` (${why})`}`,
  who: (room: string, nicks: readonly string[]) => `* #${room}: ${nicks.join(', ')}`,
  said: (nick: string, text: string) => `<${nick}> ${text}`,
  whisper: (from: string, text: string) => `*${from}* ${text}`,
  whisperSent: (to: string, text: string) => `-> *${to}* ${text}`,
  roomClosed: (room: string) => `! #${room} closed`,
  bye: () => '* bye',

  usage: (usage: string) => `! usage: ${usage}`,
  badNick: (nick: string) => `! bad nick ${JSON.stringify(nick)}: a letter, then up to 15 letters, digits, _ or -`,
  badRoom: (room: string) => `! bad room ${JSON.stringify(room)}: up to 24 letters, digits, _ or -`,
  unknownCommand: (word: string) => `! unknown command /${word} (/help for commands)`,
  nickTaken: (nick: string) => `! nick ${nick} is taken`,
  noSuchNick: (nick: string) => `! no such nick: ${nick}`,
  notInRoom: () => '! not in a room: /join ROOM first',
  alreadyIn: (room: string) => `! already in #${room}`,
} as const;
