/**
 * Half-close (`shutdown`, `exit_on_close`) and resets (`show_econnreset`) on
 * real sockets over 127.0.0.1. Every expectation was first checked with an
 * OTP 25 escript doing the same steps.
 */
import { describe, expect, it } from 'vitest';
import { _, after, receive, run, sleep } from '@beamline/runtime';
import * as gen_tcp from '../src/index.ts';
import * as inet from '../src/inet.ts';
import type { ListenSocket, OptionInput, TcpSocket } from '../src/index.ts';
import { ok } from './helpers.ts';

/** listen + connect + accept, binary mode: [accepted socket, client socket]; the listen socket is closed. */
async function pair(serverOpts: OptionInput, clientOpts: OptionInput): Promise<[TcpSocket, TcpSocket]> {
  const l: ListenSocket = ok(await gen_tcp.listen(0, ['binary', ['ip', [127, 0, 0, 1]], ...(serverOpts as unknown[])] as OptionInput));
  const c = ok(await gen_tcp.connect([127, 0, 0, 1], ok(inet.port(l)), ['binary', ...(clientOpts as unknown[])] as OptionInput));
  const s = ok(await gen_tcp.accept(l, 1000));
  gen_tcp.close(l);
  return [s, c];
}

/** The peer resets the connection (OTP: linger {true,0} then close). */
function reset(peer: TcpSocket): void {
  peer.net.resetAndDestroy();
}

const text = (r: readonly [string, unknown]): string => (ok(r) as Buffer).toString();

describe('linger', () => {
  it('close with {linger, {true, 0}} resets the connection: a peer with show_econnreset sees econnreset', async () => {
    await run(async () => {
      const [s, c] = await pair([['active', false], ['show_econnreset', true]], [['linger', [true, 0]]]);
      gen_tcp.close(c);
      expect(await gen_tcp.recv(s, 0, 1000)).toEqual(['error', 'econnreset']);
    });
  });

  it('close without linger sends FIN: the peer sees closed', async () => {
    await run(async () => {
      const [s, c] = await pair([['active', false], ['show_econnreset', true]], []);
      gen_tcp.close(c);
      expect(await gen_tcp.recv(s, 0, 1000)).toEqual(['error', 'closed']);
    });
  });
});

describe('exit_on_close false', () => {
  it('passive: after the peer FIN recv says closed again and again, send still reaches the peer', async () => {
    await run(async () => {
      const [s, c] = await pair([['active', false], ['exit_on_close', false]], [['active', false]]);
      gen_tcp.send(c, 'data');
      gen_tcp.shutdown(c, 'write');
      expect(text(await gen_tcp.recv(s, 0, 1000))).toBe('data');
      expect(await gen_tcp.recv(s, 0, 1000)).toEqual(['error', 'closed']);
      expect(await gen_tcp.recv(s, 0, 1000)).toEqual(['error', 'closed']);
      expect(gen_tcp.send(s, 'reply')).toBe('ok');
      expect(text(await gen_tcp.recv(c, 0, 1000))).toBe('reply');
      expect(await gen_tcp.recv(s, 0, 100)).toEqual(['error', 'closed']);
      expect(inet.getopts(s, ['active'])).toEqual(['ok', [['active', false]]]);
      // Turning active afterwards tells the close once more, as a message, and only once.
      expect(inet.setopts(s, [['active', true]])).toBe('ok');
      expect(await receive(['tcp_closed', s], after(1000))).toEqual(['tcp_closed', s]);
      expect(inet.setopts(s, [['active', true]])).toBe('ok');
      expect(await receive(['tcp_closed', s], after(100))).toBeUndefined();
      expect(await gen_tcp.recv(s, 0, 100)).toEqual(['error', 'einval']);
      // close sends our FIN.
      gen_tcp.close(s);
      expect(await gen_tcp.recv(c, 0, 1000)).toEqual(['error', 'closed']);
      gen_tcp.close(c);
    });
  });

  it('active: tcp_closed, the socket stays open for sending until closed', async () => {
    await run(async () => {
      const [s, c] = await pair([['active', true], ['exit_on_close', false]], [['active', false]]);
      gen_tcp.shutdown(c, 'write');
      expect(await receive(['tcp_closed', s], after(1000))).toEqual(['tcp_closed', s]);
      expect(gen_tcp.send(s, 'after fin')).toBe('ok');
      expect(text(await gen_tcp.recv(c, 0, 1000))).toBe('after fin');
      expect(await gen_tcp.recv(s, 0, 100)).toEqual(['error', 'einval']);
      expect(inet.getopts(s, ['active'])).toEqual(['ok', [['active', true]]]);
      gen_tcp.close(s);
      expect(await gen_tcp.recv(c, 0, 1000)).toEqual(['error', 'closed']);
      gen_tcp.close(c);
    });
  });

  it('active once: one tcp_closed; re-arming does not repeat it', async () => {
    await run(async () => {
      const [s, c] = await pair([['active', 'once'], ['exit_on_close', false]], [['active', false]]);
      gen_tcp.close(c);
      expect(await receive(['tcp_closed', s], after(1000))).toEqual(['tcp_closed', s]);
      expect(inet.setopts(s, [['active', 'once']])).toBe('ok');
      expect(await receive(['tcp_closed', s], after(100))).toBeUndefined();
      expect(inet.getopts(s, ['active'])).toEqual(['ok', [['active', 'once']]]);
      gen_tcp.close(s);
    });
  });
});

describe('exit_on_close true (default)', () => {
  it('active: after tcp_closed the socket is gone: recv and send closed, setopts and getopts einval', async () => {
    await run(async () => {
      const [s, c] = await pair([['active', true]], [['active', false]]);
      gen_tcp.close(c);
      expect(await receive(['tcp_closed', s], after(1000))).toEqual(['tcp_closed', s]);
      expect(await gen_tcp.recv(s, 0, 100)).toEqual(['error', 'closed']);
      expect(await gen_tcp.recv(s, 0, 100)).toEqual(['error', 'closed']);
      expect(gen_tcp.send(s, 'x')).toEqual(['error', 'closed']);
      expect(inet.setopts(s, [['active', false]])).toEqual(['error', 'einval']);
      expect(inet.getopts(s, ['active'])).toEqual(['error', 'einval']);
    });
  });
});

describe('shutdown(s, write)', () => {
  it('delivers the queued data, then FIN; a later send is closed and closes the socket', async () => {
    await run(async () => {
      const [s, c] = await pair([['active', false], ['exit_on_close', false]], [['active', false]]);
      expect(gen_tcp.send(c, 'one')).toBe('ok');
      expect(gen_tcp.send(c, 'two')).toBe('ok');
      expect(gen_tcp.shutdown(c, 'write')).toBe('ok');
      expect(gen_tcp.send(c, 'x')).toEqual(['error', 'closed']);
      expect(text(await gen_tcp.recv(s, 6, 1000))).toBe('onetwo');
      expect(await gen_tcp.recv(s, 0, 1000)).toEqual(['error', 'closed']);
      // The failed send closed c: the peer's reply is lost; closed once, then enotconn.
      gen_tcp.send(s, 'reply');
      expect(await gen_tcp.recv(c, 0, 200)).toEqual(['error', 'closed']);
      expect(await gen_tcp.recv(c, 0, 200)).toEqual(['error', 'enotconn']);
      gen_tcp.close(s);
      gen_tcp.close(c);
    });
  });

  it('the reading side stays open: the peer’s reply arrives, then its close', async () => {
    await run(async () => {
      const [s, c] = await pair([['active', false], ['exit_on_close', false]], [['active', false]]);
      gen_tcp.shutdown(c, 'write');
      expect(await gen_tcp.recv(s, 0, 1000)).toEqual(['error', 'closed']);
      expect(gen_tcp.send(s, 'reply')).toBe('ok');
      expect(text(await gen_tcp.recv(c, 0, 1000))).toBe('reply');
      gen_tcp.close(s);
      expect(await gen_tcp.recv(c, 0, 1000)).toEqual(['error', 'closed']);
      expect(await gen_tcp.recv(c, 0, 1000)).toEqual(['error', 'enotconn']);
      gen_tcp.close(c);
    });
  });

  it('an active peer gets the data, then tcp_closed', async () => {
    await run(async () => {
      const [s, c] = await pair([['active', true]], [['active', true]]);
      gen_tcp.send(c, 'abc');
      gen_tcp.shutdown(c, 'write');
      expect(await receive(['tcp', s, _], after(1000))).toEqual(['tcp', s, Buffer.from('abc')]);
      expect(await receive(['tcp_closed', s], after(1000))).toEqual(['tcp_closed', s]);
      // s closed on FIN (exit_on_close true), so c sees the close as well.
      expect(await receive(['tcp_closed', c], after(1000))).toEqual(['tcp_closed', c]);
      gen_tcp.close(c);
    });
  });
});

describe('a peer reset', () => {
  it('show_econnreset, active: tcp_error econnreset, then tcp_closed; then the socket is gone', async () => {
    await run(async () => {
      const [s, c] = await pair([['active', true], ['show_econnreset', true]], [['active', false]]);
      gen_tcp.send(c, 'before');
      expect(await receive(['tcp', s, _], after(1000))).toEqual(['tcp', s, Buffer.from('before')]);
      reset(c);
      expect(await receive(['tcp_error', s, _], after(1000))).toEqual(['tcp_error', s, 'econnreset']);
      expect(await receive(['tcp_closed', s], after(1000))).toEqual(['tcp_closed', s]);
      expect(gen_tcp.send(s, 'x')).toEqual(['error', 'closed']);
      expect(await gen_tcp.recv(s, 0, 100)).toEqual(['error', 'closed']);
      gen_tcp.close(c);
    });
  });

  it('show_econnreset, passive: recv econnreset once, then enotconn', async () => {
    await run(async () => {
      const [s, c] = await pair([['active', false], ['show_econnreset', true]], [['active', false]]);
      reset(c);
      expect(await gen_tcp.recv(s, 0, 1000)).toEqual(['error', 'econnreset']);
      expect(await gen_tcp.recv(s, 0, 1000)).toEqual(['error', 'enotconn']);
      gen_tcp.close(c);
    });
  });

  it('show_econnreset, a passive socket made active later gets both messages', async () => {
    await run(async () => {
      const [s, c] = await pair([['active', false], ['show_econnreset', true]], [['active', false]]);
      reset(c);
      await sleep(50);
      expect(inet.setopts(s, [['active', 'once']])).toBe('ok');
      expect(await receive(['tcp_error', s, _], after(1000))).toEqual(['tcp_error', s, 'econnreset']);
      expect(await receive(['tcp_closed', s], after(1000))).toEqual(['tcp_closed', s]);
      gen_tcp.close(c);
    });
  });

  it('without show_econnreset a reset looks like a close', async () => {
    await run(async () => {
      const [s1, c1] = await pair([['active', true]], [['active', false]]);
      reset(c1);
      expect(await receive(['tcp_closed', s1], after(1000))).toEqual(['tcp_closed', s1]);
      expect(await receive(['tcp_error', s1, _], after(100))).toBeUndefined();
      const [s2, c2] = await pair([['active', false]], [['active', false]]);
      reset(c2);
      expect(await gen_tcp.recv(s2, 0, 1000)).toEqual(['error', 'closed']);
      expect(await gen_tcp.recv(s2, 0, 1000)).toEqual(['error', 'enotconn']);
      gen_tcp.close(c1);
      gen_tcp.close(c2);
    });
  });
});
