/**
 * The socket core on real sockets over 127.0.0.1: connect/listen/accept,
 * active and passive delivery, recv rules, ownership, close.
 */
import { describe, expect, it } from 'vitest';
import { _, after, exit, isProcessAlive, monitor, receive, run, self, send, sleep, spawn, type Pid } from '@beamline/runtime';
import * as gen_tcp from '../src/index.ts';
import * as inet from '../src/inet.ts';
import type { ListenSocket, TcpSocket } from '../src/index.ts';
import { ok } from './helpers.ts';

async function listenOn(options: Parameters<typeof gen_tcp.listen>[1]): Promise<[ListenSocket, number]> {
  const l = ok(await gen_tcp.listen(0, options));
  return [l, ok(inet.port(l))];
}

describe('the seed documentation examples', () => {
  it('client/server with {packet,2}: the server reads packets passively until the client closes', async () => {
    const received = await run(async () => {
      const [l, port] = await listenOn(['binary', ['packet', 2], ['active', false]]);
      const me = self();
      spawn(async () => {
        const s = ok(await gen_tcp.connect('localhost', port, ['binary', ['packet', 2]]));
        gen_tcp.send(s, 'Some Data');
        gen_tcp.send(s, ['more ', Buffer.from('data')]);
        gen_tcp.close(s);
        send(me, 'client done');
      });
      const sock = ok(await gen_tcp.accept(l, 1000));
      // do_recv(Sock, Bs)
      const bs: Buffer[] = [];
      for (;;) {
        const r = await gen_tcp.recv(sock, 0, 1000);
        if (r[0] === 'error') {
          expect(r[1]).toBe('closed');
          break;
        }
        bs.push(r[1] as Buffer);
      }
      gen_tcp.close(sock);
      gen_tcp.close(l);
      await receive('client done');
      return bs.map((b) => b.toString());
    });
    expect(received).toEqual(['Some Data', 'more data']);
  });

  it('an acceptor pool with {packet,2} and {active,once} echoes every client', async () => {
    const replies = await run(async () => {
      const [l, port] = await listenOn(['binary', ['packet', 2], ['active', 'once']]);
      const server = async (ls: ListenSocket): Promise<void> => {
        const r = await gen_tcp.accept(ls);
        if (r[0] === 'error') return;
        const s = r[1];
        for (;;) {
          const m = await receive(['tcp', s, _], ['tcp_closed', s]);
          if (m[0] === 'tcp_closed') return;
          inet.setopts(s, [['active', 'once']]);
          gen_tcp.send(s, m[2] as Buffer);
        }
      };
      for (let i = 0; i < 4; i++) spawn(server, l);
      const me = self();
      for (let i = 0; i < 4; i++) {
        spawn(async () => {
          const s = ok(await gen_tcp.connect([127, 0, 0, 1], port, ['binary', ['packet', 2], ['active', false]]));
          gen_tcp.send(s, `hello ${i}`);
          const r = ok(await gen_tcp.recv(s, 0, 1000));
          gen_tcp.close(s);
          send(me, ['reply', i, (r as Buffer).toString()]);
        });
      }
      const got: string[] = [];
      for (let i = 0; i < 4; i++) {
        const m = await receive(['reply', _, _], after(2000));
        if (m === undefined) throw new Error('no reply');
        got.push(m[2] as string);
      }
      gen_tcp.close(l);
      return got.sort();
    });
    expect(replies).toEqual(['hello 0', 'hello 1', 'hello 2', 'hello 3']);
  });

  it('start/2 + client/2: Num workers accept on one {packet,2} socket, loop with {active,once}, accept again', async () => {
    await run(async () => {
      const me = self();
      // process(Data): not implemented in the documentation; here it reverses the bytes.
      const processData = (data: number[]): number[] => [...data].reverse();
      // server(LS) / loop(S)
      const server = async (ls: ListenSocket): Promise<void> => {
        for (;;) {
          const r = await gen_tcp.accept(ls);
          if (r[0] === 'error') {
            send(me, ['accept returned', r, self()]); // io:format("accept returned ~w - goodbye!~n",[Other])
            return;
          }
          const s = r[1];
          for (;;) {
            inet.setopts(s, [['active', 'once']]);
            const m = await receive(['tcp', s, _], ['tcp_closed', s]);
            if (m[0] === 'tcp_closed') break; // io:format("Socket ~w closed [~w]~n",[S,self()])
            gen_tcp.send(s, processData(m[2] as number[]));
          }
        }
      };
      // start(Num, LPort)
      const start = async (num: number, lport: number): Promise<[number, ListenSocket]> => {
        const ls = ok(await gen_tcp.listen(lport, [['active', false], ['packet', 2]]));
        for (let i = 0; i < num; i++) spawn(server, ls);
        return [ok(inet.port(ls)), ls];
      };
      // client(PortNo, Message)
      const client = async (portNo: number, message: string) => {
        const sock = ok(await gen_tcp.connect('localhost', portNo, [['active', false], ['packet', 2]]));
        gen_tcp.send(sock, message);
        const a = await gen_tcp.recv(sock, 0);
        gen_tcp.close(sock);
        return a;
      };
      const [port, ls] = await start(2, 0);
      // More calls than workers: each worker goes back to accept after its client closes.
      for (const msg of ['hello', 'world', 'again', '!']) {
        expect(await client(port, msg)).toEqual(['ok', [...Buffer.from(msg)].reverse()]);
      }
      gen_tcp.close(ls);
      for (let i = 0; i < 2; i++) {
        const m = await receive(['accept returned', _, _], after(1000));
        expect(m?.[1]).toEqual(['error', 'closed']);
      }
    });
  });
});

describe('recv', () => {
  it('raw recv(s, n) returns exactly n bytes; recv(s, 0) what is there; a timeout keeps the data', async () => {
    await run(async () => {
      const [l, port] = await listenOn(['binary', ['active', false]]);
      const c = ok(await gen_tcp.connect('127.0.0.1', port, ['binary', ['active', false]]));
      const s = ok(await gen_tcp.accept(l, 1000));
      gen_tcp.send(c, 'abcdef');
      expect(await gen_tcp.recv(s, 10, 50)).toEqual(['error', 'timeout']);
      const three = ok(await gen_tcp.recv(s, 3, 1000)) as Buffer;
      expect(three.toString()).toBe('abc');
      const rest = ok(await gen_tcp.recv(s, 0, 1000)) as Buffer;
      expect(rest.toString()).toBe('def');
      gen_tcp.close(c);
      gen_tcp.close(s);
      gen_tcp.close(l);
    });
  });

  it('recv on an active socket is einval; a second concurrent recv is ealready; a length with a packet type is einval', async () => {
    await run(async () => {
      const [l, port] = await listenOn(['binary', ['active', false], ['packet', 2]]);
      const c = ok(await gen_tcp.connect('127.0.0.1', port, ['binary', ['active', true]]));
      const s = ok(await gen_tcp.accept(l, 1000));
      expect(await gen_tcp.recv(c, 0, 10)).toEqual(['error', 'einval']);
      expect(await gen_tcp.recv(s, 5, 10)).toEqual(['error', 'einval']);
      const me = self();
      spawn(async () => {
        send(me, ['first', await gen_tcp.recv(s, 0, 200)]);
      });
      await sleep(20);
      expect(await gen_tcp.recv(s, 0, 10)).toEqual(['error', 'ealready']);
      const [, first] = await receive(['first', _]);
      expect(first).toEqual(['error', 'timeout']);
      for (const x of [c, s, l]) gen_tcp.close(x);
    });
  });

  it('a process that is not the owner, killed while it waits in recv, takes no data with it', async () => {
    await run(async () => {
      const [l, port] = await listenOn(['binary', ['active', false]]);
      const c = ok(await gen_tcp.connect('127.0.0.1', port, ['binary', ['active', false]]));
      const s = ok(await gen_tcp.accept(l, 1000));
      const reader = spawn(async () => {
        await gen_tcp.recv(s, 0);
      });
      await sleep(10);
      expect(await gen_tcp.recv(s, 0, 10)).toEqual(['error', 'ealready']);
      exit(reader, 'kill');
      await sleep(10);
      expect(isProcessAlive(reader)).toBe(false);
      expect(await gen_tcp.send(c, 'after the kill')).toBe('ok');
      expect((ok(await gen_tcp.recv(s, 0, 1000)) as Buffer).toString()).toBe('after the kill');
      for (const x of [c, s, l]) gen_tcp.close(x);
    });
  });

  it('a recv whose socket another process closes while the caller is blocking gets closed, not a hang', async () => {
    await run(async () => {
      const [l, port] = await listenOn(['binary', ['active', false]]);
      const c = ok(await gen_tcp.connect('127.0.0.1', port, ['binary', ['active', false]]));
      const s = ok(await gen_tcp.accept(l, 1000));
      // Its body starts when the recv below blocks: it closes the socket before the caller's wait is in place.
      spawn(() => {
        gen_tcp.close(s);
      });
      expect(await gen_tcp.recv(s, 0, 1000)).toEqual(['error', 'closed']);
      gen_tcp.close(c);
      gen_tcp.close(l);
    });
  });

  it('recv and accept with a timeout past 2^31-1 ms wait (Node would fire such a timer at once), as OTP 25 does', async () => {
    await run(async () => {
      const [l, port] = await listenOn(['binary', ['active', false]]);
      const me = self();
      spawn(async () => {
        const r = await gen_tcp.accept(l, 2 ** 31 + 5);
        if (r[0] === 'ok') gen_tcp.controllingProcess(r[1], me);
        send(me, ['accepted', r]);
      });
      await sleep(50);
      expect(await receive(['accepted', _], after(0))).toBeUndefined();
      const c = ok(await gen_tcp.connect('127.0.0.1', port, ['binary', ['active', false]], 2 ** 32));
      const [, accepted] = await receive(['accepted', _]);
      const s = ok(accepted as Awaited<ReturnType<typeof gen_tcp.accept>>);
      spawn(async () => {
        send(me, ['got', await gen_tcp.recv(s, 0, 2 ** 31)]);
      });
      await sleep(50);
      expect(await receive(['got', _], after(0))).toBeUndefined();
      expect(await gen_tcp.send(c, 'late')).toBe('ok');
      expect(await receive(['got', _], after(1000))).toEqual(['got', ['ok', Buffer.from('late')]]);
      for (const x of [c, s, l]) gen_tcp.close(x);
    });
  });

  it('after the peer closes: closed once, then enotconn (exit_on_close true)', async () => {
    await run(async () => {
      const [l, port] = await listenOn(['binary', ['active', false]]);
      const c = ok(await gen_tcp.connect('127.0.0.1', port, ['binary']));
      const s = ok(await gen_tcp.accept(l, 1000));
      gen_tcp.close(c);
      expect(await gen_tcp.recv(s, 0, 1000)).toEqual(['error', 'closed']);
      expect(await gen_tcp.recv(s, 0, 1000)).toEqual(['error', 'enotconn']);
      gen_tcp.close(l);
    });
  });
});

describe('active modes', () => {
  it('{active, N} delivers N packets then tcp_passive; switching to active delivers buffered packets', async () => {
    await run(async () => {
      const [l, port] = await listenOn(['binary', ['packet', 4], ['active', 2]]);
      const c = ok(await gen_tcp.connect('127.0.0.1', port, ['binary', ['packet', 4]]));
      const s = ok(await gen_tcp.accept(l, 1000));
      for (const w of ['one', 'two', 'three', 'four']) gen_tcp.send(c, w);
      const seen: string[] = [];
      seen.push(((await receive(['tcp', s, _]))[2] as Buffer).toString());
      seen.push(((await receive(['tcp', s, _]))[2] as Buffer).toString());
      expect(await receive(['tcp_passive', s], after(1000))).toEqual(['tcp_passive', s]);
      expect(await receive(['tcp', s, _], after(50))).toBeUndefined();
      inet.setopts(s, [['active', true]]);
      seen.push(((await receive(['tcp', s, _]))[2] as Buffer).toString());
      seen.push(((await receive(['tcp', s, _]))[2] as Buffer).toString());
      expect(seen).toEqual(['one', 'two', 'three', 'four']);
      gen_tcp.close(c);
      expect(await receive(['tcp_closed', s], after(1000))).toEqual(['tcp_closed', s]);
      gen_tcp.close(l);
    });
  });

  it('list mode delivers number[]', async () => {
    await run(async () => {
      const [l, port] = await listenOn(['list', ['active', true]]);
      const c = ok(await gen_tcp.connect('127.0.0.1', port, []));
      const s = ok(await gen_tcp.accept(l, 1000));
      gen_tcp.send(c, [1, 2, Buffer.from([3])]);
      const [, , data] = await receive(['tcp', s, _]);
      expect(data).toEqual([1, 2, 3]);
      for (const x of [c, s, l]) gen_tcp.close(x);
    });
  });
});

describe('ownership', () => {
  it('the owner exiting closes the socket and the peer sees it', async () => {
    await run(async () => {
      const [l, port] = await listenOn(['binary', ['active', false]]);
      const me = self();
      const owner = spawn(async () => {
        const c = ok(await gen_tcp.connect('127.0.0.1', port, ['binary']));
        send(me, ['connected', c]);
        await receive();
      });
      const [, c] = await receive(['connected', _]);
      const s = ok(await gen_tcp.accept(l, 1000));
      exit(owner, 'kill');
      expect(await gen_tcp.recv(s, 0, 1000)).toEqual(['error', 'closed']);
      expect(gen_tcp.send(c as TcpSocket, 'x')).toEqual(['error', 'closed']);
      gen_tcp.close(l);
    });
  });

  it('controllingProcess moves the queued tcp messages in order, ahead of later data; others get not_owner', async () => {
    await run(async () => {
      const [l, port] = await listenOn(['binary', ['active', true], ['packet', 2]]);
      const c = ok(await gen_tcp.connect('127.0.0.1', port, ['binary', ['packet', 2]]));
      const s = ok(await gen_tcp.accept(l, 1000));
      for (let i = 0; i < 5; i++) gen_tcp.send(c, `m${i}`);
      // Wait until all five sit in this mailbox.
      await sleep(50);
      const me = self();
      const heir: Pid = spawn(async () => {
        const got: string[] = [];
        for (let i = 0; i < 8; i++) {
          const [, , d] = await receive(['tcp', s, _]);
          got.push((d as Buffer).toString());
        }
        send(me, ['heir got', got]);
      });
      const stranger = spawn(async () => {
        send(me, ['stranger', gen_tcp.controllingProcess(s, self())]);
      });
      expect((await receive(['stranger', _]))[1]).toEqual(['error', 'not_owner']);
      expect(isProcessAlive(stranger)).toBe(false);
      expect(gen_tcp.controllingProcess(s, heir)).toBe('ok');
      for (let i = 5; i < 8; i++) gen_tcp.send(c, `m${i}`);
      const [, got] = await receive(['heir got', _], after(2000, () => ['heir got', 'nothing'] as const));
      expect(got).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7']);
      expect(await receive(['tcp', s, _], after(0))).toBeUndefined();
      for (const x of [c, l]) gen_tcp.close(x);
    });
  });
});

describe('header packet types on a socket', () => {
  it('{packet, tpkt} delivers whole packets, header included, however the bytes arrive', async () => {
    await run(async () => {
      const [l, port] = await listenOn(['binary', ['packet', 'tpkt'], ['active', true]]);
      const c = ok(await gen_tcp.connect('127.0.0.1', port, ['binary']));
      const s = ok(await gen_tcp.accept(l, 1000));
      const packet = Buffer.from([3, 0, 0, 9, 0x61, 0x62, 0x63, 0x64, 0x65]);
      gen_tcp.send(c, packet.subarray(0, 3));
      await sleep(20);
      gen_tcp.send(c, [packet.subarray(3), packet]);
      const first = await receive(['tcp', s, _], after(1000));
      const second = await receive(['tcp', s, _], after(1000));
      expect(first?.[2]).toEqual(packet);
      expect(second?.[2]).toEqual(packet);
      for (const x of [c, s, l]) gen_tcp.close(x);
    });
  });
});

describe('listen socket ownership', () => {
  it('controllingProcess moves a listen socket; the new owner exiting closes it', async () => {
    await run(async () => {
      const [l, port] = await listenOn([]);
      const heir = spawn(async () => {
        await receive('stop');
      });
      expect(gen_tcp.controllingProcess(l, heir)).toBe('ok');
      expect(gen_tcp.controllingProcess(l, self())).toEqual(['error', 'not_owner']);
      send(heir, 'stop');
      await sleep(20);
      expect(await gen_tcp.accept(l, 10)).toEqual(['error', 'closed']);
      expect(await gen_tcp.connect('127.0.0.1', port, [], 1000)).toEqual(['error', 'econnrefused']);
    });
  });
});

describe('accept', () => {
  it('several acceptors are served FIFO; closing the listen socket fails the rest with closed', async () => {
    await run(async () => {
      const [l, port] = await listenOn(['binary']);
      const me = self();
      for (let i = 0; i < 3; i++) {
        spawn(async () => {
          const r = await gen_tcp.accept(l, 2000);
          send(me, ['accepted', i, r[0] === 'ok' ? 'ok' : r[1]]);
        });
      }
      await sleep(20);
      const c = ok(await gen_tcp.connect('127.0.0.1', port, []));
      expect(await receive(['accepted', _, _])).toEqual(['accepted', 0, 'ok']);
      gen_tcp.close(l);
      const rest = [await receive(['accepted', _, _]), await receive(['accepted', _, _])];
      expect(rest).toEqual([
        ['accepted', 1, 'closed'],
        ['accepted', 2, 'closed'],
      ]);
      expect(await gen_tcp.accept(l, 10)).toEqual(['error', 'closed']);
      gen_tcp.close(c);
    });
  });

  it('a connection that arrives before any accept keeps the data it sent', async () => {
    await run(async () => {
      const [l, port] = await listenOn(['binary', ['active', false]]);
      const c = ok(await gen_tcp.connect('127.0.0.1', port, []));
      gen_tcp.send(c, 'early bytes');
      await sleep(30);
      const s = ok(await gen_tcp.accept(l, 1000));
      expect((ok(await gen_tcp.recv(s, 0, 1000)) as Buffer).toString()).toBe('early bytes');
      for (const x of [c, s, l]) gen_tcp.close(x);
    });
  });

  it('an acceptor killed while waiting is removed from the queue', async () => {
    await run(async () => {
      const [l, port] = await listenOn(['binary']);
      const doomed = spawn(async () => {
        await gen_tcp.accept(l);
      });
      const ref = monitor(doomed);
      await sleep(10);
      exit(doomed, 'kill');
      await receive(['DOWN', ref, 'process', doomed, _]);
      const c = ok(await gen_tcp.connect('127.0.0.1', port, []));
      const s = await gen_tcp.accept(l, 1000);
      expect(s[0]).toBe('ok');
      for (const x of [c, s[1] as TcpSocket, l]) gen_tcp.close(x);
    });
  });
});

describe('errors', () => {
  it('connecting to a closed port is econnrefused; listening on a used port is eaddrinuse; timeout 0 is timeout', async () => {
    await run(async () => {
      const [l, port] = await listenOn([]);
      gen_tcp.close(l);
      await sleep(10);
      expect(await gen_tcp.connect('127.0.0.1', port, [], 1000)).toEqual(['error', 'econnrefused']);
      const [l2, port2] = await listenOn([]);
      expect(await gen_tcp.listen(port2, [])).toEqual(['error', 'eaddrinuse']);
      expect(await gen_tcp.connect('127.0.0.1', port2, [], 0)).toEqual(['error', 'timeout']);
      gen_tcp.close(l2);
    });
  });

  it('a {port, P} option overrides the port argument of listen, as in OTP', async () => {
    await run(async () => {
      const probe = ok(await gen_tcp.listen(0, []));
      const free = ok(inet.port(probe));
      gen_tcp.close(probe);
      await sleep(10);
      const l = ok(await gen_tcp.listen(0, [['port', free]]));
      expect(inet.port(l)).toEqual(['ok', free]);
      gen_tcp.close(l);
    });
  });

  it('bad arguments throw badarg naming the culprit', async () => {
    await run(async () => {
      expect(() => gen_tcp.connect('127.0.0.1', 1, [], -1)).toThrow(/badarg: connect: timeout must not be negative/);
      expect(() => gen_tcp.connect('127.0.0.1', 70000, [])).toThrow(/badarg: connect: port/);
      expect(() => gen_tcp.send('nope' as never, 'x')).toThrow(/badarg: send: not a socket/);
      expect(() => gen_tcp.listen(0, [['bogus_option', 1]] as never)).toThrow(/badarg/);
    });
  });
});
