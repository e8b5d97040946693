/**
 * `serialiseHttp`: for every term, the bytes it gives decode (with
 * `decodePacket` and the same packet type) to that very term, as one whole
 * packet. Terms come from hand-picked lines, from the 800 random inputs OTP
 * 25 generated for gen-tcp's decodePacket fixture, and from seeded random
 * lines built here.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodePacket, type HttpPacket, type PacketType } from '@beamline/gen-tcp';
import { serialiseHttp } from '../src/http-serialise.ts';

type HttpType = Extract<PacketType, 'http' | 'http_bin' | 'httph' | 'httph_bin'>;
const here = path.dirname(fileURLToPath(import.meta.url));
const latin1 = (text: string): Buffer => Buffer.from(text, 'latin1');

/** The term `decodePacket` gives for the first packet of `data`, or undefined when it gives none. */
function termOf(type: HttpType, data: Buffer): HttpPacket | undefined {
  const r = decodePacket(type, data);
  return r[0] === 'ok' ? (r[1] as HttpPacket) : undefined;
}

/**
 * Serialises `term` and decodes the bytes again with `type`. A header line
 * is complete only once the next line's first byte is there, so header
 * types get one more byte after it, which must be left over.
 */
function roundTrip(type: HttpType, term: HttpPacket): { term: HttpPacket | undefined; rest: string } {
  const bytes = serialiseHttp(term);
  const header = type === 'httph' || type === 'httph_bin';
  const r = decodePacket(type, header ? Buffer.concat([bytes, latin1('Z')]) : bytes);
  if (r[0] !== 'ok') return { term: undefined, rest: `not a packet: ${JSON.stringify(r)} for ${JSON.stringify(bytes.toString('latin1'))}` };
  return { term: r[1] as HttpPacket, rest: r[2].toString('latin1') };
}

function expectRoundTrip(type: HttpType, line: Buffer): HttpPacket {
  const term = termOf(type, type === 'httph' || type === 'httph_bin' ? Buffer.concat([line, latin1('Z')]) : line);
  expect(term, `${type} ${JSON.stringify(line.toString('latin1'))} must decode`).toBeDefined();
  const back = roundTrip(type, term as HttpPacket);
  expect(back.term, JSON.stringify(line.toString('latin1'))).toEqual(term);
  expect(back.rest).toBe(type === 'httph' || type === 'httph_bin' ? 'Z' : '');
  return term as HttpPacket;
}

describe('serialiseHttp: the exact bytes for lines already in canonical form', () => {
  it.each([
    ['http', 'GET / HTTP/1.1\r\n'],
    ['http_bin', 'POST /form?a=1 HTTP/1.0\r\n'],
    ['http', 'OPTIONS * HTTP/1.1\r\n'],
    ['http', 'PATCH /x HTTP/1.1\r\n'],
    ['http', 'get /lower HTTP/1.1\r\n'],
    ['http', 'CONNECT example.com:443 HTTP/1.1\r\n'],
    ['http_bin', 'GET http://example.com:8080/a/b?c HTTP/1.1\r\n'],
    ['http', 'GET https://example.com/ HTTP/1.1\r\n'],
    ['http', 'GET /nine\r\n'],
    ['http', 'HTTP/1.1 200 OK\r\n'],
    ['http_bin', 'HTTP/1.0 404 Not Found  \r\n'],
    ['http', 'HTTP/1.1 204\r\n'],
    ['httph', 'Host: example.com\r\n'],
    ['httph_bin', 'x-lower-case: Value with trailing space \r\n'],
    ['httph', 'X-Folded: a\r\n b\r\n'],
    ['httph', '\r\n'],
    ['http', 'not a request\r\n'],
    ['httph', 'no colon here\r\n'],
  ] as const)('%s %j', (type, line) => {
    const term = expectRoundTrip(type, latin1(line));
    expect(serialiseHttp(term).toString('latin1')).toBe(line);
  });
});

describe('serialiseHttp: lines whose bytes change but whose term does not', () => {
  it.each([
    // Runs of spaces and tabs between the parts become one space.
    ['http', 'GET \t /spaced   HTTP/1.1\r\n', 'GET /spaced HTTP/1.1\r\n'],
    // LF alone ends a line; the reply uses CRLF.
    ['http', 'GET / HTTP/1.1\n', 'GET / HTTP/1.1\r\n'],
    // Junk after the version is ignored by the parser.
    ['http', 'GET / HTTP/1.1xyz\r\n', 'GET / HTTP/1.1\r\n'],
    // The scheme is matched without case; a port of 0 or with junk is no port; no path is "/".
    ['http', 'GET HTTP://h:0 HTTP/1.1\r\n', 'GET http://h/ HTTP/1.1\r\n'],
    ['http', 'GET http://h:8x/p HTTP/1.1\r\n', 'GET http://h/p HTTP/1.1\r\n'],
    // Numbers past 32 bits wrap as OTP's C int does; the reply writes the wrapped value.
    ['http', 'GET http://h:99999999999/ HTTP/1.1\r\n', 'GET http://h:1215752191/ HTTP/1.1\r\n'],
    ['http', 'HTTP/1.1 3000000000 Big\r\n', 'HTTP/1.1 3000000000 Big\r\n'],
    ['http', 'HTTP/4294967297.1 200 OK\r\n', 'HTTP/1.1 200 OK\r\n'],
    // A status line without digits has status 0.
    ['http', 'HTTP/1.1  \r\n', 'HTTP/1.1 0\r\n'],
    // The field is written as received, the value without its leading blanks.
    ['httph', 'content-LENGTH:\t \t5\r\n', 'content-LENGTH: 5\r\n'],
    ['httph', 'Empty:\r\n', 'Empty: \r\n'],
    ['httph', ':no name\r\n', ': no name\r\n'],
  ] as const)('%s %j', (type, line, canonical) => {
    const term = expectRoundTrip(type, latin1(line));
    expect(serialiseHttp(term).toString('latin1')).toBe(canonical);
  });

  it('keeps bytes above 127 in list strings as the same bytes (Latin-1, not UTF-8)', () => {
    const term = expectRoundTrip('http', Buffer.concat([latin1('GET /caf'), Buffer.from([0xe9]), latin1(' HTTP/1.1\r\n')]));
    expect(serialiseHttp(term)).toEqual(Buffer.concat([latin1('GET /caf'), Buffer.from([0xe9]), latin1(' HTTP/1.1\r\n')]));
  });

  it('gives http_eoh as the empty line and http_error as the line received', () => {
    expect(serialiseHttp('http_eoh').toString('latin1')).toBe('\r\n');
    expect(serialiseHttp(['http_error', latin1('bad\n')]).toString('latin1')).toBe('bad\n');
    expect(serialiseHttp(['http_error', [98, 10]]).toString('latin1')).toBe('b\n');
  });

  it('throws a TypeError for something that is not an HTTP term', () => {
    expect(() => serialiseHttp(['tcp', 1] as unknown as HttpPacket)).toThrow(TypeError);
  });
});

describe('serialiseHttp: every term OTP 25 produced for the gen-tcp random fixture', () => {
  const fixture = JSON.parse(
    readFileSync(path.join(here, '../../gen-tcp/test/packet/fixtures/decode-packet-http-otp25.json'), 'utf8'),
  ) as { cases: { type: HttpType; data: string; result: unknown[] }[] };
  const packets = fixture.cases.filter((c) => c.result[0] === 'ok');

  it(`round-trips all ${packets.length} packets`, () => {
    expect(packets.length).toBeGreaterThan(400);
    for (const c of packets) {
      const data = Buffer.from(c.data, 'hex');
      const r = decodePacket(c.type, data);
      // Some fixture cases are errors only because of their options; without options they decode.
      if (r[0] !== 'ok') continue;
      const back = roundTrip(c.type, r[1] as HttpPacket);
      expect(back.term, `${c.type} ${c.data}`).toEqual(r[1]);
    }
  });
});

describe('serialiseHttp: seeded random lines', () => {
  // A small deterministic generator (mulberry32), so a failure can be replayed.
  function rng(seed: number): () => number {
    let a = seed;
    return () => {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const random = rng(20240701);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const blank = (): string => pick([' ', '  ', '\t', ' \t ']);
  const word = (chars: string, max: number): string => {
    let s = '';
    const n = 1 + Math.floor(random() * max);
    for (let i = 0; i < n; i++) s += chars[Math.floor(random() * chars.length)];
    return s;
  };
  const urlChars = 'abcXYZ019-._~/?#[]@!$&()*+,;=%:\u00e9';
  const startLine = (): string =>
    random() < 0.25
      ? `HTTP/${pick(['1.1', '1.0', '0.9', '12.34', '99999999999.1'])}${blank()}${pick(['200', '404', '0', '99999999999', ''])}${pick(['', ' OK', '  Not  Found ', '\tx\t'])}`
      : `${pick(['GET', 'POST', 'HEAD', 'OPTIONS', 'get', 'PATCH', 'M-SEARCH'])}${blank()}${pick([
          '*',
          `/${word(urlChars, 20)}`,
          `http://${word('abc.123', 8)}${pick(['', ':80', ':0', ':99999999999', ':8x'])}${pick(['', `/${word(urlChars, 10)}`])}`,
          `HTTPS://${word('abc', 5)}/`,
          `${word('abc', 5)}:${word(urlChars, 8)}`,
          word('abcdef', 6),
        ])}${pick(['', `${blank()}HTTP/1.1`, `${blank()}HTTP/1.0`, `${blank()}HTTP/2.0xyz`])}`;
  const headerLine = (): string =>
    `${pick(['Host', 'content-length', 'X-Custom', 'SET-COOKIE', 'www-authenticate', 'A'.repeat(60), ''])}:${pick(['', ' ', '\t\t'])}${pick([
      '',
      'value',
      'trailing  ',
      'a\r\n folded',
      word(urlChars, 30),
    ])}`;

  it('round-trips 2,000 request and status lines and 2,000 header lines, list and binary', () => {
    let checked = 0;
    for (let i = 0; i < 2000; i++) {
      const start = latin1(`${startLine()}${pick(['\r\n', '\n'])}`);
      const header = latin1(`${headerLine()}${pick(['\r\n', '\n'])}`);
      for (const [type, line] of [
        [i % 2 === 0 ? 'http' : 'http_bin', start],
        [i % 2 === 0 ? 'httph' : 'httph_bin', header],
      ] as const) {
        const term = termOf(type, type.startsWith('httph') ? Buffer.concat([line, latin1('Z')]) : line);
        expect(term, `${type} ${JSON.stringify(line.toString('latin1'))}`).toBeDefined();
        const back = roundTrip(type, term as HttpPacket);
        expect(back.term, `${type} ${JSON.stringify(line.toString('latin1'))}`).toEqual(term);
        checked++;
      }
    }
    expect(checked).toBe(4000);
  });
});
