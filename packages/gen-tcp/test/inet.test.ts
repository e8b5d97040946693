/**
 * inet:getopts/2, inet:getstat/1,2 and the inet:i()-style listing, on real
 * sockets over 127.0.0.1. Every expected value was checked with OTP 25.
 */
import { describe, expect, it } from 'vitest';
import { _, after, receive, run, sleep } from '@beamline/runtime';
import * as gen_tcp from '../src/index.ts';
import * as inet from '../src/inet.ts';
import type { ListenSocket, OptionInput, TcpSocket } from '../src/index.ts';
import { ok } from './helpers.ts';

/** listen + connect + accept: [listen socket, accepted socket, client socket]. */
async function pair(serverOpts: OptionInput, clientOpts: OptionInput): Promise<[ListenSocket, TcpSocket, TcpSocket]> {
  const l = ok(await gen_tcp.listen(0, [['ip', [127, 0, 0, 1]], ...(serverOpts as unknown[])] as OptionInput));
  const c = ok(await gen_tcp.connect([127, 0, 0, 1], ok(inet.port(l)), clientOpts));
  const s = ok(await gen_tcp.accept(l, 1000));
  return [l, s, c];
}

const ZEROS = inet.STATS.map((name) => [name, 0]);

describe('inet.getopts', () => {
  it('reads the options back in the order asked, OTP-shaped; einval for an unknown name or a closed socket', async () => {
    await run(async () => {
      const [l, s, c] = await pair(['binary', ['packet', 4], ['active', true]], ['binary', ['packet', 'raw'], ['active', false]]);
      expect(inet.getopts(s, ['active', 'packet', 'exit_on_close', 'mode'])).toEqual([
        'ok',
        [['active', true], ['packet', 4], ['exit_on_close', true], ['mode', 'binary']],
      ]);
      // {packet, raw} reads back as 0.
      expect(inet.getopts(c, ['packet'])).toEqual(['ok', [['packet', 0]]]);
      expect(inet.getopts(s, [])).toEqual(['ok', []]);
      // The whole call fails for one bad name, an atom or not (OTP: {error, einval}).
      expect(inet.getopts(s, ['active', 'foo'])).toEqual(['error', 'einval']);
      expect(inet.getopts(s, [123 as unknown as string])).toEqual(['error', 'einval']);
      expect(inet.getopts(s, ['line_delimiter'])).toEqual(['error', 'einval']);
      // A listen socket answers too; ipv6_v6only on IPv4 is left out.
      expect(inet.getopts(l, ['packet', 'ipv6_v6only'])).toEqual(['ok', [['packet', 4]]]);
      gen_tcp.close(c);
      gen_tcp.close(s);
      gen_tcp.close(l);
      expect(inet.getopts(s, ['active'])).toEqual(['error', 'einval']);
      expect(inet.getopts(l, ['active'])).toEqual(['error', 'einval']);
      expect(() => inet.getopts({} as TcpSocket, ['active'])).toThrow(/badarg|not a socket/);
    });
  });

  it('active is the live mode: the count goes down as messages go out, once turns false', async () => {
    await run(async () => {
      const [l, s, c] = await pair(['binary', ['packet', 2], ['active', false]], ['binary', ['packet', 2], ['active', false]]);
      expect(inet.setopts(s, [['active', 3]])).toBe('ok');
      expect(inet.getopts(s, ['active'])).toEqual(['ok', [['active', 3]]]);
      gen_tcp.send(c, 'a');
      gen_tcp.send(c, 'b');
      await receive(['tcp', s, _], after(1000));
      await receive(['tcp', s, _], after(1000));
      expect(inet.getopts(s, ['active'])).toEqual(['ok', [['active', 1]]]);
      gen_tcp.send(c, 'c');
      await receive(['tcp', s, _], after(1000));
      expect(await receive(['tcp_passive', s], after(1000))).toEqual(['tcp_passive', s]);
      expect(inet.getopts(s, ['active'])).toEqual(['ok', [['active', false]]]);
      inet.setopts(s, [['active', 'once']]);
      expect(inet.getopts(s, ['active'])).toEqual(['ok', [['active', 'once']]]);
      gen_tcp.send(c, 'd');
      await receive(['tcp', s, _], after(1000));
      expect(inet.getopts(s, ['active'])).toEqual(['ok', [['active', false]]]);
      gen_tcp.close(c);
      gen_tcp.close(s);
      gen_tcp.close(l);
    });
  });
});

describe('inet.getstat', () => {
  it('a fresh socket reads ten zeros in OTP order; a listen socket too', async () => {
    await run(async () => {
      const [l, s, c] = await pair(['binary'], ['binary', ['active', false]]);
      expect(inet.getstat(c)).toEqual(['ok', ZEROS]);
      expect(inet.getstat(l)).toEqual(['ok', ZEROS]);
      expect(inet.STATS).toEqual(['recv_oct', 'recv_cnt', 'recv_max', 'recv_avg', 'recv_dvi', 'send_oct', 'send_cnt', 'send_max', 'send_avg', 'send_pend']);
      gen_tcp.close(c);
      gen_tcp.close(s);
      gen_tcp.close(l);
    });
  });

  it('counts packets with their header, one per send call and one per delivered packet (OTP 25 numbers)', async () => {
    await run(async () => {
      const [l, s, c] = await pair(['binary', ['packet', 4], ['active', true]], ['binary', ['packet', 4], ['active', false]]);
      gen_tcp.send(c, 'hello'); // 9 bytes with its header
      gen_tcp.send(c, 'hello world, longer'); // 23
      gen_tcp.send(c, [Buffer.from('ab'), 'c']); // 7: one send, one packet
      for (let i = 0; i < 3; i++) await receive(['tcp', s, _], after(1000));
      expect(inet.getstat(s)).toEqual(['ok', [
        ['recv_oct', 39], ['recv_cnt', 3], ['recv_max', 23], ['recv_avg', 13], ['recv_dvi', 0],
        ['send_oct', 0], ['send_cnt', 0], ['send_max', 0], ['send_avg', 0], ['send_pend', 0],
      ]]);
      expect(inet.getstat(c, ['send_oct', 'send_cnt', 'send_max', 'send_avg', 'recv_oct'])).toEqual(['ok', [
        ['send_oct', 39], ['send_cnt', 3], ['send_max', 23], ['send_avg', 13], ['recv_oct', 0],
      ]]);
      // A partial packet waiting in the framer is not counted (OTP: recv_oct stays 39).
      inet.setopts(c, [['packet', 'raw']]);
      gen_tcp.send(c, Buffer.from([0, 0, 0, 100, 97, 98, 99, 100, 101, 102]));
      await sleep(50);
      expect(inet.getstat(s, ['recv_oct', 'recv_cnt'])).toEqual(['ok', [['recv_oct', 39], ['recv_cnt', 3]]]);
      expect(inet.getstat(c, ['send_oct', 'send_cnt', 'send_avg'])).toEqual(['ok', [['send_oct', 49], ['send_cnt', 4], ['send_avg', 12]]]);
      // Unknown statistic or closed socket: einval.
      expect(inet.getstat(s, ['recv_oct', 'foo' as inet.StatName])).toEqual(['error', 'einval']);
      gen_tcp.close(c);
      gen_tcp.close(s);
      gen_tcp.close(l);
      expect(inet.getstat(s)).toEqual(['error', 'einval']);
    });
  });

  it('recv_avg and recv_dvi follow the driver’s running formulas', async () => {
    // OTP 25, packet 4, bodies of these sizes: [recv_avg, recv_dvi].
    const cases: [number[], number, number][] = [
      [[1, 100], 54, 24],
      [[100, 1], 54, 24],
      [[10, 10, 50], 27, 8],
      [[50, 10, 10], 27, 11],
      [[1, 2, 3, 4, 100], 26, 16],
      [[1000, 1, 1, 1], 254, 270],
    ];
    await run(async () => {
      for (const [sizes, avg, dvi] of cases) {
        const [l, s, c] = await pair(['binary', ['packet', 4], ['active', false]], ['binary', ['packet', 4], ['active', false]]);
        for (const n of sizes) gen_tcp.send(c, Buffer.alloc(n, 97));
        for (const n of sizes) expect((ok(await gen_tcp.recv(s, 0, 1000)) as Buffer).length).toBe(n);
        expect(inet.getstat(s, ['recv_avg', 'recv_dvi'])).toEqual(['ok', [['recv_avg', avg], ['recv_dvi', dvi]]]);
        gen_tcp.close(c);
        gen_tcp.close(s);
        gen_tcp.close(l);
      }
    });
  });
});

describe('inet.sockets / inet.i', () => {
  it('lists each open socket once with owner, addresses, state and octets; closed ones leave', async () => {
    await run(async () => {
      const [l, s, c] = await pair(['binary', ['active', false]], ['binary', ['active', false]]);
      gen_tcp.send(s, 'hello');
      ok(await gen_tcp.recv(c, 5, 1000));
      const lport = ok(inet.port(l));
      const rows = inet.sockets().filter((r) => r.socket === l || r.socket === s || r.socket === c);
      expect(rows.map((r) => [r.socket, r.state, r.recv, r.sent])).toEqual([
        [l, 'LISTEN', 0, 0],
        [c, 'CONNECTED', 5, 0],
        [s, 'CONNECTED', 0, 5],
      ]);
      const byS = rows.find((r) => r.socket === s)!;
      expect(byS.local).toBe(`127.0.0.1:${lport}`);
      expect(byS.foreign).toBe(`127.0.0.1:${ok(inet.port(c))}`);
      expect(byS.port).toBe(String(s));
      expect(rows.find((r) => r.socket === l)!.foreign).toBe('*:*');
      expect(rows.every((r) => r.owner === rows[0]!.owner && r.module === 'inet_tcp' && r.type === 'STREAM')).toBe(true);
      let printed = '';
      expect(inet.i((text) => (printed += text))).toBe('ok');
      const lines = printed.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^Port +Module +Recv +Sent +Owner +Local Address +Foreign Address +State +Type$/);
      expect(lines.some((line) => line.startsWith(String(s)) && line.includes(`127.0.0.1:${lport}`) && line.includes('CONNECTED'))).toBe(true);
      gen_tcp.close(c);
      gen_tcp.close(s);
      gen_tcp.close(l);
      expect(inet.sockets().some((r) => r.socket === l || r.socket === s || r.socket === c)).toBe(false);
    });
  });
});
