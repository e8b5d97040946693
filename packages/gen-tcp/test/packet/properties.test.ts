/**
 * Property tests: random packet streams, cut at random, frame back into the
 * same packets through the framer and through repeated `decodePacket`; random
 * bytes never throw and frame like a non-incremental model of OTP's driver.
 * Each case is named by its seed (see `random.ts`).
 */
import { describe, expect, it } from 'vitest';
import {
  createFramer,
  decodePacket,
  encodePacket,
  type DecodeOptionsObject,
  type Framer,
  type BytePacketType as PacketType,
} from '../../src/packet/index.js';
import { cut, seeded, type Random } from './random.js';

const SEEDS = Array.from({ length: 24 }, (_, i) => 1000 + i);
const CHUNK_MAX = [1, 2, 3, 7, 64, 1460, 16_384, 65_536, 1 << 20];

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

function bodySize(random: Random, max: number): number {
  switch (random.int(0, 4)) {
    case 0:
      return random.int(0, Math.min(max, 16));
    case 1:
      return random.pick([0, max, max - 1]);
    default:
      return random.int(0, max);
  }
}

describe.each([
  [1, 255],
  [2, 65_535],
  [4, 70_000],
] as const)('property: {packet,%i} streams of bodies 0..%i', (type, max) => {
  it.each(SEEDS)('frame back into the same packets however they are cut (seed %i)', (seed) => {
    const random = seeded(seed);
    const bodies = Array.from({ length: random.int(1, type === 1 ? 40 : 10) }, () => random.bytes(bodySize(random, max)));
    const pieces: Buffer[] = [];
    for (const body of bodies) {
      const encoded = encodePacket(type, random.next() < 0.5 ? body : [body.subarray(0, 3), [body.subarray(3)]]);
      if (encoded[0] !== 'ok') throw new Error(`encodePacket failed on ${body.length} bytes`);
      pieces.push(...encoded[1]);
    }
    const stream = Buffer.concat(pieces);
    const chunkMax = random.pick(CHUNK_MAX);
    const packetSize = random.pick([0, max, max + 1, 1 << 30]);
    const bufferSize = random.int(type, 3000);
    const framer = createFramer(type, { packetSize, bufferSize });
    expect(hex(frameAll(framer, cut(random, stream, chunkMax)))).toEqual(hex(bodies));
    expect(framer.pending()).toBe(0);
    expect(framer.state.tag).toBe('framing');
    const decoded = decodeAll(type, stream, { packetSize });
    expect(hex(decoded.packets)).toEqual(hex(bodies));
    expect(decoded.end).toEqual(['more', undefined]);
  });
});

describe('property: line streams', () => {
  /** How an OTP socket with buffer `size` delivers `text`: lines, cut in `size`-byte pieces. */
  function expectedPieces(lines: readonly Buffer[], tail: Buffer, size: number): { pieces: Buffer[]; pending: number } {
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

  it.each(SEEDS)('frame back into the same lines, long ones cut at the buffer size (seed %i)', (seed) => {
    const random = seeded(seed);
    const delimiter = random.pick([10, 0, 59, 255]);
    const alphabet = [97, 98, 13, 32, 200].filter((x) => x !== delimiter);
    const maxLine = random.pick([0, 5, 100, 5000]);
    const lines = Array.from({ length: random.int(1, 60) }, () =>
      Buffer.concat([random.bytes(random.int(0, maxLine), alphabet), Buffer.from([delimiter])]),
    );
    const tail = random.bytes(random.int(0, 50), alphabet);
    const stream = Buffer.concat([...lines, tail]);
    const bufferSize = random.pick([1, 2, 8, 100, 1460, 1_000_000]);
    const expected = expectedPieces(lines, tail, bufferSize);

    const framer = createFramer('line', { lineDelimiter: delimiter, bufferSize, packetSize: random.pick([0, bufferSize]) });
    expect(hex(frameAll(framer, cut(random, stream, random.pick(CHUNK_MAX))))).toEqual(hex(expected.pieces));
    expect(framer.pending()).toBe(expected.pending);

    const decoded = decodeAll('line', stream, { lineDelimiter: delimiter, lineLength: bufferSize });
    expect(hex(decoded.packets)).toEqual(hex(expected.pieces));
    expect(decoded.end).toEqual(['more', undefined]);
  });
});

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
  const decodeOptions = (): DecodeOptionsObject =>
    type === 'line' ? { packetSize, lineLength: window, lineDelimiter } : { packetSize };
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

/**
 * Bytes that are mostly well framed for `type` (short packets, some over
 * the usual limits) with random garbage mixed in, cut off anywhere.
 */
function randomStream(random: Random, type: PacketType): Buffer {
  const parts: Buffer[] = [];
  const header = type === 1 || type === 2 || type === 4 ? type : 1;
  for (let n = random.int(0, 30); n > 0; n--) {
    const roll = random.next();
    if (roll < 0.15) {
      parts.push(random.bytes(random.int(1, 6)));
    } else if (type === 'line') {
      parts.push(random.bytes(random.int(0, 20), [97, 98, 10, 0, 59]));
    } else {
      const body = random.bytes(random.int(0, roll < 0.3 ? 100 : 14));
      const head = Buffer.alloc(header);
      head.writeUIntBE(roll > 0.97 ? random.int(0, 256 ** header - 1) : body.length, 0, header);
      parts.push(head, body);
    }
  }
  const stream = Buffer.concat(parts);
  return stream.subarray(0, random.int(0, stream.length));
}

describe('property: random bytes', () => {
  const TYPES: PacketType[] = ['raw', 0, 1, 2, 4, 'line'];
  const MANY_SEEDS = Array.from({ length: 150 }, (_, i) => 5000 + i);

  it.each(MANY_SEEDS.flatMap((seed) => TYPES.map((type) => [seed, type] as const)))(
    'frame like the driver model and never throw (seed %i, type %s)',
    (seed, type) => {
      const random = seeded(seed * 31 + TYPES.indexOf(type));
      const stream = randomStream(random, type);
      const options = {
        packetSize: random.pick([0, 0, 0, 2, 3, 8, 12, 64, 1000]),
        bufferSize: random.pick([1, 2, 3, 4, 5, 8, 16, 64, 1460]),
        lineDelimiter: random.pick([10, 0, 59]),
      };
      const chunks = cut(random, stream, random.pick([1, 3, 16, 500]));
      const framer = createFramer(type, options);
      const packets = frameAll(framer, chunks);
      if (type === 'raw' || type === 0) {
        expect(hex(packets)).toEqual(hex(chunks));
        return;
      }
      const end = framer.state.tag === 'failed' ? framer.state.reason : `pending ${framer.pending()}`;
      const model = driverModel(type, stream, options);
      expect({ packets: hex(packets), end }).toEqual({ packets: hex(model.packets), end: model.end });
    },
  );

  it.each(SEEDS)('decodePacket answers ok, more or invalid, consistently with its input (seed %i)', (seed) => {
    const random = seeded(seed);
    for (let i = 0; i < 300; i++) {
      const type = random.pick(TYPES);
      const data = random.bytes(random.int(0, 40), random.pick([[0, 0, 1, 2, 10, 97], undefined]));
      const options: DecodeOptionsObject = {
        packetSize: random.pick([0, 1, 5, 20, 2 ** 32 - 1]),
        lineLength: random.pick([0, 1, 5, 20]),
        ...(type === 'line' ? { lineDelimiter: random.int(0, 255) } : {}),
      };
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
    }
  });
});

/** The types whose header stays in the packet (`asn1.ts` … `tpkt.ts`). */
const HEADER_TYPES = ['asn1', 'cdr', 'sunrm', 'fcgi', 'tpkt'] as const;
type HeaderType = (typeof HEADER_TYPES)[number];
/** The longest header these generators write (`cdr`). */
const LONGEST_HEADER = 12;

/**
 * One well-formed packet of `type` with a random header and a body of up to
 * `max` bytes: what goes on the wire, what is delivered (all of it, but for
 * the padding of `fcgi`), and the length `packet_size` is checked against.
 */
function headerPacket(random: Random, type: HeaderType, max: number): { wire: Buffer; delivered: Buffer; limited: number } {
  const body = random.bytes(bodySize(random, max));
  const whole = (head: number[]): { wire: Buffer; delivered: Buffer; limited: number } => {
    const wire = Buffer.concat([Buffer.from(head), body]);
    return { wire, delivered: wire, limited: body.length };
  };
  const be = (value: number, size: number): number[] => Array.from({ length: size }, (_, i) => Math.floor(value / 256 ** (size - 1 - i)) % 256);
  switch (type) {
    case 'asn1': {
      const tag =
        random.next() < 0.5
          ? [random.pick([0x00, 0x30, 0x02, 0x3e, 0xa0])]
          : [random.pick([0x1f, 0x3f, 0xff]), ...Array.from({ length: random.int(0, 3) }, () => random.int(0x80, 0xff)), random.int(0, 0x7f)];
      const minimal = body.length === 0 ? 0 : Math.ceil(Math.log2(body.length + 1) / 8);
      const length =
        body.length < 128 && random.next() < 0.5
          ? [body.length]
          : body.length === 0 && random.next() < 0.5
            ? [0x80] // the indefinite form, a length of 0
            : ((k) => [0x80 + k, ...be(body.length, k)])(random.int(Math.max(minimal, 1), 4));
      return whole([...tag, ...length]);
    }
    case 'cdr': {
      const flags = random.int(0, 255);
      const size = be(body.length, 4);
      return whole([0x47, 0x49, 0x4f, 0x50, 1, random.int(0, 2), flags, random.int(0, 7), ...((flags & 1) === 1 ? size.reverse() : size)]);
    }
    case 'sunrm':
      return whole(be(body.length + (random.next() < 0.5 ? 0x8000_0000 : 0), 4));
    case 'tpkt':
      return whole([3, random.int(0, 255), ...be(body.length + 4, 2)]);
    case 'fcgi': {
      const content = body.subarray(0, Math.min(body.length, 0xffff));
      const padding = random.pick([0, 0, random.int(1, 7), 255]);
      const head = Buffer.from([1, random.int(1, 11), random.int(0, 255), random.int(0, 255), ...be(content.length, 2), padding, random.int(0, 255)]);
      const delivered = Buffer.concat([head, content]);
      return { wire: Buffer.concat([delivered, random.bytes(padding)]), delivered, limited: content.length + padding };
    }
  }
}

/** Fewer seeds than for 1/2/4: each case frames up to 1.7 MB cut as small as 1 byte, five types over. */
const HEADER_SEEDS = SEEDS.slice(0, 8);

describe.each(HEADER_TYPES)('property: {packet,%s} streams', (type) => {
  it.each(HEADER_SEEDS)('frame back into the same packets however they are cut (seed %i)', (seed) => {
    const random = seeded(seed * 7 + HEADER_TYPES.indexOf(type));
    const max = random.pick([16, 300, 70_000]);
    const packets = Array.from({ length: random.int(1, 25) }, () => headerPacket(random, type, type === 'tpkt' ? Math.min(max, 65_531) : max));
    const stream = Buffer.concat(packets.map((p) => p.wire));
    const expected = hex(packets.map((p) => p.delivered));
    const largest = Math.max(...packets.map((p) => p.limited));
    const packetSize = random.pick([0, largest, largest + 1, 1 << 30]);
    const bufferSize = random.int(LONGEST_HEADER, 3000);
    // Nothing is added on send for these types.
    expect(encodePacket(type, stream)).toEqual(['ok', [stream]]);

    const framer = createFramer(type, { packetSize, bufferSize });
    expect(hex(frameAll(framer, cut(random, stream, random.pick(CHUNK_MAX))))).toEqual(expected);
    expect(framer.pending()).toBe(0);
    expect(framer.state.tag).toBe('framing');
    const decoded = decodeAll(type, stream, { packetSize });
    expect(hex(decoded.packets)).toEqual(expected);
    expect(decoded.end).toEqual(['more', undefined]);

    // One byte short of the end: the last packet is pending in both.
    const short = stream.subarray(0, stream.length - 1);
    const shortFramer = createFramer(type, { packetSize, bufferSize });
    expect(hex(frameAll(shortFramer, cut(random, short, random.pick(CHUNK_MAX))))).toEqual(expected.slice(0, -1));
    expect(decodeAll(type, short, { packetSize }).packets).toHaveLength(packets.length - 1);
  });

  it.each(SEEDS)('frame like the driver model with garbage and small buffers, and never throw (seed %i)', (seed) => {
    const random = seeded(seed * 13 + HEADER_TYPES.indexOf(type));
    const parts: Buffer[] = [];
    for (let n = random.int(0, 20); n > 0; n--) {
      if (random.next() < 0.15) parts.push(random.bytes(random.int(1, 6), random.pick([undefined, [0, 1, 3, 0x1f, 0x80, 0x81, 0xff]])));
      else parts.push(headerPacket(random, type, random.pick([4, 16, 100])).wire);
    }
    const whole = Buffer.concat(parts);
    const stream = whole.subarray(0, random.int(0, whole.length));
    const options = {
      packetSize: random.pick([0, 0, 0, 2, 3, 8, 12, 64, 1000]),
      bufferSize: random.pick([1, 2, 3, 4, 5, 8, 12, 16, 64, 1460]),
      lineDelimiter: 10,
    };
    const framer = createFramer(type, options);
    const packets = frameAll(framer, cut(random, stream, random.pick([1, 3, 16, 500])));
    const end = framer.state.tag === 'failed' ? framer.state.reason : `pending ${framer.pending()}`;
    const model = driverModel(type, stream, options);
    expect({ packets: hex(packets), end }).toEqual({ packets: hex(model.packets), end: model.end });
  });
});
