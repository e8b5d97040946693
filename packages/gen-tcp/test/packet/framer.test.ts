/**
 * The socket framer. The tables are what OTP 25 sockets delivered for the
 * same bytes and options (a raw-mode client sending each chunk, the
 * receiver reading with `gen_tcp:recv(S, 0)` after `inet:setopts` with the
 * options shown).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createFramer, DEFAULT_BUFFER_SIZE, type Framer, type FramerOptions, type PacketType } from '../../src/packet/index.js';

const b = (...parts: (string | number[])[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

/**
 * A chunk in memory of its own: `Buffer.from` and `Buffer.concat` hand out
 * slices of one shared pool, which would make any two small Buffers look
 * like they share memory.
 */
const own = (data: Buffer): Buffer => Buffer.alloc(data.length, data);

/** Whether `packet` is a view into `chunk`'s bytes. */
const isViewOf = (packet: Buffer | undefined, chunk: Buffer): boolean =>
  packet !== undefined &&
  packet.buffer === chunk.buffer &&
  packet.byteOffset >= chunk.byteOffset &&
  packet.byteOffset + packet.length <= chunk.byteOffset + chunk.length;

/** Every packet `framer` gives now and after each chunk is pushed. */
function feed(framer: Framer, chunks: readonly Buffer[]): Buffer[] {
  const out = drain(framer);
  for (const chunk of chunks) {
    framer.push(chunk);
    out.push(...drain(framer));
  }
  return out;
}

/** The packets `framer` can give now. */
function drain(framer: Framer): Buffer[] {
  const out: Buffer[] = [];
  for (let p = framer.next(); p !== undefined; p = framer.next()) out.push(p);
  return out;
}

/** The packets as latin1 strings, then the error if framing failed. */
function received(type: PacketType, options: FramerOptions, chunks: readonly Buffer[]): string[] {
  const framer = createFramer(type, options);
  const out = feed(framer, chunks).map((p) => p.toString('latin1'));
  if (framer.state.tag === 'failed') out.push(`error:${framer.state.reason}`);
  return out;
}

describe('framer: what OTP 25 sockets deliver for the same bytes', () => {
  const rows: [PacketType, FramerOptions, Buffer[], string[]][] = [
    // line: lines longer than the buffer arrive in buffer-sized pieces.
    ['line', { bufferSize: 8 }, [b('0123456789abcdef\n')], ['01234567', '89abcdef', '\n']],
    ['line', { bufferSize: 8 }, [b('0123'), b('4567'), b('89abcdef\nxy\n')], ['01234567', '89abcdef', '\n', 'xy\n']],
    ['line', { bufferSize: 8 }, [b('abcdefgh'), b('\n')], ['abcdefgh', '\n']],
    ['line', { bufferSize: 8 }, [b('abcdefg\n')], ['abcdefg\n']],
    ['line', { bufferSize: 8 }, [b('abcdefgh\n')], ['abcdefgh', '\n']],
    ['line', { bufferSize: 8 }, [b('abc')], []],
    ['line', { bufferSize: 1 }, [b('ab\n')], ['a', 'b', '\n']],
    // A packet_size above the buffer does not stop the cut.
    ['line', { bufferSize: 8, packetSize: 10 }, [b('0123456789a\n')], ['01234567', '89a\n']],
    ['line', { bufferSize: 8, packetSize: 10 }, [b('01234'), b('56789a\n')], ['01234567', '89a\n']],
    ['line', { bufferSize: 8, packetSize: 8 }, [b('abcdefgh'), b('\n')], ['abcdefgh', '\n']],
    // A packet_size below the buffer makes a long line emsgsize.
    ['line', { bufferSize: 8, packetSize: 4 }, [b('abc\n'), b('abcdef\n')], ['abc\n', 'error:emsgsize']],
    ['line', { bufferSize: 8, packetSize: 4 }, [b('abcd'), b('\n')], ['error:emsgsize']],
    ['line', { bufferSize: 8, packetSize: 4 }, [b('abcde')], ['error:emsgsize']],
    ['line', { bufferSize: 8, packetSize: 7 }, [b('abcdefg'), b('\n')], ['error:emsgsize']],
    ['line', { bufferSize: 8, packetSize: 7 }, [b('abcdefgh\n')], ['error:emsgsize']],
    ['line', { bufferSize: 2, packetSize: 1 }, [b('\nab\n')], ['\n', 'error:emsgsize']],
    ['line', { bufferSize: 8, lineDelimiter: 59 }, [b('ab;cd\n;')], ['ab;', 'cd\n;']],
    // 1/2/4: header stripped, empty packets delivered, packet_size limits the body.
    ['raw', {}, [b('abc')], ['abc']],
    [1, {}, [b([0, 0, 1], 'a', [2], 'b')], ['', '', 'a']],
    [1, { bufferSize: 1 }, [b([1], 'a', [0, 2], 'bc')], ['a', '', 'bc']],
    [2, { packetSize: 1 }, [b([0, 1], 'a', [0, 2], 'b')], ['a', 'error:emsgsize']],
    [4, {}, [b([0, 0, 0, 0]), b([0, 0, 0, 1], 'x'), b([0, 0]), b([0, 2], 'y'), b('z')], ['', 'x', 'yz']],
    [4, { packetSize: 3 }, [b([0, 0, 0, 3], 'abc'), b([0, 0, 0, 4], 'abcd')], ['abc', 'error:emsgsize']],
    [4, { packetSize: 3 }, [b([0, 0, 0, 3], 'abc'), b([0, 0, 0, 4])], ['abc', 'error:emsgsize']],
    [4, {}, [b([0x7f, 0xff, 0xff, 0xfc])], ['error:emsgsize']],
    [4, {}, [b([0x7f, 0xff, 0xff, 0xfb])], []],
    // A buffer smaller than the header: emsgsize, unless packet_size lets the buffer grow.
    [4, { bufferSize: 2 }, [b([0, 0, 0, 3], 'abc')], ['error:emsgsize']],
    [4, { bufferSize: 2, packetSize: 100 }, [b([0, 0, 0, 3], 'abc')], ['abc']],
    [4, { bufferSize: 2, packetSize: 3 }, [b([0, 0, 0, 3], 'abc')], ['error:emsgsize']],
    [4, { bufferSize: 2, packetSize: 4 }, [b([0, 0, 0, 3], 'abc')], ['abc']],
    [4, { bufferSize: 3 }, [b([0, 0, 0, 1], 'a')], ['error:emsgsize']],
    [4, { bufferSize: 4 }, [b([0, 0, 0, 1], 'a')], ['a']],
    [2, { bufferSize: 1 }, [b([0, 1], 'a')], ['error:emsgsize']],
    [2, { bufferSize: 1 }, [b([0]), b([1], 'a')], ['error:emsgsize']],
  ];
  it.each(rows.map((row) => [String(row[0]), JSON.stringify(row[1]), JSON.stringify(row[2].map(String)), ...row] as const))(
    '{packet,%s} %s %s',
    (_t, _o, _c, type, options, chunks, expected) => {
      expect(received(type, options, chunks)).toEqual(expected);
    },
  );

  it('uses OTP\'s default buffer of 1460 bytes for line', () => {
    expect(DEFAULT_BUFFER_SIZE).toBe(1460);
    const long = 'x'.repeat(1500);
    expect(received('line', {}, [b(`${long}\n`)])).toEqual(['x'.repeat(1460), 'x'.repeat(40) + '\n']);
  });
});

describe('framer: copies a packet at most once', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('delivers packets inside one chunk as views of that chunk', () => {
    const chunk = own(b([0, 3], 'abc', [0, 0], [0, 2], 'de'));
    const framer = createFramer(2);
    const packets = feed(framer, [chunk]);
    expect(packets.map(String)).toEqual(['abc', '', 'de']);
    for (const packet of packets) expect(isViewOf(packet, chunk)).toBe(true);
    expect(packets.map((p) => p.byteOffset - chunk.byteOffset)).toEqual([2, 7, 9]);
  });

  it('delivers a body without copying when only its header is in the previous chunk', () => {
    const first = own(b('ok\n', [0, 0]));
    const second = own(b([0, 5], 'hello'));
    const framer = createFramer('line');
    expect(feed(framer, [first]).map(String)).toEqual(['ok\n']);
    framer.configure({ type: 4 });
    const [packet] = feed(framer, [second]);
    expect(packet?.toString()).toBe('hello');
    expect(isViewOf(packet, second)).toBe(true);
  });

  it('joins a packet spread over many chunks with one concat, when it is complete', () => {
    const body = Buffer.alloc(70_000, 7);
    const stream = b([0, 1, 0x11, 0x70], [...body]);
    const chunks: Buffer[] = [];
    for (let at = 0; at < stream.length; at += 70) chunks.push(own(stream.subarray(at, at + 70)));
    const concat = vi.spyOn(Buffer, 'concat');
    const framer = createFramer(4);
    let calls = 0;
    const packets: Buffer[] = [];
    for (const chunk of chunks) {
      framer.push(chunk);
      const packet = framer.next();
      if (packet !== undefined) packets.push(packet);
      else calls = concat.mock.calls.length;
    }
    expect(calls).toBe(0);
    expect(concat).toHaveBeenCalledTimes(1);
    expect(packets).toHaveLength(1);
    expect(packets[0]?.equals(body)).toBe(true);
    expect(chunks.some((chunk) => packets[0]?.buffer === chunk.buffer)).toBe(false);
  });

  it('joins a line spread over chunks once as well', () => {
    const chunks = [b('he'), b('ll'), b('o'), b(' w'), b('orld\nnext')];
    const concat = vi.spyOn(Buffer, 'concat');
    const framer = createFramer('line', { bufferSize: 100_000 });
    const out = feed(framer, chunks);
    expect(out.map(String)).toEqual(['hello world\n']);
    expect(concat).toHaveBeenCalledTimes(1);
    expect(framer.pending()).toBe(4);
  });

  it('delivers each raw chunk as it came, without copying', () => {
    const chunks = [own(b('abc')), own(b('defgh'))];
    const framer = createFramer('raw');
    for (const chunk of chunks) framer.push(chunk);
    const packets = drain(framer);
    expect(packets.map(String)).toEqual(['abc', 'defgh']);
    expect(packets.map((p, i) => isViewOf(p, chunks[i] ?? Buffer.alloc(0)))).toEqual([true, true]);
  });
});

describe('framer: state, pending bytes and failure', () => {
  it('reports the bytes of a partial packet, and drops them on discard', () => {
    const framer = createFramer(4);
    expect(feed(framer, [b([0, 0, 0, 9], 'abc')])).toEqual([]);
    expect(framer.pending()).toBe(7);
    expect(framer.discard()).toBe(7);
    expect(framer.pending()).toBe(0);
    expect(feed(framer, [b([0, 0, 0, 1], 'z')]).map(String)).toEqual(['z']);
  });

  it('counts complete packets not yet taken as pending', () => {
    const framer = createFramer(1);
    framer.push(b([1], 'a', [1], 'b', [5]));
    expect(framer.pending()).toBe(5);
    expect(framer.next()?.toString()).toBe('a');
    expect(framer.pending()).toBe(3);
  });

  it('gives the packets before an invalid header, then fails for good', () => {
    const framer = createFramer(1, { packetSize: 2 });
    framer.push(b([1], 'a', [2], 'bc', [3], 'def', [1], 'g'));
    expect(framer.state).toEqual({ tag: 'framing' });
    expect(framer.next()?.toString()).toBe('a');
    expect(framer.next()?.toString()).toBe('bc');
    expect(framer.next()).toBeUndefined();
    expect(framer.state).toEqual({ tag: 'failed', reason: 'emsgsize' });
    framer.push(b([1], 'h'));
    expect(framer.next()).toBeUndefined();
    expect(framer.pending()).toBe(0);
    expect(framer.take(1)).toBeUndefined();
  });

  it('does not fail on a packet_size it can wait for', () => {
    const framer = createFramer(4, { packetSize: 70_000 });
    expect(feed(framer, [b([0, 1, 0x11, 0x70])])).toEqual([]);
    expect(framer.state.tag).toBe('framing');
  });
});

describe('framer: take (raw recv with a length)', () => {
  it('returns exactly the bytes asked for, across chunks, once they are here', () => {
    const framer = createFramer('raw');
    framer.push(b('ab'));
    expect(framer.take(3)).toBeUndefined();
    framer.push(b('cde'));
    expect(framer.take(3)?.toString()).toBe('abc');
    expect(framer.take(2)?.toString()).toBe('de');
    expect(framer.pending()).toBe(0);
  });

  it('returns a view when the bytes are in one chunk', () => {
    const chunk = own(b('abcdef'));
    const framer = createFramer('raw');
    framer.push(chunk);
    expect(isViewOf(framer.take(4), chunk)).toBe(true);
  });

  it('rejects a length that is not a positive integer', () => {
    const framer = createFramer('raw');
    expect(() => framer.take(0)).toThrow(/badarg: Framer.take: length must be a positive integer, got 0/);
    expect(() => framer.take(1.5)).toThrow(/got 1\.5/);
  });
});

describe('framer: configure (inet:setopts between packets)', () => {
  it('frames the bytes not yet delivered with the new type', () => {
    // An HTTP-like exchange: header lines, then a body read raw.
    const framer = createFramer('line');
    framer.push(b('POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhel'));
    expect(framer.next()?.toString()).toBe('POST / HTTP/1.1\r\n');
    expect(framer.next()?.toString()).toBe('Content-Length: 5\r\n');
    expect(framer.next()?.toString()).toBe('\r\n');
    framer.configure({ type: 'raw' });
    framer.push(b('lo'));
    expect(framer.take(5)?.toString()).toBe('hello');
  });

  it('forgets what it learnt about a partial packet when the options change', () => {
    const framer = createFramer('line', { bufferSize: 4 });
    framer.push(b('ab'));
    expect(framer.next()).toBeUndefined();
    framer.configure({ lineDelimiter: 98 });
    expect(framer.next()?.toString()).toBe('ab');
    framer.push(b('cdefg'));
    framer.configure({ bufferSize: 2 });
    expect(drain(framer).map(String)).toEqual(['cd', 'ef']);
    framer.configure({ packetSize: 1, bufferSize: 8 });
    expect(framer.next()).toBeUndefined();
    expect(framer.state.tag).toBe('framing');
    framer.push(b('h'));
    expect(framer.next()).toBeUndefined();
    expect(framer.state).toEqual({ tag: 'failed', reason: 'emsgsize' });
  });

  it('changes nothing when a change is refused', () => {
    const framer = createFramer(1);
    expect(() => framer.configure({ type: 2, bufferSize: 0 })).toThrow(/bufferSize must be at least 1/);
    framer.push(b([1], 'a'));
    expect(framer.next()?.toString()).toBe('a');
  });
});

describe('framer: badarg', () => {
  const cases: [string, () => unknown, RegExp][] = [
    ['an unknown type', () => createFramer('foo' as never), /createFramer: not a packet type: "foo"/],
    ['an unknown option', () => createFramer(4, { packet_size: 1 } as never), /createFramer: unknown option "packet_size"/],
    ['options that are not an object', () => createFramer(4, [['packet_size', 1]] as never), /options must be an object, got array of 1/],
    ['a negative packetSize', () => createFramer(4, { packetSize: -1 }), /packetSize must be an integer in 0\.\.4294967295, got -1/],
    ['lineDelimiter 256', () => createFramer('line', { lineDelimiter: 256 }), /lineDelimiter must be an integer in 0\.\.255, got 256/],
    ['bufferSize 0', () => createFramer('line', { bufferSize: 0 }), /bufferSize must be at least 1, got 0/],
    ['a string bufferSize', () => createFramer('line', { bufferSize: '8' as never }), /bufferSize .* got "8"/],
    ['type given to createFramer options', () => createFramer('line', { type: 4 } as never), /unknown option "type"/],
    ['an unknown type in configure', () => createFramer('line').configure({ type: 3 as never }), /Framer.configure: not a packet type: 3/],
  ];
  it.each(cases)('for %s', (_name, call, message) => {
    expect(call).toThrow(message);
    expect(call).toThrow(expect.objectContaining({ code: 'badarg' }));
  });
});

describe('framer: wholePacket (a read that is exactly one packet)', () => {
  it('gives where the payload starts for one whole 1/2/4 packet, 0 for raw bytes, and -1 for anything else', () => {
    const bytes = Buffer.from([0, 0, 0, 3, 97, 98, 99]);
    expect(createFramer(4).wholePacket(bytes, 7)).toBe(4);
    expect(createFramer(2).wholePacket(Buffer.from([0, 2, 97, 98]), 4)).toBe(2);
    expect(createFramer(1).wholePacket(Buffer.from([0]), 1)).toBe(1);
    expect(createFramer('raw').wholePacket(bytes, 7)).toBe(0);
    // Only the first `length` bytes count: a packet and a half, a partial one, a header alone.
    expect(createFramer(4).wholePacket(Buffer.from([0, 0, 0, 1, 97, 0, 0]), 7)).toBe(-1);
    expect(createFramer(4).wholePacket(bytes, 6)).toBe(-1);
    expect(createFramer(4).wholePacket(bytes, 3)).toBe(-1);
    expect(createFramer('raw').wholePacket(bytes, 0)).toBe(-1);
    // Types framed only the general way.
    expect(createFramer('line').wholePacket(Buffer.from('a\n'), 2)).toBe(-1);
    expect(createFramer('http_bin').wholePacket(Buffer.from('GET / HTTP/1.1\r\n'), 16)).toBe(-1);
  });

  it('is -1 when bytes are pending, when the framer failed, over packet_size, and with a buffer smaller than the header', () => {
    const packet = Buffer.from([0, 0, 0, 2, 97, 98]);
    const pending = createFramer(4);
    pending.push(Buffer.from([0]));
    expect(pending.wholePacket(packet, 6)).toBe(-1);
    const failed = createFramer(4, { packetSize: 1 });
    failed.push(packet);
    expect(failed.next()).toBeUndefined();
    expect(failed.state).toEqual({ tag: 'failed', reason: 'emsgsize' });
    expect(failed.wholePacket(Buffer.from([0, 0, 0, 0]), 4)).toBe(-1);
    expect(createFramer(4, { packetSize: 1 }).wholePacket(packet, 6)).toBe(-1);
    expect(createFramer(4, { packetSize: 2 }).wholePacket(packet, 6)).toBe(4);
    expect(createFramer(4, { bufferSize: 3 }).wholePacket(packet, 6)).toBe(-1);
    expect(createFramer(4, { bufferSize: 4 }).wholePacket(packet, 6)).toBe(4);
  });
});
