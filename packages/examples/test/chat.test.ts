/**
 * The chat server (src/chat) over real sockets on 127.0.0.1: the server runs
 * in this process (startChat) or as the `chat` command, the clients are plain
 * node:net sockets (line-client.ts). Joins, nick changes, broadcast order,
 * private messages, clients that quit, disconnect, get reset or have their
 * process killed mid-conversation while the room carries on, and every
 * error line.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exit, isProcessAlive, processes, type Pid } from '@beamline/runtime';
import { killAll } from '@beamline/runtime/testing';
import { sockets } from '@beamline/gen-tcp';
import { lines, parseCommand } from '../src/chat/protocol.ts';
import { startChat, type ChatServer } from '../src/chat/server.ts';
import { killChildren, runToEnd, startTs } from './children.ts';
import { LineClient } from './line-client.ts';

let chat: ChatServer;
let logged: string[];
const clients: LineClient[] = [];

beforeEach(async () => {
  logged = [];
  chat = await startChat({ port: 0, log: (line) => logged.push(line) });
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.socket.destroy();
  await chat.stop();
  await killAll();
});
afterAll(killChildren);

/** Connects and reads the welcome line; with `nick`, takes that nick too. */
async function connect(nick?: string): Promise<LineClient> {
  const c = await LineClient.connect(chat.port);
  clients.push(c);
  expect(await c.next()).toMatch(/^\* welcome, you are guest\d+ \(\/help for commands\)$/);
  if (nick !== undefined) expect(await c.ask(`/nick ${nick}`)).toBe(lines.nickChanged(nick));
  return c;
}

/** The process serving `client`: the owner of the server's end of its connection. */
function processOf(client: LineClient): Pid {
  const row = sockets().find((r) => r.local.endsWith(`:${chat.port}`) && r.foreign.endsWith(`:${client.socket.localPort}`));
  if (row === undefined) throw new Error('no server socket for this client');
  return row.owner;
}

describe('parseCommand', () => {
  it.each([
    ['hello there', ['say', 'hello there']],
    ['  spaced  ', ['say', '  spaced  ']],
    ['', 'empty'],
    ['   ', 'empty'],
    ['/nick alice', ['nick', 'alice']],
    ['/nick  alice ', ['nick', 'alice']],
    ['/join #Lobby', ['join', 'lobby']],
    ['/join lobby', ['join', 'lobby']],
    ['/msg bob see  you', ['msg', 'bob', 'see  you']],
    ['/leave', 'leave'],
    ['/who', 'who'],
    ['/quit', 'quit'],
    ['/help', 'help'],
    ['/nick', ['error', '! usage: /nick NAME']],
    ['/nick a b', ['error', '! usage: /nick NAME']],
    ['/nick 1abc', ['error', lines.badNick('1abc')]],
    ['/nick abcdefghijklmnopq', ['error', lines.badNick('abcdefghijklmnopq')]],
    ['/join', ['error', '! usage: /join ROOM']],
    ['/join no!', ['error', lines.badRoom('no!')]],
    ['/msg bob', ['error', '! usage: /msg NICK TEXT']],
    ['/who everyone', ['error', '! usage: /who']],
    ['/dance', ['error', '! unknown command /dance (/help for commands)']],
    ['/', ['error', '! unknown command / (/help for commands)']],
  ] as const)('%j', (line, command) => {
    expect(parseCommand(line)).toEqual(command);
  });
});

describe('the chat server', () => {
  it('welcomes each client with its own guest nick, and /nick changes it', async () => {
    const a = await LineClient.connect(chat.port);
    const b = await LineClient.connect(chat.port);
    clients.push(a, b);
    const [wa, wb] = [await a.next(), await b.next()];
    expect(new Set([wa, wb])).toEqual(new Set([lines.welcome('guest1'), lines.welcome('guest2')]));
    expect(await a.ask('/nick alice')).toBe('* you are now alice');
    expect(await b.ask('/nick alice')).toBe('! nick alice is taken');
    expect(await a.ask('/nick alice')).toBe('* you are now alice'); // one's own nick again is fine
    expect(await b.ask('/help')).toBe(lines.help());
  });

  it('joins rooms: the joiner gets the members in join order, the others are told', async () => {
    const alice = await connect('alice');
    const bob = await connect('bob');
    const carol = await connect('carol');
    expect(await alice.ask('/join lobby')).toBe('* joined #lobby: alice');
    expect(await bob.ask('/join #LOBBY')).toBe('* joined #lobby: alice, bob');
    expect(await alice.next()).toBe('* bob joined #lobby');
    expect(await carol.ask('/join lobby')).toBe('* joined #lobby: alice, bob, carol');
    expect(await alice.next()).toBe('* carol joined #lobby');
    expect(await bob.next()).toBe('* carol joined #lobby');
    expect(await carol.ask('/who')).toBe('* #lobby: alice, bob, carol');
    expect(await carol.ask('/join lobby')).toBe('! already in #lobby');

    // Joining another room leaves the first one.
    expect(await bob.ask('/join kitchen')).toBe('* joined #kitchen: bob');
    expect(await alice.next()).toBe('* bob left #lobby');
    expect(await carol.next()).toBe('* bob left #lobby');
    expect(await bob.ask('/leave')).toBe('* left #kitchen');
    expect(await bob.ask('/leave')).toBe(lines.notInRoom());
    expect(await bob.ask('/who')).toBe(lines.notInRoom());
    expect(await bob.ask('anyone?')).toBe(lines.notInRoom());
    expect(await alice.quiet()).toEqual([]);
  });

  it('broadcasts to the whole room, the sender included, in one order for everyone', async () => {
    const names = ['alice', 'bob', 'carol'];
    const room = [];
    for (const name of names) room.push(await connect(name));
    const outsider = await connect('dave');
    for (const [i, c] of room.entries()) {
      expect(await c.ask('/join lobby')).toBe(`* joined #lobby: ${names.slice(0, i + 1).join(', ')}`);
      for (const earlier of room.slice(0, i)) expect(await earlier.next()).toBe(`* ${names[i]} joined #lobby`);
    }
    // 3 × 20 lines, written without waiting, interleaved by the network and the scheduler.
    for (let k = 0; k < 20; k++) for (const c of room) c.send(`message ${k}`);
    const seen = await Promise.all(room.map((c) => c.take(60)));
    expect(seen[1]).toEqual(seen[0]);
    expect(seen[2]).toEqual(seen[0]);
    for (const name of names) {
      const own = (seen[0] as string[]).filter((l) => l.startsWith(`<${name}> `));
      expect(own).toEqual(Array.from({ length: 20 }, (_, k) => `<${name}> message ${k}`));
    }
    expect(await outsider.quiet()).toEqual([]);
  });

  it('tells the room of a nick change, and later lines carry the new nick', async () => {
    const alice = await connect('alice');
    const bob = await connect('bob');
    await alice.ask('/join lobby');
    await bob.ask('/join lobby');
    await alice.next();
    expect(await bob.ask('/nick robert')).toBe('* you are now robert');
    expect(await alice.next()).toBe('* bob is now robert');
    bob.send('hello');
    expect(await alice.next()).toBe('<robert> hello');
    expect(await bob.next()).toBe('<robert> hello');
    expect(await alice.ask('/who')).toBe('* #lobby: alice, robert');
    // The old nick is free again, the new one is not.
    const other = await connect();
    expect(await other.ask('/nick robert')).toBe('! nick robert is taken');
    expect(await other.ask('/nick bob')).toBe('* you are now bob');
  });

  it('sends private messages to a nick, wherever it is', async () => {
    const alice = await connect('alice');
    const bob = await connect('bob');
    await alice.ask('/join lobby');
    expect(await bob.ask('/msg alice  see you at 5')).toBe('-> *alice* see you at 5');
    expect(await alice.next()).toBe('*bob* see you at 5');
    expect(await bob.ask('/msg nobody hello')).toBe('! no such nick: nobody');
  });

  it('answers every bad command with an error line and keeps the connection', async () => {
    const c = await connect('alice');
    for (const [line, answer] of [
      ['/frobnicate', '! unknown command /frobnicate (/help for commands)'],
      ['/nick', '! usage: /nick NAME'],
      ['/nick 9lives', lines.badNick('9lives')],
      ['/join', '! usage: /join ROOM'],
      ['/join what?', lines.badRoom('what?')],
      ['/msg', '! usage: /msg NICK TEXT'],
      ['/leave now', '! usage: /leave'],
      ['/leave', lines.notInRoom()],
      ['hello?', lines.notInRoom()],
    ] as const) {
      expect(await c.ask(line)).toBe(answer);
    }
    c.send(''); // an empty line gets no answer
    expect(await c.ask('/join lobby')).toBe('* joined #lobby: alice');
    // A CRLF line end is a line end too.
    c.socket.write('crlf\r\n');
    expect(await c.next()).toBe('<alice> crlf');
  });

  it('/quit says bye, closes the connection and tells the room', async () => {
    const alice = await connect('alice');
    const bob = await connect('bob');
    await alice.ask('/join lobby');
    await bob.ask('/join lobby');
    await alice.next();
    expect(await bob.ask('/quit')).toBe('* bye');
    await bob.closed;
    expect(await alice.next()).toBe('* bob left #lobby (quit)');
    expect(await alice.ask('/who')).toBe('* #lobby: alice');
  });

  it('removes a client whose socket is destroyed mid-conversation, and the room carries on', async () => {
    const alice = await connect('alice');
    const bob = await connect('bob');
    const carol = await connect('carol');
    for (const c of [alice, bob, carol]) await c.ask('/join lobby');
    await alice.take(2);
    await bob.take(1);
    bob.send('I am about to vanish');
    for (const c of [alice, bob, carol]) expect(await c.next()).toBe('<bob> I am about to vanish');
    const bobProcess = processOf(bob);
    bob.reset(); // RST: no goodbye at all
    expect(await alice.next()).toBe('* bob left #lobby (disconnected)');
    expect(await carol.next()).toBe('* bob left #lobby (disconnected)');
    expect(isProcessAlive(bobProcess)).toBe(false);
    carol.send('still here');
    expect(await alice.next()).toBe('<carol> still here');
    expect(await carol.next()).toBe('<carol> still here');
    expect(await alice.ask('/who')).toBe('* #lobby: alice, carol');

    // A plain close (FIN) is the same.
    carol.end();
    expect(await alice.next()).toBe('* carol left #lobby (disconnected)');
    expect(await alice.ask('/who')).toBe('* #lobby: alice');
    expect(logged).toEqual([]);
  });

  it('removes a client whose process crashes; its socket closes, the server logs it, the room carries on', async () => {
    const alice = await connect('alice');
    const bob = await connect('bob');
    await alice.ask('/join lobby');
    await bob.ask('/join lobby');
    await alice.next();
    exit(processOf(bob), 'kill');
    expect(await alice.next()).toBe('* bob left #lobby (crashed: killed)');
    await bob.closed; // the socket's owner is gone, so is the socket
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/^chat: client <0\.\d+\.0> crashed: killed$/);
    expect(await alice.ask('more?')).toBe('<alice> more?');
    // bob's nick was freed by the registry's monitor.
    const again = await connect();
    expect(await again.ask('/nick bob')).toBe('* you are now bob');
  });

  it('drops a client that stops reading once a write to it waits past send_timeout', async () => {
    await chat.stop();
    chat = await startChat({ port: 0, sendTimeout: 200, log: (line) => logged.push(line) });
    const alice = await connect('alice');
    const bob = await connect('bob');
    await alice.ask('/join lobby');
    await bob.ask('/join lobby');
    await alice.next();
    bob.socket.pause(); // bob reads no more: his kernel buffers fill, then the server's queue to him
    const line = 'x'.repeat(1000);
    let left = '';
    // Bounded: 20,000 lines of 1 KB are far more than the socket buffers hold.
    for (let i = 0; i < 20_000 && left === ''; i++) {
      alice.send(line);
      for (;;) {
        const got = await alice.next(5000);
        if (got.startsWith('* bob left')) left = got;
        else expect(got).toBe(`<alice> ${line}`);
        if (got === `<alice> ${line}` || left !== '') break;
      }
    }
    expect(left).toBe('* bob left #lobby (disconnected)');
    expect(await alice.ask('/who')).toBe('* #lobby: alice');
    expect(logged).toEqual([]);
  });

  it('keeps the room right while 30 clients join, talk and crash at will', async () => {
    const watcher = await connect('watcher');
    expect(await watcher.ask('/join lobby')).toBe('* joined #lobby: watcher');
    const crowd: LineClient[] = [];
    for (let i = 0; i < 30; i++) {
      const c = await connect(`user${i}`);
      c.send('/join lobby');
      crowd.push(c);
    }
    const joins = await watcher.take(30);
    expect(new Set(joins)).toEqual(new Set(crowd.map((_, i) => `* user${i} joined #lobby`)));
    // Every third one says something and then is reset, every third is closed, the rest stay.
    for (const [i, c] of crowd.entries()) {
      if (i % 3 === 0) {
        c.send(`bye from user${i}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
        c.reset();
      } else if (i % 3 === 1) c.end();
    }
    const events = await watcher.take(20 + 10);
    const leaves = events.filter((l) => l.endsWith(' (disconnected)'));
    expect(leaves).toHaveLength(20);
    for (let i = 0; i < 30; i += 3) {
      // Said before the connection went, so seen before the leave, when seen at all (a reset may drop it).
      const said = events.indexOf(`<user${i}> bye from user${i}`);
      if (said >= 0) expect(said).toBeLessThan(events.indexOf(`* user${i} left #lobby (disconnected)`));
    }
    const stayers = crowd.map((_, i) => `user${i}`).filter((_, i) => i % 3 === 2);
    expect(await watcher.ask('/who')).toBe(`* #lobby: ${['watcher', ...stayers].join(', ')}`);
  });

  it('stop() closes every connection and ends every process of the server', async () => {
    const before = processes().length;
    const alice = await connect('alice');
    const bob = await connect('bob');
    await alice.ask('/join lobby');
    await bob.ask('/join kitchen');
    expect(processes().length).toBe(before + 4); // two clients, two rooms
    await chat.stop();
    await Promise.all([alice.closed, bob.closed]);
    expect(isProcessAlive(chat.pid)).toBe(false);
    expect(processes()).toEqual([]);
    chat = await startChat({ port: 0 }); // for afterEach
  });
});

describe('the chat command', () => {
  it('prints "listening <port>", serves clients, and exits 0 on SIGTERM', async () => {
    const child = startTs('src/chat/main.ts', ['--port', '0']);
    const port = Number((await child.waitFor(/^listening (\d+)$/m))[1]);
    const a = await LineClient.connect(port);
    const b = await LineClient.connect(port);
    clients.push(a, b);
    await a.next();
    await b.next();
    expect(await a.ask('/nick ann')).toBe('* you are now ann');
    expect(await a.ask('/join lobby')).toBe('* joined #lobby: ann');
    expect(await b.ask('/join lobby')).toBe('* joined #lobby: ann, guest2');
    expect(await a.next()).toBe('* guest2 joined #lobby');
    b.send('hi ann');
    expect(await a.next()).toBe('<guest2> hi ann');
    expect(await child.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    await Promise.all([a.closed, b.closed]);
    expect(child.stderr).toBe('');
  });

  it('refuses a bad command line with exit code 2, and a taken port with 1', async () => {
    const bad = await runToEnd(process.execPath, ['--import', 'tsx', 'src/chat/main.ts', '--port', '99999']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('chat: --port must be an integer from 0 to 65535, got "99999"');
    const taken = await runToEnd(process.execPath, ['--import', 'tsx', 'src/chat/main.ts', '--port', String(chat.port)]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toBe(`chat: cannot listen on port ${chat.port}: eaddrinuse\n`);
  });
});
