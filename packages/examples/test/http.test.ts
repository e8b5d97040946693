/**
 * The HTTP/1.1 server (src/http) over real sockets on 127.0.0.1, checked by
 * clients that know nothing of Beamline: Node's fetch (undici, keep-alive by
 * default), curl, and raw sockets that pipeline requests, cut them anywhere,
 * and send what a server must refuse. The server runs in this process
 * (startHttp) or as the `http` command.
 */
import { execFile } from 'node:child_process';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { processes } from '@beamline/runtime';
import { killAll } from '@beamline/runtime/testing';
import { startHttp, type HttpOptions, type HttpServer } from '../src/http/server.ts';
import { killChildren, runToEnd, startTs } from './children.ts';
import { RawHttp } from './raw-http.ts';

let http: HttpServer;
let logged: string[];
const raws: RawHttp[] = [];

async function restart(options: HttpOptions): Promise<void> {
  await http.stop();
  http = await startHttp({ port: 0, log: (line) => logged.push(line), ...options });
}

beforeEach(async () => {
  logged = [];
  http = await startHttp({ port: 0, log: (line) => logged.push(line) });
});
afterEach(async () => {
  for (const r of raws.splice(0)) r.socket.destroy();
  await http.stop();
  expect(processes()).toEqual([]);
  expect(logged).toEqual([]);
  await killAll();
});
afterAll(killChildren);

const url = (path: string): string => `http://127.0.0.1:${http.port}${path}`;

async function raw(): Promise<RawHttp> {
  const r = await RawHttp.connect(http.port);
  raws.push(r);
  return r;
}

/** curl with `args`, bounded to 20 s; stdout as text. */
function curl(args: readonly string[], input?: Buffer): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile('curl', ['--silent', '--show-error', '--max-time', '10', ...args], { timeout: 20_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
    else child.stdin?.end();
  });
}

describe('with fetch', () => {
  it('answers the routes, and keeps one connection alive across requests', async () => {
    const hello = await fetch(url('/'));
    expect(hello.status).toBe(200);
    expect(hello.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(hello.headers.get('connection')).toBe('keep-alive');
    expect(await hello.text()).toBe('Hello from Beamline!\n');

    // One after the other. undici may spread them over two connections (it can dispatch the
    // next request before it has put the previous connection back), but each is kept alive.
    const seen: [number, number][] = [];
    for (let i = 0; i < 6; i++) {
      const [, conn, n] = /^connection (\d+) request (\d+)\n$/.exec(await (await fetch(url('/conn'))).text()) ?? [];
      seen.push([Number(conn), Number(n)]);
    }
    const connections = new Set(seen.map(([conn]) => conn));
    expect(connections.size).toBeLessThanOrEqual(2);
    for (const conn of connections) {
      const numbers = seen.filter(([c]) => c === conn).map(([, n]) => n);
      // Consecutive numbers on each connection: nothing else used it, and it was not reopened.
      expect(numbers).toEqual(numbers.map((_, i) => (numbers[0] as number) + i));
    }
    expect(Math.max(...seen.map(([, n]) => n))).toBeGreaterThanOrEqual(3);
  });

  it('echoes a POST body with its Content-Type, binary and large', async () => {
    const body = Buffer.alloc(300_000);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7919) & 0xff;
    const res = await fetch(url('/echo'), { method: 'POST', body, headers: { 'content-type': 'application/x-test' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-test');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(body);
    const empty = await fetch(url('/echo'), { method: 'POST' });
    expect(empty.status).toBe(200);
    expect(await empty.text()).toBe('');
  });

  it('says 404 for an unknown path, 405 with Allow for a wrong method, and HEAD has no body', async () => {
    const missing = await fetch(url('/nowhere?x=1'));
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe('no such path: /nowhere\n');
    const wrong = await fetch(url('/echo'));
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    await wrong.text();
    const head = await fetch(url('/'), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('21');
    expect(await head.text()).toBe('');
  });

  it('serves 50 concurrent requests, each on its own process', async () => {
    const bodies = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const res = await fetch(url('/echo'), { method: 'POST', body: `request ${i}` });
        return await res.text();
      }),
    );
    expect(bodies).toEqual(Array.from({ length: 50 }, (_, i) => `request ${i}`));
  });
});

describe('with curl', () => {
  beforeAll(async () => {
    const found = await runToEnd('sh', ['-c', 'command -v curl']);
    if (found.code !== 0) throw new Error('curl is not installed, and these tests need it: install it (apt-get install curl) and run them again');
  });

  it('reuses one connection for several URLs', async () => {
    const r = await curl([url('/conn'), url('/conn'), url('/conn'), '--verbose']);
    expect(r.code).toBe(0);
    const [, conn] = /^connection (\d+) request 1\n/.exec(r.stdout) ?? [];
    expect(r.stdout).toBe(`connection ${conn} request 1\nconnection ${conn} request 2\nconnection ${conn} request 3\n`);
    expect(r.stderr).toContain('Re-using existing connection');
  });

  it('posts a body from stdin and gets it back', async () => {
    const body = Buffer.from('line one\nline two\n'.repeat(5000));
    const r = await curl(['--data-binary', '@-', '-H', 'Content-Type: text/plain', url('/echo')], body);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(body.toString());
  });

  it('gets 413 for a body over the limit, even while sending it, and the connection is closed', async () => {
    await restart({ maxBody: 1000 });
    const big = Buffer.alloc(200_000, 0x61);
    // Without Expect, curl sends the body at once; the server answers, drains and closes.
    const r = await curl(['--data-binary', '@-', '-H', 'Expect:', '--write-out', '%{http_code} %{num_connects}', '--output', '/dev/null', url('/echo')], big);
    expect(r.stdout).toBe('413 1');
    // With Expect: 100-continue, the server says no before the body is sent.
    const e = await curl(['--data-binary', '@-', '-H', 'Expect: 100-continue', '--include', url('/echo')], big);
    expect(e.stdout).toMatch(/^HTTP\/1\.1 413 Content Too Large\r\n/);
    expect(e.stdout).toContain('\r\nConnection: close\r\n');
    expect(e.stdout.endsWith('\r\n\r\nthe body is over 1000 bytes\n')).toBe(true);
  });

  it('closes after an HTTP/1.0 answer, and after Connection: close', async () => {
    const old = await curl(['--http1.0', '--include', url('/')]);
    expect(old.stdout).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(old.stdout).toContain('\r\nConnection: close\r\n');
    const closing = await curl(['--include', '-H', 'Connection: close', url('/conn'), url('/conn'), '--verbose']);
    expect(closing.stdout.match(/request 1\n/g)).toHaveLength(2); // a new connection for the second URL
    expect(closing.stderr).not.toContain('Re-using existing connection');
  });
});

describe('with raw sockets', () => {
  const GET = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;
  const POST = (path: string, body: string): string => `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

  it('answers three pipelined requests, sent in one write, in order', async () => {
    const c = await raw();
    c.write(GET('/') + POST('/echo', 'pipelined body') + GET('/missing'));
    const [a, b, d] = [await c.response(), await c.response(), await c.response()];
    expect([a.status, a.body.toString()]).toEqual([200, 'Hello from Beamline!\n']);
    expect([b.status, b.body.toString()]).toEqual([200, 'pipelined body']);
    expect([d.status, d.body.toString()]).toEqual([404, 'no such path: /missing\n']);
    for (const r of [a, b, d]) expect(r.headers.get('connection')).toBe('keep-alive');
    // Still open: a fourth, asking to close.
    c.write(GET('/conn', 'Connection: close\r\n'));
    const last = await c.response();
    expect(last.body.toString()).toMatch(/^connection \d+ request 4\n$/);
    expect(last.headers.get('connection')).toBe('close');
    await c.waitClosed();
  });

  it('reads pipelined requests cut at every kind of place', async () => {
    const stream = Buffer.from(GET('/') + POST('/echo', 'abc\r\n\r\ndef') + GET('/conn', 'X-Long: ' + 'v'.repeat(3000) + '\r\n') + POST('/echo', ''));
    const c = await raw();
    // Cuts inside the request line, a header, the CRLFs, the body: 1, 2, 3, … bytes at a time.
    for (let at = 0, size = 1; at < stream.length; at += size, size = (size % 97) + 1) {
      c.write(stream.subarray(at, at + size));
      if (size % 5 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const got = [];
    for (let i = 0; i < 4; i++) got.push(await c.response());
    expect(got.map((r) => [r.status, r.body.toString()])).toEqual([
      [200, 'Hello from Beamline!\n'],
      [200, 'abc\r\n\r\ndef'],
      [200, expect.stringMatching(/^connection \d+ request 3\n$/)],
      [200, ''],
    ]);
  });

  it('skips blank lines before a request line, and answers HEAD without a body', async () => {
    const c = await raw();
    c.write('\r\n\r\nHEAD / HTTP/1.1\r\nHost: x\r\n\r\n');
    const r = await c.response(3000, true);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-length')).toBe('21');
    c.write(GET('/'));
    expect((await c.response()).body.toString()).toBe('Hello from Beamline!\n');
  });

  it('keeps an HTTP/1.0 connection alive only when asked', async () => {
    const c = await raw();
    c.write('GET /conn HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    const kept = await c.response();
    expect(kept.headers.get('connection')).toBe('keep-alive');
    c.write('GET /conn HTTP/1.0\r\n\r\n');
    const closed = await c.response();
    expect(closed.body.toString()).toMatch(/request 2\n$/);
    expect(closed.headers.get('connection')).toBe('close');
    await c.waitClosed();
  });

  it.each([
    ['a request line that does not parse (http_error)', 400, 'HELLO\r\n\r\n', 'bad request line\n'],
    ['a header line that does not parse', 400, 'GET / HTTP/1.1\r\nno colon here\r\n\r\n', 'bad header line\n'],
    ['a target in a form it does not take', 400, 'GET foo HTTP/1.1\r\n\r\n', 'unsupported request target\n'],
    ['an unsupported version', 505, 'GET / HTTP/2.0\r\n\r\n', 'HTTP/2.0 is not supported\n'],
    ['a chunked body', 501, 'POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n', 'transfer codings are not supported; send a Content-Length\n'],
    ['two different Content-Lengths', 400, 'POST /echo HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd', 'bad Content-Length\n'],
    ['a Content-Length that is not a number', 400, 'POST /echo HTTP/1.1\r\nContent-Length: 3x\r\n\r\nabc', 'bad Content-Length\n'],
    ['a Content-Length over the limit', 413, 'POST /echo HTTP/1.1\r\nContent-Length: 1048577\r\n\r\n', 'the body is over 1048576 bytes\n'],
  ] as const)('answers %s with %i and closes', async (_what, status, request, body) => {
    const c = await raw();
    c.write(request);
    const r = await c.response();
    expect(r.status).toBe(status);
    expect(r.body.toString()).toBe(body);
    expect(r.headers.get('connection')).toBe('close');
    await c.waitClosed();
  });

  it('answers 431 past the header line limit', async () => {
    await restart({ maxHeaders: 5 });
    const c = await raw();
    c.write(`GET / HTTP/1.1\r\n${'X-A: b\r\n'.repeat(6)}\r\n`);
    expect((await c.response()).status).toBe(431);
    await c.waitClosed();
    const ok = await raw();
    ok.write(`GET / HTTP/1.1\r\n${'X-A: b\r\n'.repeat(5)}\r\n`);
    expect((await ok.response()).status).toBe(200);
  });

  it('takes header lines up to 8 KB; a longer one ends the connection without an answer (emsgsize)', async () => {
    const c = await raw();
    c.write(GET('/', `X-Big: ${'v'.repeat(8000)}\r\n`));
    expect((await c.response()).status).toBe(200);
    c.write(GET('/', `X-Big: ${'v'.repeat(9000)}\r\n`));
    await expect(c.response()).rejects.toThrow(/the connection ended before a whole response; got ""/);
  });

  it('sends 100 Continue before reading a body the client holds back', async () => {
    const c = await raw();
    c.write('POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n');
    const cont = await c.response();
    expect([cont.status, cont.reason]).toEqual([100, 'Continue']);
    c.write('hello');
    const r = await c.response();
    expect([r.status, r.body.toString()]).toEqual([200, 'hello']);
  });

  it('closes a connection idle past the idle timeout, and answers 408 to a request that stalls', async () => {
    await restart({ idleTimeout: 200, requestTimeout: 200 });
    const idle = await raw();
    idle.write(GET('/'));
    await idle.response();
    const t0 = Date.now();
    await idle.waitClosed(3000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150);

    const stalled = await raw();
    stalled.write('POST /echo HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc');
    const r = await stalled.response();
    expect([r.status, r.body.toString()]).toEqual([408, 'request body too slow\n']);
    await stalled.waitClosed();
  });
});

describe('the http command', () => {
  it('prints "listening <port>", serves curl and fetch, and exits 0 on SIGTERM', async () => {
    const child = startTs('src/http/main.ts', ['--port', '0', '--max-body', '10']);
    const port = Number((await child.waitFor(/^listening (\d+)$/m))[1]);
    const r = await curl(['--data-binary', 'tiny', `http://127.0.0.1:${port}/echo`]);
    expect(r.stdout).toBe('tiny');
    const big = await fetch(`http://127.0.0.1:${port}/echo`, { method: 'POST', body: 'more than ten bytes' });
    expect(big.status).toBe(413);
    await big.text();
    expect(await child.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(child.stderr).toBe('');
  });

  it('refuses a bad command line with exit code 2', async () => {
    const bad = await runToEnd(process.execPath, ['--import', 'tsx', 'src/http/main.ts', '--max-body', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('http: --max-body must be a positive integer, got "0"');
  });
});
