/**
 * Property tests (fast-check): streams of framed packets, cut at random,
 * come back as the same packets through the framer, through repeated
 * `decodePacket`, and through a real socket on 127.0.0.1; random bytes never
 * throw and frame like a non-incremental model of OTP's driver.
 *
 * The seed is fixed so that every run checks the same cases; `FC_SEED=<n>`
 * explores others. On a failure fast-check prints the shrunk counterexample
 * with its seed and path: pass both to that `fc.assert` to replay it.
 */
import { createServer } from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { _, after, receive, run } from '@beamline/runtime';
import { killAll } from '@beamline/runtime/testing';
import * as gen_tcp from '../../src/index.ts';
import * as inet from '../../src/inet.ts';
import {
  createFramer,
  decodePacket,
  encodePacket,
  type DecodeOptionsObject,
  type Framer,
  type HttpPacket,
  type HttpType,
  type IoData,
  type BytePacketType as PacketType,
} from '../../src/packet/index.js';
import { ok } from '../helpers.ts';

const SEED = process.env.FC_SEED === undefined ? 20_240_404 : Number(process.env.FC_SEED);
fc.configureGlobal({ seed: SEED });

afterEach(async () => {
  vi.restoreAllMocks();
  await killAll();
});

// ---------------------------------------------------------------------------
// Streams, cuts and the two decoders

/** At most this many chunks from one cut; the last one takes the rest, so 1-byte cuts of a 1 MB stream stay cheap. */
const MAX_CHUNKS = 4096;

/**
 * `stream` cut into chunks of the given sizes, taken in turn and again from
 * the first until the stream is used up. Each chunk is a copy, as a socket
 * gives.
 */
function cut(stream: Buffer, sizes: readonly number[]): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0, i = 0; at < stream.length; i++) {
    const size = chunks.length === MAX_CHUNKS - 1 ? stream.length - at : (sizes[i % sizes.length] ?? 1);
    chunks.push(Buffer.from(stream.subarray(at, at + size)));
    at += size;
  }
  return chunks;
}

/** Chunk sizes from 1 byte to more than a 64 KiB read. */
const cutsArb = fc.array(
  fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 1460 }), fc.integer({ min: 1, max: 70_000 })),
  { minLength: 1, maxLength: 6 },
);
/** Chunk sizes for short streams. */
const smallCutsArb = fc.array(fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 500 })), {
  minLength: 1,
  maxLength: 6,
});

/** `n` bytes of a cheap pattern seeded by `seed`, from `alphabet` when given: long bodies without drawing each byte. */
function filler(n: number, seed: number, alphabet?: readonly number[]): Buffer {
  const out = Buffer.allocUnsafe(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1_103_515_245) + 12_345) | 0;
    const v = (x >>> 16) & 0xff;
    out[i] = alphabet === undefined ? v : (alphabet[v % alphabet.length] ?? 0);
  }
  return out;
}

/** Bytes drawn from `alphabet`. */
const bytesOf = (alphabet: readonly number[], maxLength: number, minLength = 0): fc.Arbitrary<Buffer> =>
  fc.array(fc.constantFrom(...alphabet), { minLength, maxLength }).map((xs) => Buffer.from(xs));

/** A body of 0..`max` bytes: short ones byte by byte, the edges (0, max-1, max), and any length as a pattern. */
function bodyArb(max: number): fc.Arbitrary<Buffer> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: Math.min(max, 16) }).map((u) => Buffer.from(u)) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(0, max - 1, max), fc.nat()).map(([n, seed]) => filler(n, seed)) },
    { weight: 2, arbitrary: fc.tuple(fc.integer({ min: 0, max }), fc.nat()).map(([n, seed]) => filler(n, seed)) },
  );
}

/** Everything the framer gives, pushing the chunks one at a time. */
function frameAll(framer: Framer, chunks: readonly Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  for (const chunk of chunks) {
    framer.push(chunk);
    for (let p = framer.next(); p !== undefined; p = framer.next()) out.push(p);
  }
  return out;
}

/** Repeated `decodePacket` over `stream`: the packets, then what stopped it. */
function decodeAll(type: PacketType, stream: Buffer, options: DecodeOptionsObject): { packets: Buffer[]; end: unknown } {
  const packets: Buffer[] = [];
  let rest = stream;
  for (;;) {
    const result = decodePacket(type, rest, options);
    if (result[0] !== 'ok') return { packets, end: result };
    packets.push(result[1]);
    rest = result[2];
  }
}

const hex = (packets: readonly Buffer[]): string[] => packets.map((p) => p.toString('hex'));

/** The bytes `send` writes for `data` with `{packet, type}`. */
function encoded(type: 1 | 2 | 4, data: IoData): Buffer {
  const result = encodePacket(type, data);
  if (result[0] !== 'ok') throw new Error(`encodePacket(${type}) refused ${JSON.stringify(data)}`);
  return Buffer.concat(result[1]);
}

// ---------------------------------------------------------------------------
// Generators per packet type

const LENGTH_PREFIXED = [
  [1, 255],
  [2, 65_535],
  [4, 70_000],
] as const;

/** `{packet, 1|2|4}`: bodies, and the stream `send` makes of them (some sent as iolists). */
function lengthPrefixedArb(type: 1 | 2 | 4, max: number, maxPackets: number): fc.Arbitrary<{ bodies: Buffer[]; stream: Buffer }> {
  return fc.array(fc.record({ body: bodyArb(max), iolist: fc.boolean() }), { minLength: 1, maxLength: maxPackets }).map((packets) => ({
    bodies: packets.map((p) => p.body),
    stream: Buffer.concat(packets.map(({ body, iolist }) => encoded(type, iolist ? [body.subarray(0, 3), [body.subarray(3)]] : body))),
  }));
}

/** Bytes lines are made of: ordinary ones and every delimiter the line properties use. */
const LINE_ALPHABET = [97, 98, 13, 32, 200, 10, 0, 59, 255];

interface LineStream {
  readonly delimiter: number;
  /** Complete lines, each ending with the delimiter. */
  readonly lines: Buffer[];
  /** An unterminated last line. */
  readonly tail: Buffer;
  readonly stream: Buffer;
}

/** `{packet, line}`: lines of 0..5000 bytes ending with one of several delimiters, and a partial last line. */
function lineStreamArb(maxLine = 5000): fc.Arbitrary<LineStream> {
  const content = fc.oneof(bytesOf(LINE_ALPHABET, 12), fc.tuple(fc.integer({ min: 0, max: maxLine }), fc.nat()).map(([n, s]) => filler(n, s, LINE_ALPHABET)));
  return fc
    .record({
      delimiter: fc.constantFrom(10, 0, 59, 255),
      lines: fc.array(content, { minLength: 1, maxLength: 60 }),
      tail: bytesOf(LINE_ALPHABET, 50),
    })
    .map(({ delimiter, lines, tail }) => {
      // The delimiter may not appear inside a line.
      const clean = (b: Buffer): Buffer => Buffer.from(b.map((x) => (x === delimiter ? 97 : x)));
      const full = lines.map((l) => Buffer.concat([clean(l), Buffer.from([delimiter])]));
      const rest = clean(tail);
      return { delimiter, lines: full, tail: rest, stream: Buffer.concat([...full, rest]) };
    });
}

/** How an OTP socket with buffer `size` delivers lines then a partial tail: cut in `size`-byte pieces. */
function expectedLinePieces(lines: readonly Buffer[], tail: Buffer, size: number): { pieces: Buffer[]; pending: number } {
  const pieces: Buffer[] = [];
  for (const line of lines) {
    let at = 0;
    while (line.length - at > size) {
      pieces.push(line.subarray(at, at + size));
      at += size;
    }
    pieces.push(line.subarray(at));
  }
  let at = 0;
  while (tail.length - at >= size) {
    pieces.push(tail.subarray(at, at + size));
    at += size;
  }
  return { pieces, pending: tail.length - at };
}

/** The types whose header stays in the packet (`asn1.ts` … `tpkt.ts`). */
const HEADER_TYPES = ['asn1', 'cdr', 'sunrm', 'fcgi', 'tpkt'] as const;
type HeaderType = (typeof HEADER_TYPES)[number];
/** The longest header these generators write (`cdr`). */
const LONGEST_HEADER = 12;

/** One packet of a header type: what goes on the wire, what is delivered, the length `packet_size` is checked against. */
interface HeaderPacket {
  readonly wire: Buffer;
  readonly delivered: Buffer;
  readonly limited: number;
}

/** `value` as `size` big-endian bytes. */
const be = (value: number, size: number): number[] => Array.from({ length: size }, (_x, i) => Math.floor(value / 256 ** (size - 1 - i)) % 256);
const byte = fc.nat(255);

/** A well-formed packet of `type` with a random header and a body of up to `max` bytes. */
function headerPacketArb(type: HeaderType, max: number): fc.Arbitrary<HeaderPacket> {
  const whole = (head: readonly number[], body: Buffer): HeaderPacket => {
    const wire = Buffer.concat([Buffer.from(head), body]);
    return { wire, delivered: wire, limited: body.length };
  };
  switch (type) {
    case 'asn1': {
      const tag = fc.oneof(
        fc.constantFrom(0x00, 0x30, 0x02, 0x3e, 0xa0).map((t) => [t]),
        fc
          .tuple(fc.constantFrom(0x1f, 0x3f, 0xff), fc.array(fc.integer({ min: 0x80, max: 0xff }), { maxLength: 3 }), fc.integer({ min: 0, max: 0x7f }))
          .map(([first, more, last]) => [first, ...more, last]),
      );
      return fc
        .record({ body: bodyArb(max), tag, form: fc.constantFrom('short', 'indefinite', 'long'), k: fc.integer({ min: 1, max: 4 }) })
        .map(({ body, tag: t, form, k }) => {
          const n = body.length;
          const minimal = n === 0 ? 1 : Math.max(1, Math.ceil(Math.log2(n + 1) / 8));
          const length =
            form === 'short' && n < 128
              ? [n]
              : form === 'indefinite' && n === 0
                ? [0x80] // the indefinite form, a length of 0
                : [0x80 + Math.max(k, minimal), ...be(n, Math.max(k, minimal))];
          return whole([...t, ...length], body);
        });
    }
    case 'cdr':
      return fc.record({ body: bodyArb(max), flags: byte, minor: fc.integer({ min: 0, max: 2 }), kind: fc.integer({ min: 0, max: 7 }) }).map(({ body, flags, minor, kind }) => {
        const size = be(body.length, 4);
        return whole([0x47, 0x49, 0x4f, 0x50, 1, minor, flags, kind, ...((flags & 1) === 1 ? size.reverse() : size)], body);
      });
    case 'sunrm':
      return fc.record({ body: bodyArb(max), last: fc.boolean() }).map(({ body, last }) => whole(be(body.length + (last ? 0x8000_0000 : 0), 4), body));
    case 'tpkt':
      return fc.record({ body: bodyArb(Math.min(max, 65_531)), reserved: byte }).map(({ body, reserved }) => whole([3, reserved, ...be(body.length + 4, 2)], body));
    case 'fcgi':
      return fc
        .record({
          body: bodyArb(Math.min(max, 0xffff)),
          kind: fc.integer({ min: 1, max: 11 }),
          id: fc.tuple(byte, byte),
          padding: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 7 }), fc.constant(255)),
          reserved: byte,
          seed: fc.nat(),
        })
        .map(({ body, kind, id, padding, reserved, seed }) => {
          const head = Buffer.from([1, kind, ...id, ...be(body.length, 2), padding, reserved]);
          const delivered = Buffer.concat([head, body]);
          // The padding is on the wire, not in the packet.
          return { wire: Buffer.concat([delivered, filler(padding, seed)]), delivered, limited: body.length + padding };
        });
  }
}

/** A stream of 1..`maxPackets` packets of `type`, bodies up to 16, 300 or 70,000 bytes. */
function headerStreamArb(type: HeaderType, maxPackets: number, sizes: readonly number[] = [16, 300, 70_000]): fc.Arbitrary<HeaderPacket[]> {
  return fc.constantFrom(...sizes).chain((max) => fc.array(headerPacketArb(type, max), { minLength: 1, maxLength: maxPackets }));
}

/**
 * A non-incremental model of OTP's driver over a whole stream, built on
 * `decodePacket` (itself checked against OTP): the family looks through a
 * window of `bufferSize` bytes (`line` cuts there), a packet of known length
 * is reassembled whatever its size, and a full window with the length still
 * unknown grows to `packetSize` when larger, else is `emsgsize`.
 */
function driverModel(
  type: PacketType,
  stream: Buffer,
  options: { packetSize: number; bufferSize: number; lineDelimiter: number },
): { packets: Buffer[]; end: string } {
  const { packetSize, bufferSize, lineDelimiter } = options;
  const packets: Buffer[] = [];
  let rest = stream;
  let window = bufferSize;
  const decodeOptions = (): DecodeOptionsObject => (type === 'line' ? { packetSize, lineLength: window, lineDelimiter } : { packetSize });
  for (;;) {
    let input = rest.subarray(0, Math.min(rest.length, window));
    let result = decodePacket(type, input, decodeOptions());
    if (result[0] === 'more' && result[1] !== undefined && result[1] <= rest.length) {
      input = rest.subarray(0, result[1]);
      result = decodePacket(type, input, decodeOptions());
    }
    if (result[0] === 'error') return { packets, end: 'emsgsize' };
    if (result[0] === 'more') {
      if (result[1] !== undefined || rest.length < window) return { packets, end: `pending ${rest.length}` };
      if (packetSize > window) {
        window = packetSize;
        continue;
      }
      return { packets, end: 'emsgsize' };
    }
    packets.push(result[1]);
    rest = rest.subarray(input.length - result[2].length);
    window = bufferSize;
  }
}

/** The framer's end: failed with a reason, or how many bytes wait. */
const framerEnd = (framer: Framer): string => (framer.state.tag === 'failed' ? framer.state.reason : `pending ${framer.pending()}`);

// ---------------------------------------------------------------------------
// Well-formed streams: the same packets however they are cut

describe.each(LENGTH_PREFIXED)('property: {packet,%i} streams of bodies 0..%i', (type, max) => {
  it('frame back into the same packets however they are cut, through the framer and through decodePacket', () => {
    fc.assert(
      fc.property(
        lengthPrefixedArb(type, max, type === 1 ? 40 : 10),
        cutsArb,
        fc.constantFrom(0, max, max + 1, 1 << 30),
        fc.integer({ min: type, max: 3000 }),
        ({ bodies, stream }, sizes, packetSize, bufferSize) => {
          const framer = createFramer(type, { packetSize, bufferSize });
          expect(hex(frameAll(framer, cut(stream, sizes)))).toEqual(hex(bodies));
          expect(framer.pending()).toBe(0);
          expect(framer.state.tag).toBe('framing');
          const decoded = decodeAll(type, stream, { packetSize });
          expect(hex(decoded.packets)).toEqual(hex(bodies));
          expect(decoded.end).toEqual(['more', undefined]);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('property: line streams', () => {
  it('frame back into the same lines, long ones cut at the buffer size, through the framer and through decodePacket', () => {
    fc.assert(
      fc.property(
        lineStreamArb(),
        cutsArb,
        fc.constantFrom(1, 2, 8, 100, 1460, 1_000_000),
        fc.boolean(),
        ({ delimiter, lines, tail, stream }, sizes, bufferSize, limited) => {
          const expected = expectedLinePieces(lines, tail, bufferSize);
          const framer = createFramer('line', { lineDelimiter: delimiter, bufferSize, packetSize: limited ? bufferSize : 0 });
          expect(hex(frameAll(framer, cut(stream, sizes)))).toEqual(hex(expected.pieces));
          expect(framer.pending()).toBe(expected.pending);
          const decoded = decodeAll('line', stream, { lineDelimiter: delimiter, lineLength: bufferSize });
          expect(hex(decoded.packets)).toEqual(hex(expected.pieces));
          expect(decoded.end).toEqual(['more', undefined]);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe.each(HEADER_TYPES)('property: {packet,%s} streams', (type) => {
  it('frame back into the same packets however they are cut, and hold back a packet one byte short', () => {
    fc.assert(
      fc.property(
        headerStreamArb(type, 25),
        cutsArb,
        fc.constantFrom('none', 'largest', 'above', 'huge'),
        fc.integer({ min: LONGEST_HEADER, max: 3000 }),
        (packets, sizes, limit, bufferSize) => {
          const stream = Buffer.concat(packets.map((p) => p.wire));
          const expected = hex(packets.map((p) => p.delivered));
          const largest = Math.max(...packets.map((p) => p.limited));
          const packetSize = { none: 0, largest, above: largest + 1, huge: 1 << 30 }[limit];
          // Nothing is added on send for these types.
          const sent = encodePacket(type, stream);
          expect(sent[0] === 'ok' && sent[1].length === 1 && sent[1][0] === stream).toBe(true);

          const framer = createFramer(type, { packetSize, bufferSize });
          expect(hex(frameAll(framer, cut(stream, sizes)))).toEqual(expected);
          expect(framer.pending()).toBe(0);
          expect(framer.state.tag).toBe('framing');
          const decoded = decodeAll(type, stream, { packetSize });
          expect(hex(decoded.packets)).toEqual(expected);
          expect(decoded.end).toEqual(['more', undefined]);

          // One byte short of the end: the last packet is pending in both.
          const short = stream.subarray(0, stream.length - 1);
          const shortFramer = createFramer(type, { packetSize, bufferSize });
          expect(hex(frameAll(shortFramer, cut(short, sizes)))).toEqual(expected.slice(0, -1));
          expect(shortFramer.pending()).toBe((packets.at(-1)?.wire.length ?? 1) - 1);
          expect(decodeAll(type, short, { packetSize }).packets).toHaveLength(packets.length - 1);
        },
      ),
      { numRuns: 40 },
    );
  });
});

// ---------------------------------------------------------------------------
// Copies

/** Whether `packet` lies inside one of `chunks` (shares its memory). */
function isViewOfAny(packet: Buffer, chunks: readonly Buffer[]): boolean {
  return chunks.some(
    (chunk) => packet.buffer === chunk.buffer && packet.byteOffset >= chunk.byteOffset && packet.byteOffset + packet.length <= chunk.byteOffset + chunk.length,
  );
}

describe('property: the framer copies a packet at most once', () => {
  /** A stream of some type, with framer options that never fail on it. */
  const streamArb = fc.oneof(
    ...LENGTH_PREFIXED.map(([type, max]) => lengthPrefixedArb(type, max, 10).map(({ stream }) => ({ type: type as PacketType, stream, bufferSize: 1460, delimiter: 10 }))),
    fc.tuple(lineStreamArb(), fc.constantFrom(8, 1460, 1_000_000)).map(([l, bufferSize]) => ({ type: 'line' as PacketType, stream: l.stream, bufferSize, delimiter: l.delimiter })),
    ...HEADER_TYPES.map((type) => headerStreamArb(type, 10).map((packets) => ({ type: type as PacketType, stream: Buffer.concat(packets.map((p) => p.wire)), bufferSize: 1460, delimiter: 10 }))),
  );

  it('delivers a packet inside one chunk as a view, and joins one across chunks with a single concat of its own size', () => {
    fc.assert(
      fc.property(streamArb, cutsArb, ({ type, stream, bufferSize, delimiter }, sizes) => {
        const chunks = cut(stream, sizes);
        const framer = createFramer(type, { bufferSize, lineDelimiter: delimiter });
        const concat = vi.spyOn(Buffer, 'concat');
        let packets: Buffer[];
        let joined: Buffer[];
        try {
          packets = frameAll(framer, chunks);
          joined = concat.mock.results.map((r) => r.value as Buffer);
        } finally {
          concat.mockRestore();
        }
        // Every packet that is not a view of a chunk is the result of its own concat, and nothing else was joined.
        const copied = packets.filter((p) => p.length > 0 && !isViewOfAny(p, chunks));
        expect(joined.map((b) => b.length)).toEqual(copied.map((p) => p.length));
        expect(copied.every((p, i) => joined[i] === p)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});

// ---------------------------------------------------------------------------
// Random bytes

const BYTE_TYPES: PacketType[] = ['raw', 0, 1, 2, 4, 'line'];

/** Bytes mostly well framed for `type` (short packets, some with a wrong length) with garbage mixed in, cut off anywhere. */
function garbledArb(type: PacketType): fc.Arbitrary<Buffer> {
  const header = type === 1 || type === 2 || type === 4 ? type : 1;
  const framed =
    type === 'line'
      ? bytesOf([97, 98, 10, 0, 59], 20)
      : fc
          .record({ body: fc.oneof(fc.uint8Array({ maxLength: 14 }), fc.uint8Array({ maxLength: 100 })), wrong: fc.option(fc.uint8Array({ minLength: header, maxLength: header }), { freq: 30 }) })
          .map(({ body, wrong }) => Buffer.concat([wrong ?? Buffer.from(be(body.length, header)), body]));
  const part = fc.oneof({ weight: 15, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 6 }).map((u) => Buffer.from(u)) }, { weight: 85, arbitrary: framed });
  return fc.tuple(fc.array(part, { maxLength: 30 }), fc.integer({ min: 0, max: 1000 })).map(([parts, keep]) => {
    const whole = Buffer.concat(parts);
    return whole.subarray(0, Math.round((whole.length * keep) / 1000));
  });
}

/** Small buffers and limits, where the driver's window matters. */
const smallOptionsArb = fc.record({
  packetSize: fc.constantFrom(0, 0, 0, 2, 3, 8, 12, 64, 1000),
  bufferSize: fc.constantFrom(1, 2, 3, 4, 5, 8, 12, 16, 64, 1460),
  lineDelimiter: fc.constantFrom(10, 0, 59),
});

describe('property: random bytes', () => {
  it('frame like the driver model and never throw', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...BYTE_TYPES).chain((type) => fc.tuple(fc.constant(type), garbledArb(type))),
        smallOptionsArb,
        smallCutsArb,
        ([type, stream], options, sizes) => {
          const chunks = cut(stream, sizes);
          const framer = createFramer(type, options);
          const packets = frameAll(framer, chunks);
          if (type === 'raw' || type === 0) {
            expect(hex(packets)).toEqual(hex(chunks));
            return;
          }
          const model = driverModel(type, stream, options);
          expect({ packets: hex(packets), end: framerEnd(framer) }).toEqual({ packets: hex(model.packets), end: model.end });
        },
      ),
      { numRuns: 600 },
    );
  });

  it('decodePacket answers ok, more or invalid, consistently with its input', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...BYTE_TYPES),
        fc.oneof(fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u)), bytesOf([0, 0, 1, 2, 10, 97], 40)),
        fc.constantFrom(0, 1, 5, 20, 2 ** 32 - 1),
        fc.constantFrom(0, 1, 5, 20),
        byte,
        (type, data, packetSize, lineLength, lineDelimiter) => {
          const options: DecodeOptionsObject = { packetSize, lineLength, ...(type === 'line' ? { lineDelimiter } : {}) };
          const result = decodePacket(type, data, options);
          switch (result[0]) {
            case 'ok': {
              const [, packet, rest] = result;
              expect(packet.buffer).toBe(data.buffer);
              expect(packet.byteOffset).toBeGreaterThanOrEqual(data.byteOffset);
              expect(rest.byteOffset + rest.length).toBe(data.byteOffset + data.length);
              expect(packet.byteOffset + packet.length).toBeLessThanOrEqual(rest.byteOffset);
              break;
            }
            case 'more':
              if (result[1] !== undefined) expect(result[1]).toBeGreaterThan(data.length);
              break;
            case 'error':
              expect(result[1]).toBe('invalid');
              break;
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it.each(HEADER_TYPES)('{packet,%s} frames like the driver model with garbage and small buffers, and never throws', (type) => {
    const garbage = fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 6 }), bytesOf([0, 1, 3, 0x1f, 0x80, 0x81, 0xff], 6, 1));
    const part = fc.oneof(
      { weight: 15, arbitrary: garbage.map((u) => Buffer.from(u)) },
      { weight: 85, arbitrary: fc.oneof(...[4, 16, 100].map((max) => headerPacketArb(type, max).map((p) => p.wire))) },
    );
    fc.assert(
      fc.property(fc.array(part, { maxLength: 20 }), fc.integer({ min: 0, max: 1000 }), smallOptionsArb, smallCutsArb, (parts, keep, options, sizes) => {
        const whole = Buffer.concat(parts);
        const stream = whole.subarray(0, Math.round((whole.length * keep) / 1000));
        const framer = createFramer(type, { ...options, lineDelimiter: 10 });
        const packets = frameAll(framer, cut(stream, sizes));
        const model = driverModel(type, stream, { ...options, lineDelimiter: 10 });
        expect({ packets: hex(packets), end: framerEnd(framer) }).toEqual({ packets: hex(model.packets), end: model.end });
      }),
      { numRuns: 150 },
    );
  });
});

// ---------------------------------------------------------------------------
// HTTP: decodePacket

const HTTP_PAIRS = [
  ['http', 'httph'],
  ['http_bin', 'httph_bin'],
] as const;

const EOL = fc.constantFrom('\r\n', '\r\n', '\n');
const SPACE = fc.constantFrom(' ', ' ', '  ', '\t');
const requestLineArb = fc
  .tuple(
    fc.constantFrom('GET', 'POST', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE', 'get', 'PATCH', 'CONNECT'),
    SPACE,
    fc.constantFrom('/', '/a/b?c', '*', 'http://h:81/p?q', 'https://example.com', 'h:443', 'x', 'ab', 'mailto:a@b', '/\xc8'),
    fc.option(fc.tuple(SPACE, fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/1.x', 'HTTP/12.3')).map(([sp, v]) => sp + v), { nil: '' }),
    EOL,
  )
  .map((parts) => parts.join(''));
const statusLineArb = fc
  .tuple(fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0'), fc.constantFrom(' 200', ' 404 Not Found', ' 200 OK  ', ' abc', ' ', ''), EOL)
  .map((parts) => parts.join(''));
const headerValueArb = fc.array(fc.constantFrom('a', 'b', ' ', '5', '\t', ':', '\xc8'), { maxLength: 20 }).map((xs) => xs.join(''));
const goodHeaderArb = fc
  .tuple(
    fc.constantFrom('Host', 'content-length', 'WWW-AUTHENTICATE', 'X-A', 'x-forwarded-for', 'Set-Cookie', 'N'.repeat(55), ''),
    fc.constantFrom(':', ': ', ':  '),
    headerValueArb,
    EOL,
    // A folded continuation line.
    fc.option(fc.tuple(fc.constantFrom(' ', '\t'), headerValueArb, EOL).map((parts) => parts.join('')), { nil: '' }),
  )
  .map((parts) => parts.join(''));
const badHeaderArb = fc.tuple(fc.constantFrom('no colon', 'Bad Name: v', 'Name : v'), EOL).map((parts) => parts.join(''));
const headerLineArb = fc.oneof({ weight: 5, arbitrary: goodHeaderArb }, { weight: 1, arbitrary: badHeaderArb });
/** Pipelined messages: a start line (or a bad one), header lines, an empty line. */
const httpStreamArb = fc
  .array(
    fc.tuple(fc.oneof(requestLineArb, statusLineArb, fc.constantFrom('\r\n', 'garbage\r\n')), fc.array(headerLineArb, { maxLength: 6 }), EOL),
    { minLength: 1, maxLength: 5 },
  )
  .map((messages) => Buffer.from(messages.map(([start, headers, end]) => start + headers.join('') + end).join(''), 'latin1'));
const httpOptionsArb = fc.constantFrom<DecodeOptionsObject>({}, {}, { packetSize: 40 }, { lineLength: 40 }, { packetSize: 1000 });

/** Where a stream of HTTP packets stands: the packets, then what stopped the decoding. */
interface HttpDecoding {
  packets: HttpPacket[];
  end: unknown;
}

/**
 * `decodePacket` driven as a socket in `{packet, http}` mode drives it:
 * `start` (`http`) for a start line, `header` (`httph`) after a request or
 * status line until `http_eoh`. `next` decodes what is buffered; `undefined`
 * when it stopped (`end` says why).
 */
function httpDecoder(pair: readonly [HttpType, HttpType], options: DecodeOptionsObject): { push(chunk: Buffer): void; finish(): HttpDecoding } {
  const packets: HttpPacket[] = [];
  let end: unknown = ['more', undefined];
  let inHeaders = false;
  let buffered: Buffer = Buffer.alloc(0);
  let stopped = false;
  return {
    push(chunk) {
      if (stopped) return;
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      // Each ok consumes at least one byte, so this ends.
      for (;;) {
        const result = decodePacket(inHeaders ? pair[1] : pair[0], buffered, options);
        if (result[0] !== 'ok') {
          end = result;
          stopped = result[0] === 'error';
          return;
        }
        const [, packet, rest] = result as readonly ['ok', HttpPacket, Buffer];
        if (rest.length >= buffered.length) throw new Error(`decodePacket consumed nothing: ${JSON.stringify(result)}`);
        packets.push(packet);
        if (packet === 'http_eoh') inHeaders = false;
        else if (packet[0] === 'http_request' || packet[0] === 'http_response') inHeaders = true;
        buffered = rest;
      }
    },
    finish: () => ({ packets, end }),
  };
}

/** Every term a framer of an HTTP type gives, pushing the chunks one at a time. */
function frameAllHttp(framer: Framer, chunks: readonly Buffer[]): HttpPacket[] {
  const out: HttpPacket[] = [];
  for (const chunk of chunks) {
    framer.push(chunk);
    for (let p = framer.nextHttp(); p !== undefined; p = framer.nextHttp()) out.push(p);
  }
  return out;
}

describe.each(HTTP_PAIRS)('property: %s/%s streams', (start, header) => {
  it('decode to the same packets whole or cut into chunks, through decodePacket and through the framer', () => {
    fc.assert(
      fc.property(httpStreamArb, smallCutsArb, httpOptionsArb, (stream, sizes, options) => {
        const whole = httpDecoder([start, header], options);
        whole.push(stream);
        const chunks = cut(stream, sizes);
        const chunked = httpDecoder([start, header], options);
        for (const chunk of chunks) chunked.push(chunk);
        const expected = whole.finish();
        expect(chunked.finish()).toEqual(expected);
        // A well-formed stream of short lines reads to its end.
        if (Object.keys(options).length === 0) expect(expected.end).toEqual(['more', undefined]);
        // The socket's framer, which switches between start line and headers itself; it has packet_size but no line_length.
        if (options.lineLength === undefined) {
          const framer = createFramer(start, { packetSize: options.packetSize ?? 0 });
          expect(frameAllHttp(framer, chunks)).toEqual(expected.packets);
          expect(framer.state.tag).toBe((expected.end as readonly unknown[])[0] === 'error' ? 'failed' : 'framing');
        }
      }),
      { numRuns: 200 },
    );
  });

  it('random bytes never throw: every answer is a packet with the rest of the input, more, or invalid', () => {
    const token = fc.oneof(
      fc.constantFrom('GET ', 'HTTP/1.1', 'HTTP/', ' ', '\r\n', '\n', '\r', ':', 'Host', 'http://', '/', 'a', '\t', '9', '*').map((t) => Buffer.from(t, 'latin1')),
      fc.uint8Array({ minLength: 1, maxLength: 4 }).map((u) => Buffer.from(u)),
    );
    const tags = new Set(['http_request', 'http_response', 'http_header', 'http_error']);
    fc.assert(
      fc.property(fc.array(token, { maxLength: 30 }).map((parts) => Buffer.concat(parts)), httpOptionsArb, (data, options) => {
        // Every type on the raw bytes, then the start/header machine over all of them.
        for (const type of [start, header]) {
          const result = decodePacket(type, data, options);
          if (result[0] === 'ok') {
            const [, packet, rest] = result;
            expect(packet === 'http_eoh' || tags.has(packet[0] as string)).toBe(true);
            expect(rest.length).toBeLessThan(data.length);
            expect(rest.byteOffset + rest.length).toBe(data.byteOffset + data.length);
          } else if (result[0] === 'more') {
            if (result[1] !== undefined) expect(result[1]).toBeGreaterThan(data.length);
          } else {
            expect(result[1]).toBe('invalid');
          }
        }
        // The start/header machine over all of it: it makes progress on every packet (it throws if not).
        httpDecoder([start, header], options).push(data);
      }),
      { numRuns: 500 },
    );
  });
});

// ---------------------------------------------------------------------------
// Through a socket

interface Write {
  /** Bytes in this write. */
  readonly size: number;
  /** What the writer waits for after it: nothing, one turn of the event loop, or 1 ms. */
  readonly pause: 'none' | 'turn' | 'timer';
}

/**
 * A plain node:net server that writes `stream` to its first connection in
 * the given writes (no Nagle, with pauses so the pieces reach the reader
 * apart), the rest in one last write, then closes its side.
 */
async function startWriter(stream: Buffer, writes: readonly Write[]): Promise<{ port: number; close(): void }> {
  const server = createServer({ noDelay: true }, (conn) => {
    conn.on('error', () => {});
    void (async () => {
      let at = 0;
      for (const w of writes) {
        if (at >= stream.length || conn.destroyed) break;
        conn.write(stream.subarray(at, at + w.size));
        at += w.size;
        if (w.pause === 'turn') await new Promise((resolve) => setImmediate(resolve));
        else if (w.pause === 'timer') await new Promise((resolve) => setTimeout(resolve, 1));
      }
      if (at < stream.length) conn.write(stream.subarray(at));
      conn.end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { port: address.port, close: () => server.close() };
}

const writesArb = fc.array(fc.record({ size: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 3000 })), pause: fc.constantFrom('none', 'turn', 'timer') }), {
  minLength: 1,
  maxLength: 25,
});

type Active = false | true | 'once' | number;

/**
 * What a Beamline socket with these options receives from `port` until the
 * peer closes: packets (Buffers, or terms for the HTTP types), then the end.
 */
async function receiveAll(port: number, options: gen_tcp.OptionList, active: Active, limit: number): Promise<{ packets: unknown[]; end: unknown }> {
  return run(async (): Promise<{ packets: unknown[]; end: unknown }> => {
    const s = ok(await gen_tcp.connect('127.0.0.1', port, ['binary', ['active', active], ...options]));
    const packets: unknown[] = [];
    let end: unknown = 'too many packets';
    // Bounded: at most `limit` packets, each after at most one tcp_passive.
    for (let i = 0; i <= 2 * limit && packets.length <= limit; i++) {
      if (active === false) {
        const r = await gen_tcp.recv(s, 0, 3000);
        if (r[0] === 'error') {
          end = r[1];
          break;
        }
        packets.push(r[1]);
        continue;
      }
      const m = await receive(['tcp', s, _], ['http', s, _], ['tcp_passive', s], ['tcp_closed', s], ['tcp_error', s, _], after(3000));
      if (m === undefined) {
        end = 'timeout';
        break;
      }
      if (m[0] === 'tcp' || m[0] === 'http') {
        packets.push(m[2]);
        if (active === 'once') inet.setopts(s, [['active', 'once']]);
      } else if (m[0] === 'tcp_passive') {
        inet.setopts(s, [['active', active]]);
      } else {
        end = m[0] === 'tcp_closed' ? 'closed' : m[2];
        break;
      }
    }
    gen_tcp.close(s);
    return { packets, end };
  });
}

/** A stream for the socket properties: its type, the socket options, and the options that make `decodePacket` frame it the same. */
interface SocketCase {
  readonly type: PacketType;
  readonly stream: Buffer;
  readonly socket: gen_tcp.OptionList;
  readonly decode: DecodeOptionsObject;
}

const socketBufferArb = fc.constantFrom(16, 100, 1460, 65_536);
const socketCaseArb: fc.Arbitrary<SocketCase> = fc.oneof(
  ...LENGTH_PREFIXED.map(([type, max]) =>
    fc.tuple(lengthPrefixedArb(type, Math.min(max, 3000), 12), socketBufferArb, fc.boolean(), fc.boolean()).map(([{ bodies, stream }, buffer, limited, short]): SocketCase => {
      const packetSize = limited ? Math.max(...bodies.map((b) => b.length)) : 0;
      return {
        type: type as PacketType,
        // One byte short: the last packet is partial at close, and dropped.
        stream: short ? stream.subarray(0, -1) : stream,
        socket: [['packet', type], ['buffer', buffer], ['packet_size', packetSize]],
        decode: { packetSize },
      };
    }),
  ),
  fc.tuple(lineStreamArb(2000), socketBufferArb, fc.boolean()).map(([{ delimiter, stream }, buffer, limited]): SocketCase => ({
    type: 'line' as PacketType,
    stream,
    socket: [['packet', 'line'], ['buffer', buffer], ['packet_size', limited ? buffer : 0], ['line_delimiter', delimiter]],
    decode: { lineLength: buffer, lineDelimiter: delimiter },
  })),
  ...HEADER_TYPES.map((type) =>
    fc.tuple(headerStreamArb(type, 12, [16, 300, 3000]), socketBufferArb, fc.boolean()).map(([packets, buffer, short]): SocketCase => {
      const stream = Buffer.concat(packets.map((p) => p.wire));
      return {
        type: type as PacketType,
        stream: short ? stream.subarray(0, -1) : stream,
        socket: [['packet', type], ['buffer', buffer]],
        decode: {},
      };
    }),
  ),
);

describe('property: framed streams through a socket', () => {
  /** The socket, fed in random writes, gives what repeated `decodePacket` gives for the whole stream. */
  async function check(c: SocketCase, writes: readonly Write[], active: Active): Promise<void> {
    const expected = decodeAll(c.type, c.stream, c.decode);
    expect((expected.end as readonly unknown[])[0]).toBe('more');
    const writer = await startWriter(c.stream, writes);
    try {
      const got = await receiveAll(writer.port, c.socket, active, expected.packets.length + 5);
      expect({ packets: hex(got.packets as Buffer[]), end: got.end }).toEqual({ packets: hex(expected.packets), end: 'closed' });
    } finally {
      writer.close();
    }
  }

  it('passive: recv gives the packets decodePacket finds, then closed', async () => {
    await fc.assert(
      fc.asyncProperty(socketCaseArb, writesArb, (c, writes) => check(c, writes, false)),
      { numRuns: 30, plugins: [fc.timeout(8000)] },
    );
  }, 60_000);

  it('active (true, once, N): the messages carry the packets decodePacket finds, then tcp_closed', async () => {
    await fc.assert(
      fc.asyncProperty(socketCaseArb, writesArb, fc.constantFrom<Active>(true, 'once', 1, 3), (c, writes, active) => check(c, writes, active)),
      // Another seed than the passive property's, so the two do not draw the same streams.
      { numRuns: 30, seed: SEED + 1, plugins: [fc.timeout(8000)] },
    );
  }, 60_000);

  it.each(['http', 'http_bin'] as const)(
    '{packet,%s}, passive and active: the terms the start-line/header machine over decodePacket finds, then closed',
    async (type) => {
      const pair = HTTP_PAIRS.find((p) => p[0] === type) ?? HTTP_PAIRS[0];
      await fc.assert(
        fc.asyncProperty(httpStreamArb, writesArb, fc.constantFrom<Active>(false, true, 'once', 2), async (stream, writes, active) => {
          const decoder = httpDecoder(pair, {});
          decoder.push(stream);
          const expected = decoder.finish();
          expect(expected.end).toEqual(['more', undefined]);
          const writer = await startWriter(stream, writes);
          try {
            const got = await receiveAll(writer.port, [['packet', type]], active, expected.packets.length + 5);
            expect(got).toEqual({ packets: expected.packets, end: 'closed' });
          } finally {
            writer.close();
          }
        }),
        { numRuns: 25, seed: SEED + 2, plugins: [fc.timeout(8000)] },
      );
    },
    60_000,
  );
});
