/**
 * The echo cases of the issue, for every packet type, and a Beamline client
 * that runs one against any echo server (ours, the CLI, Erlang's). Shared by
 * echo.test.ts and interop.test.ts; erlang/echo_client.escript has the same
 * cases under the same names, written in Erlang.
 *
 * What a client expects back is what its own socket would make of the bytes
 * it sent: the packets `decodePacket` finds in them (for 1/2/4, the bodies
 * given to `send`), followed by the end of the connection once it has closed
 * its side. An unfinished packet at the end (a line without its delimiter)
 * is never echoed: the server's socket drops it when the client closes.
 */
import { createHash } from 'node:crypto';
import { _, after, receive, run } from '@beamline/runtime';
import * as gen_tcp from '@beamline/gen-tcp';
import { decodePacket, setopts, type PacketType, type TcpSocket } from '@beamline/gen-tcp';

export const PACKET_TYPES: readonly PacketType[] = [
  'raw', 0, 1, 2, 4, 'line', 'asn1', 'cdr', 'sunrm', 'fcgi', 'tpkt', 'http', 'http_bin', 'httph', 'httph_bin',
];

export interface EchoCase {
  readonly name: string;
  /** One `send` per element. */
  readonly sends: readonly Buffer[];
}

const KiB = 1024;
const MiB = 1024 * KiB;
const E = Buffer.alloc(0);
const text = (s: string): Buffer => Buffer.from(s, 'latin1');

/** `n` bytes of a pattern that shows reordering; `avoid` keeps a byte (a line delimiter) out. */
export function pattern(n: number, seed = 0, avoid?: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) {
    const byte = (i * 31 + seed + (i >> 8)) & 0xff;
    b[i] = byte === avoid ? byte + 1 : byte;
  }
  return b;
}

const be = (value: number, size: number): Buffer => {
  const b = Buffer.alloc(size);
  b.writeUIntBE(value, 0, size);
  return b;
};

/** BER: a tag (one byte, or 0x1F and more), then the definite length, short or long form. */
function asn1(tag: Buffer, content: Buffer): Buffer {
  const n = content.length;
  const length = n < 128 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : n < 0x10000 ? Buffer.from([0x82, n >> 8, n & 0xff]) : Buffer.from([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
  return Buffer.concat([tag, length, content]);
}
/** GIOP 1.2: "GIOP", version, flags (bit 0: little-endian), message type, size in that byte order. */
function cdr(content: Buffer, little: boolean): Buffer {
  const size = Buffer.alloc(4);
  if (little) size.writeUInt32LE(content.length);
  else size.writeUInt32BE(content.length);
  return Buffer.concat([text('GIOP'), Buffer.from([1, 2, little ? 1 : 0, 0]), size, content]);
}
/** Sun RPC record marking: the top bit says last fragment, 31 bits of length. */
const sunrm = (content: Buffer, last = true): Buffer => Buffer.concat([be((last ? 0x8000_0000 : 0) + content.length, 4), content]);
/** A FastCGI record: version 1, type, request id, content length, padding length, reserved. */
const fcgi = (content: Buffer, padding: Buffer): Buffer =>
  Buffer.concat([Buffer.from([1, 5, 0, 1, content.length >> 8, content.length & 0xff, padding.length, 0]), content, padding]);
/** TPKT: version 3, reserved, a 16-bit length including the 4-byte header. */
const tpkt = (content: Buffer): Buffer => Buffer.concat([Buffer.from([3, 0]), be(content.length + 4, 2), content]);

const PIPELINED_REQUESTS = text(
  'GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: beamline-echo-test\r\n\r\n' +
    'POST /form?a=1 HTTP/1.0\r\ncontent-length: 0\r\nX-Folded: one\r\n two\r\n\r\n' +
    'OPTIONS * HTTP/1.1\r\n\r\n' +
    'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n' +
    'GET http://example.com:8080/a/b?c HTTP/1.1\r\nX-Empty:\r\nX-Trailing: v  \r\n\r\n' +
    'PATCH /nine\r\n\r\n',
);
const RESPONSES = text('HTTP/1.1 200 OK\r\nContent-Length: 0\r\nServer: beamline\r\n\r\nHTTP/1.0 404 Not  Found \r\n\r\nHTTP/1.1 204\r\n\r\n');
const HEADER_BLOCKS = text('Host: a\r\nx-lower: b\r\nX-Folded: c\r\n\td\r\n\r\nContent-Length: 0\r\n\r\n');

/** The cases for `type`, with names erlang/echo_client.escript also uses. */
export function casesFor(type: PacketType): EchoCase[] {
  switch (type) {
    case 'raw':
    case 0:
      return [
        { name: 'empty', sends: [E] },
        { name: '1 byte', sends: [pattern(1)] },
        { name: '1 MiB', sends: [pattern(MiB)] },
        { name: 'pipelined', sends: [pattern(10, 1), pattern(20, 2), pattern(30, 3)] },
      ];
    case 1:
    case 2:
    case 4: {
      const max = type === 1 ? 255 : 65535;
      return [
        { name: 'empty', sends: [E] },
        { name: '1 byte', sends: [pattern(1)] },
        { name: `${max} bytes`, sends: [pattern(max)] },
        ...(type === 4 ? [{ name: '1 MiB', sends: [pattern(MiB)] }] : []),
        { name: 'pipelined', sends: [pattern(3, 1), E, pattern(max, 2), pattern(1, 3)] },
      ];
    }
    case 'line':
      return [
        { name: 'empty', sends: [E] },
        { name: '1 byte', sends: [text('\n')] },
        { name: 'lines', sends: [text('one\ntwo\n\nthree\n')] },
        { name: 'no trailing delimiter', sends: [text('one\ntwo')] },
        { name: 'split across sends', sends: [text('ab'), text('c\nd'), text('e\n')] },
        // Longer than the 1460-byte receive buffer: the server's socket cuts it, the bytes are the same.
        { name: 'long line', sends: [Buffer.concat([pattern(5000, 0, 10), text('\n')])] },
      ];
    case 'asn1':
      return [
        { name: 'empty', sends: [asn1(Buffer.from([4]), E)] },
        { name: '1 byte', sends: [asn1(Buffer.from([4]), pattern(1))] },
        { name: '65535 bytes', sends: [asn1(Buffer.from([4]), pattern(65535))] },
        { name: '1 MiB', sends: [asn1(Buffer.from([0x1f, 0x83, 0x27]), pattern(MiB))] },
        { name: 'pipelined', sends: [Buffer.concat([asn1(Buffer.from([0x30]), pattern(200)), asn1(Buffer.from([0x1f, 0x83, 0x27]), E), asn1(Buffer.from([2]), pattern(3))])] },
      ];
    case 'cdr':
      return [
        { name: 'empty', sends: [cdr(E, false)] },
        { name: '1 byte', sends: [cdr(pattern(1), true)] },
        { name: '65535 bytes', sends: [cdr(pattern(65535), false)] },
        { name: '1 MiB', sends: [cdr(pattern(MiB), true)] },
        { name: 'pipelined', sends: [Buffer.concat([cdr(pattern(5), false), cdr(pattern(300), true), cdr(E, true)])] },
      ];
    case 'sunrm':
      return [
        { name: 'empty', sends: [sunrm(E)] },
        { name: '1 byte', sends: [sunrm(pattern(1))] },
        { name: '65535 bytes', sends: [sunrm(pattern(65535))] },
        { name: '1 MiB', sends: [sunrm(pattern(MiB))] },
        { name: 'pipelined', sends: [Buffer.concat([sunrm(pattern(7), false), sunrm(pattern(9), false), sunrm(pattern(11))])] },
      ];
    case 'fcgi':
      return [
        { name: 'empty', sends: [fcgi(E, E)] },
        // The padding is not echoed as sent but as zeros; the client's socket strips it either way.
        { name: '1 byte', sends: [fcgi(pattern(1), text('PPPPPPP'))] },
        { name: '65535 bytes', sends: [fcgi(pattern(65535), Buffer.alloc(255, 0x50))] },
        { name: 'pipelined', sends: [Buffer.concat([fcgi(pattern(8), E), fcgi(E, Buffer.alloc(3)), fcgi(pattern(100), Buffer.alloc(4, 1))])] },
      ];
    case 'tpkt':
      return [
        { name: 'empty', sends: [tpkt(E)] },
        { name: '1 byte', sends: [tpkt(pattern(1))] },
        { name: '65531 bytes', sends: [tpkt(pattern(65531))] },
        { name: 'pipelined', sends: [Buffer.concat([tpkt(pattern(2)), tpkt(E), tpkt(pattern(1000))])] },
      ];
    case 'http':
    case 'http_bin':
      return [
        { name: 'empty', sends: [E] },
        // A lone LF where a request line should be: an http_error.
        { name: '1 byte', sends: [text('\n')] },
        { name: 'pipelined requests', sends: [PIPELINED_REQUESTS] },
        { name: 'responses', sends: [RESPONSES] },
        { name: 'split across sends', sends: [text('GET /a HT'), text('TP/1.1\r\nHo'), text('st: x\r\n'), text('\r\n')] },
        // An error keeps the state: a bad start line, then a request with a bad header line.
        { name: 'error lines', sends: [text('\r\nGET / HTTP/1.1\r\nbad header\r\nHost: x\r\n\r\n')] },
      ];
    case 'httph':
    case 'httph_bin':
      return [
        { name: 'empty', sends: [E] },
        // A lone LF in the headers: the end of them.
        { name: '1 byte', sends: [text('\n')] },
        { name: 'header blocks', sends: [HEADER_BLOCKS] },
        { name: 'error lines', sends: [text('no colon\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n')] },
      ];
    default:
      return type satisfies never;
  }
}

/**
 * What a client reading with `type` gets back for `sends`, as `summary`
 * describes it: every complete packet in the bytes sent, in order. For
 * `raw`, one entry: all the bytes (raw has no packet boundaries).
 */
export function expectedPackets(type: PacketType, sends: readonly Buffer[]): unknown[] {
  if (type === 1 || type === 2 || type === 4) return sends.map(summary);
  let rest: Buffer = Buffer.concat(sends);
  if (type === 'raw' || type === 0) return rest.length === 0 ? [] : [summary(rest)];
  const packets: unknown[] = [];
  // A socket with {packet, http} reads a start line, then headers up to http_eoh, then a start line again.
  let inHeaders = type === 'httph' || type === 'httph_bin';
  for (let i = 0; i < 10_000 && rest.length > 0; i++) {
    const as: PacketType = !inHeaders ? type : type === 'http' ? 'httph' : type === 'http_bin' ? 'httph_bin' : type;
    const r = decodePacket(as, rest);
    if (r[0] !== 'ok') break;
    const [, packet, next] = r;
    packets.push(summary(packet));
    if (type === 'http' || type === 'http_bin') {
      if (Array.isArray(packet) && (packet[0] === 'http_request' || packet[0] === 'http_response')) inHeaders = true;
      if (packet === 'http_eoh') inHeaders = false;
    }
    rest = next;
  }
  return packets;
}

/** A packet for comparison: big Buffers by length and digest, so that a failure prints something readable. */
export function summary(packet: unknown): unknown {
  if (Buffer.isBuffer(packet) && packet.length > 300) {
    return { bytes: packet.length, sha256: createHash('sha256').update(packet).digest('hex').slice(0, 16) };
  }
  return packet;
}

/** How the client reads: `recv`, or messages with `{active, true}` or `{active, once}`. */
export type ClientMode = false | true | 'once';

export interface CaseResult {
  /** The packets read back, as `summary` describes them. */
  readonly packets: unknown[];
  /** How the connection ended after the client closed its side: `'closed'`, or what came instead. */
  readonly end: unknown;
}

/** Waiting longer than this for one packet fails the case. */
const READ_TIMEOUT = 5000;

/**
 * Runs one case against the echo server on 127.0.0.1:`port`: connects with
 * `{packet, type}`, sends, reads as many packets as the case expects, closes
 * its side with `shutdown(write)` and waits for the server to close.
 */
export async function runCase(port: number, type: PacketType, echoCase: EchoCase, mode: ClientMode = false): Promise<CaseResult> {
  const expected = expectedPackets(type, echoCase.sends);
  return run(async () => {
    // Whole lines at once, whatever the length (the server's socket cuts them at its own buffer).
    const buffer: gen_tcp.OptionList = type === 'line' ? [['buffer', 64 * KiB]] : [];
    const options: gen_tcp.OptionList = ['binary', ['packet', type], ['active', mode], ...buffer];
    const connected = await gen_tcp.connect([127, 0, 0, 1], port, options, READ_TIMEOUT);
    if (connected[0] === 'error') return { packets: [], end: `connect failed: ${connected[1]}` };
    const s = connected[1];
    try {
      for (const data of echoCase.sends) {
        const sent = await gen_tcp.send(s, data);
        if (sent !== 'ok') return { packets: [], end: `send failed: ${String(sent[1])}` };
      }
      const packets: unknown[] = [];
      if (type === 'raw' || type === 0) {
        // Raw has no boundaries: read until all the bytes sent are back.
        const total = echoCase.sends.reduce((n, b) => n + b.length, 0);
        const chunks: Buffer[] = [];
        let got = 0;
        while (got < total) {
          const r = await read(s, mode);
          if (r[0] !== 'ok') return { packets: [summary(Buffer.concat(chunks))], end: r };
          chunks.push(r[1] as Buffer);
          got += (r[1] as Buffer).length;
        }
        if (total > 0) packets.push(summary(Buffer.concat(chunks)));
      } else {
        while (packets.length < expected.length) {
          const r = await read(s, mode);
          if (r[0] !== 'ok') return { packets, end: r };
          packets.push(summary(r[1]));
        }
      }
      gen_tcp.shutdown(s, 'write');
      const last = await read(s, mode);
      return { packets, end: last[0] === 'closed' ? 'closed' : last };
    } finally {
      gen_tcp.close(s);
    }
  });
}

/** One packet, `['closed']` once the peer closed, or what went wrong (`['error', reason]`, `['timeout']`). */
async function read(s: TcpSocket, mode: ClientMode): Promise<readonly [string, unknown?]> {
  if (mode === false) {
    const r = await gen_tcp.recv(s, 0, READ_TIMEOUT);
    if (r[0] === 'error' && r[1] === 'closed') return ['closed'];
    return r;
  }
  if (mode === 'once') setopts(s, [['active', 'once']]);
  const m = await receive(['tcp', s, _], ['http', s, _], ['tcp_closed', s], ['tcp_error', s, _], after(READ_TIMEOUT, () => ['timeout'] as const));
  switch (m[0]) {
    case 'tcp':
    case 'http':
      return ['ok', m[2]];
    case 'tcp_closed':
      return ['closed'];
    case 'tcp_error':
      return ['error', m[2]];
    default:
      return m;
  }
}

/** Every case for `type`, each with the packets it expects, for `expect(...).toEqual`. */
export function expectedResults(type: PacketType): Record<string, CaseResult> {
  return Object.fromEntries(casesFor(type).map((c) => [c.name, { packets: expectedPackets(type, c.sends), end: 'closed' }]));
}
