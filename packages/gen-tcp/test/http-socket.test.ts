/**
 * Sockets in `{packet, http | http_bin | httph | httph_bin}` mode: terms
 * instead of bytes, `['http', s, packet]` in active mode, the start line /
 * headers state that makes pipelining work, and switching to `raw` for a
 * body. Every expected term is what an OTP 25 socket returned for the same
 * bytes (escripts run by hand, the streams are copied here).
 */
import { describe, expect, it } from 'vitest';
import { _, after, receive, run, self, send, sleep, spawn, type Pid } from '@beamline/runtime';
import * as gen_tcp from '../src/index.ts';
import * as inet from '../src/inet.ts';
import type { ListenSocket, OptionList, TcpSocket } from '../src/index.ts';
import { ok } from './helpers.ts';

const LOOPBACK = [127, 0, 0, 1] as const;
/** An Erlang string as `http`/`httph` return it: a list of bytes. */
const s = (text: string): number[] => [...Buffer.from(text, 'latin1')];
const b = (text: string): Buffer => Buffer.from(text, 'latin1');

/** A connected pair: `server` (accepted, with `options`) and a plain binary `client`. */
async function pair(options: OptionList): Promise<{ server: TcpSocket; client: TcpSocket }> {
  const l = ok(await gen_tcp.listen(0, [['ip', LOOPBACK], ...options]));
  const client = ok(await gen_tcp.connect(LOOPBACK, ok(inet.port(l)), ['binary', ['active', false]]));
  const server = ok(await gen_tcp.accept(l, 2000));
  gen_tcp.close(l);
  return { server, client };
}

/** `recv(S, 0)` until an error, as the OTP escripts did; the error ends the list. */
async function recvAll(socket: TcpSocket): Promise<unknown[]> {
  const out: unknown[] = [];
  for (let i = 0; i < 100; i++) {
    const r = await gen_tcp.recv(socket, 0, 2000);
    out.push(r[0] === 'ok' ? r[1] : r);
    if (r[0] === 'error') break;
  }
  return out;
}

describe('a socket in http mode', () => {
  it('reads pipelined requests with recv, header state and all, then closed', async () => {
    await run(async () => {
      const { server, client } = await pair([['packet', 'http'], ['active', false]]);
      expect(inet.getopts(server, ['packet'])).toEqual(['ok', [['packet', 'http']]]);
      gen_tcp.send(client, '\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\n\r\n');
      gen_tcp.close(client);
      expect(await recvAll(server)).toEqual([
        ['http_error', s('\r\n')],
        ['http_request', 'GET', ['abs_path', s('/')], [1, 1]],
        ['http_header', 14, 'Host', s('Host'), s('x')],
        'http_eoh',
        ['http_request', 'GET', ['abs_path', s('/b')], [1, 1]],
        'http_eoh',
        ['error', 'closed'],
      ]);
    });
  });

  it('delivers [http, S, Packet] in active mode, Buffers for http_bin, then tcp_closed', async () => {
    await run(async () => {
      const { server, client } = await pair([['packet', 'http_bin'], ['active', true]]);
      gen_tcp.send(client, 'garbage\r\nGET / HTTP/1.1\r\nbad header\r\nX: y\r\n\r\n');
      gen_tcp.close(client);
      const got: unknown[] = [];
      for (let i = 0; i < 6; i++) got.push(await receive(['http', server, _], ['tcp_closed', server], after(2000)));
      expect(got).toEqual([
        ['http', server, ['http_error', b('garbage\r\n')]],
        ['http', server, ['http_request', 'GET', ['abs_path', b('/')], [1, 1]]],
        ['http', server, ['http_error', b('bad header\r\n')]],
        ['http', server, ['http_header', 0, b('X'), b('X'), b('y')]],
        ['http', server, 'http_eoh'],
        ['tcp_closed', server],
      ]);
    });
  });

  it('re-arms {active, once} per packet, in list mode too', async () => {
    await run(async () => {
      const { server, client } = await pair(['list', ['packet', 'http'], ['active', 'once']]);
      gen_tcp.send(client, 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
      const got: unknown[] = [];
      for (let i = 0; i < 3; i++) {
        got.push(await receive([_, server, _], after(2000)));
        expect(inet.getopts(server, ['active'])).toEqual(['ok', [['active', false]]]);
        inet.setopts(server, [['active', 'once']]);
      }
      expect(got).toEqual([
        ['http', server, ['http_response', [1, 1], 200, s('OK')]],
        ['http', server, ['http_header', 38, 'Content-Length', s('Content-Length'), s('0')]],
        ['http', server, 'http_eoh'],
      ]);
      gen_tcp.close(client);
      gen_tcp.close(server);
    });
  });

  it('reads a body in raw mode between two requests, keeping the header state across setopts', async () => {
    await run(async () => {
      const { server, client } = await pair(['binary', ['packet', 'http_bin'], ['active', false]]);
      gen_tcp.send(client, 'POST /a HTTP/1.1\r\nContent-Length: 4\r\n\r\nbodyGET /b HTTP/1.1\r\nX: y\r\n\r\n');
      const request = async (): Promise<unknown[]> => {
        const packets: unknown[] = [];
        for (let i = 0; i < 10; i++) {
          const p = ok(await gen_tcp.recv(server, 0, 2000));
          packets.push(p);
          if (p === 'http_eoh') break;
        }
        return packets;
      };
      expect(await request()).toEqual([
        ['http_request', 'POST', ['abs_path', b('/a')], [1, 1]],
        ['http_header', 38, 'Content-Length', b('Content-Length'), b('4')],
        'http_eoh',
      ]);
      inet.setopts(server, [['packet', 'raw']]);
      expect(ok(await gen_tcp.recv(server, 4, 2000))).toEqual(b('body'));
      inet.setopts(server, [['packet', 'http_bin']]);
      expect(await request()).toEqual([
        ['http_request', 'GET', ['abs_path', b('/b')], [1, 1]],
        ['http_header', 0, b('X'), b('X'), b('y')],
        'http_eoh',
      ]);
      // A header line stays a header line after setopts of the same type (OTP keeps the driver's state).
      gen_tcp.send(client, 'GET /c HTTP/1.1\r\nA: 1\r\n\r\n');
      expect(ok(await gen_tcp.recv(server, 0, 2000))).toEqual(['http_request', 'GET', ['abs_path', b('/c')], [1, 1]]);
      inet.setopts(server, [['packet', 'http_bin']]);
      expect(ok(await gen_tcp.recv(server, 0, 2000))).toEqual(['http_header', 0, b('A'), b('A'), b('1')]);
      gen_tcp.close(client);
      gen_tcp.close(server);
    });
  });

  it('a header line longer than the receive buffer is emsgsize without packet_size', async () => {
    await run(async () => {
      const { server, client } = await pair(['binary', ['packet', 'http_bin'], ['active', false]]);
      gen_tcp.send(client, `GET / HTTP/1.1\r\nLink: ${'a'.repeat(2000)}\r\n\r\n`);
      expect(ok(await gen_tcp.recv(server, 0, 2000))).toEqual(['http_request', 'GET', ['abs_path', b('/')], [1, 1]]);
      expect(await gen_tcp.recv(server, 0, 2000)).toEqual(['error', 'emsgsize']);
      gen_tcp.close(client);
      gen_tcp.close(server);
    });
  });

  it('recv(S, N > 0) is einval in http mode (lengths are for raw only)', async () => {
    await run(async () => {
      const { server, client } = await pair([['packet', 'http'], ['active', false]]);
      expect(await gen_tcp.recv(server, 5, 100)).toEqual(['error', 'einval']);
      gen_tcp.close(client);
      gen_tcp.close(server);
    });
  });

  it('controllingProcess moves queued http messages, in order', async () => {
    await run(async () => {
      const { server, client } = await pair([['packet', 'http'], ['active', true]]);
      gen_tcp.send(client, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      // Wait until the three packets are in this mailbox, then hand the socket over.
      const first = await receive(['http', server, _], after(2000));
      expect(first).toEqual(['http', server, ['http_request', 'GET', ['abs_path', s('/')], [1, 1]]]);
      const parent = self();
      const heir: Pid = spawn(async () => {
        const got: unknown[] = [];
        for (let i = 0; i < 2; i++) {
          const m = await receive(['http', server, _], after(2000));
          if (m !== undefined) got.push(m[2]);
        }
        send(parent, ['heir', got]);
      });
      await sleep(50);
      expect(gen_tcp.controllingProcess(server, heir)).toBe('ok');
      expect((await receive(['heir', _], after(3000)))?.[1]).toEqual([
        ['http_header', 14, 'Host', s('Host'), s('x')],
        'http_eoh',
      ]);
      gen_tcp.close(client);
    });
  });
});

describe('gen_tcp_misc_SUITE: http', () => {
  // OTP: a client sends "\r\n" and closes; the {packet, http} server's recv gives {ok, {http_error, _}} (no hang).
  it('http_bad_packet', async () => {
    await run(async () => {
      const l = ok(await gen_tcp.listen(0, [['active', false], 'binary', ['reuseaddr', true], ['packet', 'http']]));
      const port = ok(inet.port(l));
      const me = self();
      // The client sends the result of its send to the test process, which checks it.
      spawn(async () => {
        const c = ok(await gen_tcp.connect('localhost', port, [['active', false], 'binary']));
        send(me, ['client_sent', gen_tcp.send(c, '\r\n')]);
        gen_tcp.close(c);
      });
      const sock = ok(await gen_tcp.accept(l, 5000));
      let error: unknown;
      for (let i = 0; i < 10 && error === undefined; i++) {
        const packet: unknown = ok(await gen_tcp.recv(sock, 0, 3000));
        if (Array.isArray(packet) && packet[0] === 'http_error') error = packet;
      }
      expect(error).toEqual(['http_error', s('\r\n')]);
      expect(await receive(['client_sent', _], after(5000))).toEqual(['client_sent', 'ok']);
      gen_tcp.close(l);
    });
  });

  // OTP: packet_size 16384 lets http/httph read an 8 KB `Link:` header line, longer than the
  // receive buffer, in an {active, once} server and in a passive client.
  it('otp_9389', async () => {
    await run(async () => {
      const ls = ok(await gen_tcp.listen(0, [['active', false]]));
      const portNum = ok(inet.port(ls));
      const origLinkHdr = '/' + 'S'.repeat(8192);
      const parent = self();
      // The server reports its outcome: an expect failing inside a spawned process would only crash it.
      spawn(async () => {
        try {
          await otp9389Server(ls, origLinkHdr);
          send(parent, ['server', 'ok']);
        } catch (error) {
          send(parent, ['server', String(error)]);
        }
      });
      const sock = ok(await gen_tcp.connect('localhost', portNum, ['binary', ['active', false]]));
      expect(gen_tcp.send(sock, `GET / HTTP/1.1\r\nHost: localhost\r\nLink: ${origLinkHdr}\r\n\r\n`)).toBe('ok');
      expect(inet.setopts(sock, [['packet', 'http']])).toBe('ok');
      expect(ok(await gen_tcp.recv(sock, 0, 3000))).toEqual(['http_response', [1, 1], 200, s('OK')]);
      expect(inet.setopts(sock, [['packet', 'httph'], ['packet_size', 16384]])).toBe('ok');
      expect(ok(await gen_tcp.recv(sock, 0, 3000))).toEqual(['http_header', 38, 'Content-Length', s('Content-length'), s('0')]);
      expect(ok(await gen_tcp.recv(sock, 0, 3000))).toEqual(['http_header', 0, s('Link'), s('Link'), s(origLinkHdr)]);
      gen_tcp.close(sock);
      gen_tcp.close(ls);
      expect((await receive(['server', _], after(5000)))?.[1]).toBe('ok');
    });
  });
});

/** otp_9389's server: an {active, once} http reader of one request, then the response with the long header. */
async function otp9389Server(ls: ListenSocket, origLinkHdr: string): Promise<void> {
  const sock = ok(await gen_tcp.accept(ls, 5000));
  expect(inet.setopts(sock, [['packet_size', 16384]])).toBe('ok');
  expect(inet.setopts(sock, [['active', 'once'], ['packet', 'http']])).toBe('ok');
  expect(await receive(['http', sock, ['http_request', 'GET', _, _]], after(3000))).toBeDefined();
  for (let i = 0; i < 10; i++) {
    expect(inet.setopts(sock, [['active', 'once'], ['packet', 'httph']])).toBe('ok');
    const m: unknown = (await receive(['http', sock, _], after(3000)))?.[2];
    if (m === 'http_eoh') break;
    expect(Array.isArray(m) && m[0] === 'http_header', `header expected, got ${JSON.stringify(m)}`).toBe(true);
    const [, , field, , value] = m as [string, number, number[], number[], number[]];
    if (Buffer.from(field).toString() === 'Link') expect(Buffer.from(value).toString()).toBe(origLinkHdr);
  }
  gen_tcp.send(sock, `HTTP/1.1 200 OK\r\nContent-length: 0\r\nLink: ${origLinkHdr}\r\n\r\n`);
  gen_tcp.close(sock);
}
