/**
 * Decoder throughput: a `{packet,4}` stream of 64-byte or 64-KiB packets, or
 * a `line` stream of short text lines, arrives in 64 KiB chunks (what one
 * socket read gives) and is framed into packets. Figure: MB/s of stream
 * (10^6 bytes a second, higher is better).
 *
 * - beamline: the socket's `Framer`: `push` each chunk, then `next` until
 *   `undefined`.
 * - baseline: the decoder a developer writes by hand for that one framing
 *   (`readUInt32BE` + `subarray`, `indexOf` for lines, the unread tail
 *   joined to the next chunk).
 * - also measured, in the note: `decodePacket` called in a loop the same
 *   way, the tail joined to the next chunk.
 *
 * Usage: `decoder.ts packet4-64 | packet4-64k | line`.
 */
import { createFramer, decodePacket } from '../src/packet/index.js';
import { measure, report } from '../../runtime/bench/harness.js';

const CHUNK = 64 * 1024;
const EMPTY: Buffer = Buffer.alloc(0);

interface Case {
  readonly scenario: string;
  readonly metric: string;
  readonly type: 4 | 'line';
  readonly stream: Buffer;
  readonly packets: number;
}

/** `count` packets of `size` bytes, each with its 4-byte length. */
function packet4Stream(size: number, count: number): Buffer {
  const stream = Buffer.allocUnsafe((4 + size) * count);
  for (let i = 0, at = 0; i < count; i++, at += 4 + size) {
    stream.writeUInt32BE(size, at);
    stream.fill(i & 0xff, at + 4, at + 4 + size);
  }
  return stream;
}

/** `count` lines of 16 to 128 bytes (72 on average), each ending with `\n`. */
function lineStream(count: number): { stream: Buffer; packets: number } {
  const lengths: number[] = [];
  let x = 12_345;
  for (let i = 0; i < count; i++) {
    x = (Math.imul(x, 1_103_515_245) + 12_345) | 0;
    lengths.push(16 + ((x >>> 16) % 113));
  }
  const stream = Buffer.allocUnsafe(lengths.reduce((a, b) => a + b, 0));
  let at = 0;
  for (const n of lengths) {
    stream.fill(97 + (n % 26), at, at + n - 1);
    stream[at + n - 1] = 10;
    at += n;
  }
  return { stream, packets: count };
}

function makeCase(name: string): Case {
  switch (name) {
    case 'packet4-64': {
      const count = Math.floor((32 << 20) / 68);
      return { scenario: 'decode-packet4-64', metric: '{packet,4}, 64-byte packets in 64 KiB reads', type: 4, stream: packet4Stream(64, count), packets: count };
    }
    case 'packet4-64k': {
      const count = 1024;
      return { scenario: 'decode-packet4-64k', metric: '{packet,4}, 64-KiB packets in 64 KiB reads', type: 4, stream: packet4Stream(65_536, count), packets: count };
    }
    case 'line': {
      const { stream, packets } = lineStream(460_000);
      return { scenario: 'decode-line', metric: 'line, 16-128-byte lines in 64 KiB reads', type: 'line', stream, packets };
    }
    default:
      throw new Error(`unknown case ${name}; use packet4-64, packet4-64k or line`);
  }
}

/** The stream as a socket hands it over: consecutive 64 KiB chunks (views, so that no variant pays for making them). */
function chunksOf(stream: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0; at < stream.length; at += CHUNK) chunks.push(stream.subarray(at, at + CHUNK));
  return chunks;
}

/** What a decoder delivered, checked after each run so no variant can skip work. */
interface Tally {
  packets: number;
  bytes: number;
}

type Decoder = (chunks: readonly Buffer[], tally: Tally) => void;

function framer(type: 4 | 'line'): Decoder {
  return (chunks, tally) => {
    const f = createFramer(type);
    for (const chunk of chunks) {
      f.push(chunk);
      for (let p = f.next(); p !== undefined; p = f.next()) {
        tally.packets++;
        tally.bytes += p.length;
      }
    }
  };
}

/** The hand-written `{packet,4}` decoder. */
const handPacket4: Decoder = (chunks, tally) => {
  let buf = EMPTY;
  for (const chunk of chunks) {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    let at = 0;
    while (buf.length - at >= 4) {
      const size = buf.readUInt32BE(at);
      if (buf.length - at - 4 < size) break;
      const packet = buf.subarray(at + 4, at + 4 + size);
      tally.packets++;
      tally.bytes += packet.length;
      at += 4 + size;
    }
    buf = buf.subarray(at);
  }
};

/** The hand-written `line` decoder. */
const handLine: Decoder = (chunks, tally) => {
  let buf = EMPTY;
  for (const chunk of chunks) {
    // Only the new bytes can hold the next newline.
    let from = buf.length;
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    let start = 0;
    for (let nl = buf.indexOf(10, from); nl !== -1; nl = buf.indexOf(10, from)) {
      const line = buf.subarray(start, nl + 1);
      tally.packets++;
      tally.bytes += line.length;
      start = from = nl + 1;
    }
    buf = buf.subarray(start);
  }
};

function loopedDecodePacket(type: 4 | 'line'): Decoder {
  return (chunks, tally) => {
    let rest = EMPTY;
    for (const chunk of chunks) {
      let buf = rest.length === 0 ? chunk : Buffer.concat([rest, chunk]);
      for (;;) {
        const result = decodePacket(type, buf);
        if (result[0] !== 'ok') break;
        tally.packets++;
        tally.bytes += result[1].length;
        buf = result[2];
      }
      rest = buf;
    }
  };
}

const c = makeCase(process.argv[2] ?? '');
const chunks = chunksOf(c.stream);
const payload = c.type === 4 ? c.stream.length - 4 * c.packets : c.stream.length;

/** One timed pass of `decode` over the stream, in MB/s. */
function timed(name: string, decode: Decoder): () => Promise<number> {
  return async () => {
    const tally: Tally = { packets: 0, bytes: 0 };
    const t0 = performance.now();
    decode(chunks, tally);
    const ms = performance.now() - t0;
    if (tally.packets !== c.packets || tally.bytes !== payload) {
      throw new Error(`${name} delivered ${tally.packets} packets / ${tally.bytes} bytes, expected ${c.packets} / ${payload}`);
    }
    return c.stream.length / 1e6 / (ms / 1000);
  };
}

const figures = await measure(
  [
    { name: 'framer', run: timed('framer', framer(c.type)) },
    { name: 'hand', run: timed('hand-written', c.type === 4 ? handPacket4 : handLine) },
    { name: 'decodePacket', run: timed('decodePacket', loopedDecodePacket(c.type)) },
  ],
  7,
  2,
);
report({
  scenario: c.scenario,
  metric: c.metric,
  unit: 'MB/s',
  higherIsBetter: true,
  beamline: figures.get('framer')!,
  baseline: figures.get('hand')!,
  note: `decodePacket in a loop: ${Math.round(figures.get('decodePacket')!).toLocaleString('en-US')} MB/s`,
});
