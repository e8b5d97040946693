/**
 * The main demo (`pnpm start`): Erlang's process model at work in one run.
 * A registered counter server, a ring of 1,000 processes, a crash travelling
 * along links to a process that traps exits, a monitor, a timer, and a
 * selective receive, then a summary. Exits 0 when everything behaved.
 *
 * Then the examples' echo server, driven by three clients, and the chat
 * server with two users in a room, one of whom vanishes, all over 127.0.0.1.
 */
import {
  _,
  after,
  exit,
  monitor,
  on,
  processFlag,
  processes,
  receive,
  register,
  run,
  self,
  send,
  sleep,
  sendAfter,
  spawn,
  spawnLink,
  whereis,
  type Pid,
} from '@beamline/runtime';
import * as gen_tcp from '@beamline/gen-tcp';
import type { TcpSocket } from '@beamline/gen-tcp';
import { startChat } from './chat/server.js';
import { startEchoServer } from './echo-server.js';

const checks: [string, boolean][] = [];
function check(what: string, ok: boolean): void {
  checks.push([what, ok]);
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
}

// counter(N) -> receive {incr, From} -> From ! {count, N+1}, counter(N+1); stop -> ok end.
async function counter(start: number): Promise<void> {
  let n = start;
  for (;;) {
    const msg = await receive(['incr', _], 'stop');
    if (msg === 'stop') return;
    n += 1;
    send(msg[1] as Pid, ['count', n]);
  }
}

async function ringNode(next: Pid): Promise<void> {
  for (;;) {
    const m = (await receive()) as number;
    send(next, m);
    if (m === 0) return;
  }
}

async function main(): Promise<void> {
  const me = self();
  console.log(`main process ${me}`);

  // A registered server, called by name.
  const server = spawn(counter, 0);
  register('counter', server);
  for (let i = 0; i < 3; i++) send('counter', ['incr', me]);
  const counts: number[] = [];
  for (let i = 0; i < 3; i++) {
    const [, n] = await receive(['count', _]);
    counts.push(n as number);
  }
  check(`counter ${server} registered as 'counter' answered ${counts.join(', ')}`, counts.join() === '1,2,3');
  send('counter', 'stop');

  // A ring of 1,000 processes, the message passed 100 times around.
  const t0 = performance.now();
  let next = me;
  for (let i = 0; i < 999; i++) next = spawn(ringNode, next);
  send(next, 100);
  for (;;) {
    const m = (await receive()) as number;
    if (m === 0) break;
    send(next, m - 1);
  }
  const ms = performance.now() - t0;
  check(`ring of 1,000 processes: 100,000 messages in ${ms.toFixed(0)} ms`, true);

  // A crash travels along links: worker -> middle -> (trapping) main.
  processFlag('trap_exit', true);
  const middle = spawnLink(async () => {
    spawnLink(async () => {
      await sleep(10);
      throw new Error('worker failed');
    });
    await receive(); // never returns: the link kills it first
  });
  const [, from, reason] = await receive(['EXIT', _, _]);
  check(`crash reached main as ['EXIT', ${from}, ${(reason as Error).message}] from ${middle}`, from === middle);

  // A monitor sees a kill.
  const victim = spawn(async () => {
    await receive();
  });
  const ref = monitor(victim);
  exit(victim, 'kill');
  const down = await receive(['DOWN', ref, 'process', victim, _]);
  check(`monitor saw ${victim} go down with reason ${String(down[4])}`, down[4] === 'killed');

  // A timer, and selective receive picking it out of other messages.
  sendAfter(20, me, 'tick');
  send(me, 'noise-1');
  send(me, 'noise-2');
  const tick = await receive(on('tick', () => 'got the tick first'), after(1000, () => 'no tick'));
  const rest = [await receive(), await receive()];
  check(`${tick}; the others stayed in order: ${rest.join(', ')}`, tick === 'got the tick first' && rest.join() === 'noise-1,noise-2');

  check(`'counter' is unregistered once it exited: ${String(whereis('counter'))}`, whereis('counter') === undefined);
}

/** The servers run in processes of their own; this process drives them as clients would. */
async function tcp(echoPort: number, chatPort: number): Promise<void> {
  const me = self();
  // gen_tcp: the echo server of `pnpm --filter @beamline/examples echo`, {packet, 2} and {active, once}.
  for (let i = 0; i < 3; i++) spawn(echoClient, echoPort, me, i);
  const echoed: string[] = [];
  for (let i = 0; i < 3; i++) {
    const m = await receive(['echoed', _], after(2000));
    if (m !== undefined) echoed.push(m[1] as string);
  }
  check(`echo server on port ${echoPort} answered ${echoed.length} clients: ${echoed.sort().join(', ')}`, echoed.length === 3);

  // The chat server of `pnpm --filter @beamline/examples chat`: two users in a room, one of them vanishes.
  const alice = spawn(chatUser, chatPort, me, 'alice');
  const bob = spawn(chatUser, chatPort, me, 'bob');
  const heard = (who: string, text: RegExp) =>
    receive(
      on(['heard', who, (line: unknown) => typeof line === 'string' && text.test(line)], (m) => m[2] as string),
      after(3000, () => `(nothing like ${text} for ${who})`),
    );
  const joinedAlice = await heard('alice', /joined #lobby/);
  const joinedBob = await heard('bob', /joined #lobby/);
  send(alice, ['say', 'hello, bob']);
  const bobHeard = await heard('bob', /<alice>/);
  send(bob, ['say', 'hi alice, got to go']);
  const aliceHeard = await heard('alice', /<bob>/);
  exit(bob, 'kill'); // bob's client process dies; its socket closes with it
  const gone = await heard('alice', /bob left/);
  for (const line of [joinedAlice, joinedBob, bobHeard, aliceHeard, gone]) console.log(`  chat: ${line}`);
  check(`chat server on port ${chatPort}: a message each way, and bob's disappearance told to alice`, bobHeard === '<alice> hello, bob' && aliceHeard === '<bob> hi alice, got to go' && /bob left #lobby/.test(gone));
  exit(alice, 'kill');
}

async function echoClient(echoPort: number, parent: Pid, i: number): Promise<void> {
  const [, s] = (await gen_tcp.connect([127, 0, 0, 1], echoPort, ['binary', ['packet', 2], ['active', false]])) as readonly ['ok', TcpSocket];
  await gen_tcp.send(s, `hello from client ${i}`);
  const r = await gen_tcp.recv(s, 0, 1000);
  gen_tcp.close(s);
  send(parent, ['echoed', r[0] === 'ok' ? (r[1] as Buffer).toString() : `error ${String(r[1])}`]);
}

/** A chat user: picks a nick, joins #lobby, says what it is told to, and reports every line it hears. */
async function chatUser(chatPort: number, parent: Pid, nick: string): Promise<void> {
  const [, s] = (await gen_tcp.connect([127, 0, 0, 1], chatPort, ['binary', ['packet', 'line'], ['active', true]])) as readonly ['ok', TcpSocket];
  await gen_tcp.send(s, `/nick ${nick}\n/join lobby\n`);
  for (;;) {
    const m = await receive(['tcp', s, _], ['tcp_closed', s], ['say', _]);
    if (m[0] === 'tcp_closed') return;
    if (m[0] === 'say') await gen_tcp.send(s, `${String(m[1])}\n`);
    else send(parent, ['heard', nick, (m[2] as Buffer).toString().trimEnd()]);
  }
}

await run(main);
// The servers are started and stopped from top-level code, as a program's main would.
const echo = await startEchoServer({ packet: 2, active: 'once' });
const chat = await startChat({ log: (line) => console.log(`  chat server: ${line}`) });
await run(() => tcp(echo.port, chat.port));
await echo.stop();
await chat.stop();
// The chat server's last processes (linked to it) end with it, a turn of the event loop later.
for (let i = 0; i < 100 && processes().length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
const live = processes().length;
const failed = checks.filter(([, ok]) => !ok).length;
console.log(`\n${checks.length - failed}/${checks.length} checks passed; ${live} processes left running`);
process.exitCode = failed === 0 ? 0 : 1;
