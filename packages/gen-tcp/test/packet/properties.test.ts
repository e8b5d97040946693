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
  type PacketType,
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
