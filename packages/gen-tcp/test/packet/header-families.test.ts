/**
 * The types whose packets carry their own header, kept in the packet:
 * `asn1`, `cdr`, `sunrm`, `fcgi`, `tpkt`. Every `decodePacket` row was run
 * through `erlang:decode_packet/3` on OTP 25 (erts 13.1.5); every framer row
 * is what an OTP 25 socket delivered (a raw client sending each chunk 30 ms
 * apart, the receiver in `{packet, T}` reading with `gen_tcp:recv(S, 0)`).
 */
import { describe, expect, it } from 'vitest';
import {
  createFramer,
  decodePacket,
  encodePacket,
  type DecodeResult,
  type FramerOptions,
  type PacketType,
} from '../../src/packet/index.js';
import { table } from './table.js';

const b = (...parts: (string | number[] | Buffer)[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
const ok = (packet: Buffer, rest: Buffer): DecodeResult => ['ok', packet, rest];
const E = Buffer.alloc(0);
const INVALID: DecodeResult = ['error', 'invalid'];
const MAX_PS = 0xffff_ffff;

describe('decodePacket asn1 (checked against OTP 25)', () => {
  table('asn1', [
    [E, [], ['more', undefined]],
    [b([48]), [], ['more', undefined]],
    [b([48, 0]), [], ok(b([48, 0]), E)],
    [b([0, 0]), [], ok(b([0, 0]), E)],
    [b([48, 3, 1, 2, 3, 4]), [], ok(b([48, 3, 1, 2, 3]), b([4]))],
    [b([48, 3, 1]), [], ['more', 5]],
    // Long length form: 16#80 + number of length bytes.
    [b([48, 0x81]), [], ['more', undefined]],
    [b([48, 0x81, 2, 1, 2, 9]), [], ok(b([48, 0x81, 2, 1, 2]), b([9]))],
    [b([48, 0x82, 0]), [], ['more', undefined]],
    [b([48, 0x82, 1, 0]), [], ['more', 260]],
    [b([48, 0x83, 0, 0]), [], ['more', undefined]],
    [b([48, 0x83, 0, 0, 2, 1]), [], ['more', 7]],
    [b([48, 0x83, 0, 0, 2, 1, 2]), [], ok(b([48, 0x83, 0, 0, 2, 1, 2]), E)],
    [b([48, 0x84, 0, 0, 0, 2, 1, 2]), [], ok(b([48, 0x84, 0, 0, 0, 2, 1, 2]), E)],
    // 16#80 alone (indefinite length) is a length of 0.
    [b([48, 0x80, 1]), [], ok(b([48, 0x80]), b([1]))],
    [b([48, 0x80]), [['packet_size', 1]], ok(b([48, 0x80]), E)],
    // More than 4 length bytes: invalid, but only once they are all there.
    [b([48, 0x85, 1]), [], ['more', undefined]],
    [b([48, 0x85, 1, 2, 3, 4]), [], ['more', undefined]],
    [b([48, 0x85, 1, 2, 3, 4, 5]), [], INVALID],
    [b([48, 0x85, 1, 2, 3, 4, 5, 6]), [], INVALID],
    [b([48, 0xff]), [], ['more', undefined]],
    // Long tag form: low five bits all 1, then bytes with the top bit set, then one without.
    [b([31]), [], ['more', undefined]],
    [b([31, 5]), [], ['more', undefined]],
    [b([31, 5, 1, 9]), [], ok(b([31, 5, 1, 9]), E)],
    [b([31, 1, 2, 3]), [['line_length', 1]], ['more', 5]],
    [b([31, 0x81]), [], ['more', undefined]],
    [b([31, 0x81, 5]), [], ['more', undefined]],
    [b([31, 0x81, 5, 1, 9]), [], ok(b([31, 0x81, 5, 1, 9]), E)],
    [b([31, 0x81, 0x82]), [], ['more', undefined]],
    [b([31, 0x81, 0x82, 5, 1, 9]), [], ok(b([31, 0x81, 0x82, 5, 1, 9]), E)],
    [b([31, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), [], ['more', undefined]],
    [b([0x3f, 0x80]), [], ['more', undefined]],
    [b([0x3f, 0x80, 1]), [], ['more', undefined]],
    [b([0x3f, 0x80, 1, 0]), [], ok(b([0x3f, 0x80, 1, 0]), E)],
    [b([31, 31, 0]), [], ok(b([31, 31, 0]), E)],
    // packet_size limits the contents; the total must fit a signed 32-bit int.
    [b([48, 3, 1, 2, 3]), [['packet_size', 3]], ok(b([48, 3, 1, 2, 3]), E)],
    [b([48, 4, 1, 2, 3, 4]), [['packet_size', 3]], INVALID],
    [b([48, 0x81, 4]), [['packet_size', 3]], INVALID],
    [b([48, 0x84, 0x7f, 0xff, 0xff, 0xf9]), [], ['more', 0x7fffffff]],
    [b([48, 0x84, 0x7f, 0xff, 0xff, 0xfa]), [], INVALID],
    [b([48, 0x84, 0xff, 0xff, 0xff, 0xff]), [], INVALID],
    [b([48, 0x84, 0xff, 0xff, 0xff, 0xff, 1, 2, 3]), [['packet_size', MAX_PS]], INVALID],
    [b([48, 0x84, 0xff, 0xff, 0xff, 0xfa, 1, 2, 3]), [['packet_size', MAX_PS]], INVALID],
  ]);
});

describe('decodePacket cdr (checked against OTP 25)', () => {
  const giop = (flags: number, size: number[]): Buffer => b('GIOP', [1, 0, flags, 0], size);
  table('cdr', [
    [E, [], ['more', undefined]],
    [b('GIOP'), [], ['more', undefined]],
    [b('GIOX', [1, 0, 0, 0, 0, 0, 0]), [], ['more', undefined]],
    [giop(0, [0, 0, 0, 0]), [], ok(giop(0, [0, 0, 0, 0]), E)],
    // Big-endian size when flags bit 0 is clear, little-endian when set.
    [b(giop(0, [0, 0, 0, 2]), 'abc'), [], ok(b(giop(0, [0, 0, 0, 2]), 'ab'), b('c'))],
    [b(giop(1, [2, 0, 0, 0]), 'abc'), [], ok(b(giop(1, [2, 0, 0, 0]), 'ab'), b('c'))],
    [b(giop(3, [2, 0, 0, 0]), 'a'), [], ['more', 14]],
    [b(giop(2, [0, 0, 0, 2]), 'a'), [], ['more', 14]],
    // The magic is checked once the whole header is there, case included.
    [b('GIOX', [1, 0, 0, 0, 0, 0, 0, 2], 'abc'), [], INVALID],
    [b('giop', [1, 0, 0, 0, 0, 0, 0, 0]), [], INVALID],
    [giop(0, [0, 0, 0, 3]), [['packet_size', 2]], INVALID],
    [giop(0, [0, 0, 0, 3]), [['packet_size', 3]], ['more', 15]],
    [giop(0, [0x7f, 0xff, 0xff, 0xf3]), [], ['more', 0x7fffffff]],
    [giop(0, [0x7f, 0xff, 0xff, 0xf4]), [], INVALID],
    [giop(0, [0xff, 0xff, 0xff, 0xff]), [], INVALID],
    [b(giop(0, [0xff, 0xff, 0xff, 0xff]), [1, 2, 3]), [['packet_size', MAX_PS]], INVALID],
    [b(giop(0, [0xff, 0xff, 0xff, 0xf3]), [1, 2, 3]), [['packet_size', MAX_PS]], INVALID],
  ]);
});

describe('decodePacket sunrm (checked against OTP 25)', () => {
  table('sunrm', [
    [E, [], ['more', undefined]],
    [b([0, 0, 0]), [], ['more', undefined]],
    // The last-fragment bit is masked off the length.
    [b([128, 0, 0, 3], 'abcd'), [], ok(b([128, 0, 0, 3], 'abc'), b('d'))],
    [b([0, 0, 0, 3], 'ab'), [], ['more', 7]],
    [b([0, 0, 0, 0]), [], ok(b([0, 0, 0, 0]), E)],
    [b([128, 0, 0, 4]), [['packet_size', 3]], INVALID],
    [b([128, 0, 0, 3]), [['packet_size', 3]], ['more', 7]],
    [b([0xff, 0xff, 0xff, 0xfb]), [], ['more', 0x7fffffff]],
    [b([0x7f, 0xff, 0xff, 0xfb]), [], ['more', 0x7fffffff]],
    [b([0xff, 0xff, 0xff, 0xfc]), [], INVALID],
    [b([0xff, 0xff, 0xff, 0xff]), [], INVALID],
    [b([0xff, 0xff, 0xff, 0xff], [1, 2, 3]), [['packet_size', MAX_PS]], INVALID],
  ]);
});

describe('decodePacket fcgi (checked against OTP 25)', () => {
  table('fcgi', [
    [E, [], ['more', undefined]],
    [b([1, 1, 0, 1, 0, 3, 2]), [], ['more', undefined]],
    // The padding counts in the length but is not in the packet.
    [b([1, 1, 0, 1, 0, 3, 2, 0], 'abcPPrest'), [], ok(b([1, 1, 0, 1, 0, 3, 2, 0], 'abc'), b('rest'))],
    [b([1, 1, 0, 1, 0, 3, 2, 0], 'abcP'), [], ['more', 13]],
    [b([1, 0, 0, 0, 0, 0, 3, 0, 1, 2]), [], ['more', 11]],
    [b([1, 0, 0, 0, 0, 0, 3, 0, 1, 2, 3, 4]), [], ok(b([1, 0, 0, 0, 0, 0, 3, 0]), b([4]))],
    [b([1, 0, 0, 0, 0, 0, 0, 0]), [], ok(b([1, 0, 0, 0, 0, 0, 0, 0]), E)],
    [b([1, 1, 0, 1, 0xff, 0xff, 0xff, 0]), [], ['more', 65798]],
    // Version 1 only.
    [b([2, 1, 0, 1, 0, 3, 2, 0]), [], INVALID],
    [b([0, 0, 0, 0, 0, 0, 3, 0, 1, 2, 3, 4]), [], INVALID],
    // packet_size limits content + padding.
    [b([1, 1, 0, 1, 0, 3, 2, 0], 'abcPP'), [['packet_size', 5]], ok(b([1, 1, 0, 1, 0, 3, 2, 0], 'abc'), E)],
    [b([1, 1, 0, 1, 0, 3, 2, 0], 'abcPP'), [['packet_size', 4]], INVALID],
    [b([1, 1, 0, 1, 0, 3, 2, 0], 'abcPP'), [['packet_size', 0]], ok(b([1, 1, 0, 1, 0, 3, 2, 0], 'abc'), E)],
  ]);
});

describe('decodePacket tpkt (checked against OTP 25)', () => {
  table('tpkt', [
    [E, [], ['more', undefined]],
    [b([3, 0, 0]), [], ['more', undefined]],
    // The length counts the 4-byte header.
    [b([3, 0, 0, 7], 'abcrest'), [], ok(b([3, 0, 0, 7], 'abc'), b('rest'))],
    [b([3, 0, 0, 4], 'x'), [], ok(b([3, 0, 0, 4]), b('x'))],
    [b([3, 0, 0, 9], 'a'), [], ['more', 9]],
    [b([3, 9, 0xff, 0xff]), [], ['more', 65535]],
    // Shorter than its header, or another version: invalid.
    [b([3, 0, 0, 3], 'x'), [], INVALID],
    [b([3, 0, 0, 0]), [], INVALID],
    [b([2, 0, 0, 7], 'abc'), [], INVALID],
    [b([3, 0, 0, 3, 1, 2, 3]), [['packet_size', MAX_PS]], INVALID],
    [b([3, 0, 0, 0, 1, 2, 3]), [['packet_size', 0xffff_fffc]], INVALID],
    // packet_size limits the length minus the header.
    [b([3, 0, 0, 9]), [['packet_size', 5]], ['more', 9]],
    [b([3, 0, 0, 9]), [['packet_size', 4]], INVALID],
  ]);
});

describe('decodePacket options with the header types', () => {
  it('refuses line_delimiter, as OTP (badarg)', () => {
    expect(() => decodePacket('tpkt', b([3, 0, 0, 7], 'abc'), [['line_delimiter', 1]])).toThrow(
      /line_delimiter is only allowed with packet type line/,
    );
  });
});

describe('framer with the header types: what OTP 25 sockets deliver', () => {
  const rows: [PacketType, FramerOptions, Buffer[], (number[] | Buffer | 'emsgsize')[]][] = [
    ['fcgi', {}, [b([1, 1, 0, 1, 0, 3, 2, 0], 'abcPP', [1, 1, 0, 1, 0, 0, 0, 0])], [[1, 1, 0, 1, 0, 3, 2, 0, 97, 98, 99], [1, 1, 0, 1, 0, 0, 0, 0]]],
    [
      'fcgi',
      {},
      [b([1, 1, 0, 1, 0, 3]), b([2, 0], 'ab'), b('cP'), b('P', [1, 1, 0, 1, 0, 1, 1, 0], 'xy')],
      [[1, 1, 0, 1, 0, 3, 2, 0, 97, 98, 99], [1, 1, 0, 1, 0, 1, 1, 0, 120]],
    ],
    ['fcgi', { packetSize: 4 }, [b([1, 1, 0, 1, 0, 2, 2, 0], 'abPP'), b([1, 1, 0, 1, 0, 3, 2, 0], 'abcPP')], [[1, 1, 0, 1, 0, 2, 2, 0, 97, 98], 'emsgsize']],
    ['fcgi', {}, [b([1, 1, 0, 1, 0, 2, 2, 0], 'abPP'), b([2, 1, 0, 1, 0, 3, 2, 0], 'abcPP')], [[1, 1, 0, 1, 0, 2, 2, 0, 97, 98], 'emsgsize']],
    // A buffer smaller than the header: emsgsize, unless packet_size lets it grow.
    ['fcgi', { bufferSize: 4 }, [b([1, 1, 0, 1, 0, 2, 2, 0], 'abPP')], ['emsgsize']],
    ['fcgi', { bufferSize: 4, packetSize: 8 }, [b([1, 1, 0, 1, 0, 2, 2, 0], 'abPP')], [[1, 1, 0, 1, 0, 2, 2, 0, 97, 98]]],
    ['tpkt', {}, [b([3, 0, 0, 7], 'abc', [3, 0, 0, 4, 3, 0]), b([0, 5], 'z')], [[3, 0, 0, 7, 97, 98, 99], [3, 0, 0, 4], [3, 0, 0, 5, 122]]],
    ['tpkt', {}, [b([3, 0, 0, 5], 'a', [3, 0, 0, 3])], [[3, 0, 0, 5, 97], 'emsgsize']],
    ['tpkt', {}, [b([4, 0, 0, 5], 'a')], ['emsgsize']],
    ['tpkt', { packetSize: 1 }, [b([3, 0, 0, 5], 'a', [3, 0, 0, 6], 'ab')], [[3, 0, 0, 5, 97], 'emsgsize']],
    ['sunrm', {}, [b([128, 0, 0, 3], 'abc', [0, 0]), b([0, 1], 'd')], [[128, 0, 0, 3, 97, 98, 99], [0, 0, 0, 1, 100]]],
    ['sunrm', { packetSize: 2 }, [b([128, 0, 0, 2], 'ab', [0, 0, 0, 3], 'abc')], [[128, 0, 0, 2, 97, 98], 'emsgsize']],
    ['sunrm', {}, [b([0x7f, 0xff, 0xff, 0xfc])], ['emsgsize']],
    [
      'cdr',
      {},
      [b('GIOP', [1, 0, 1, 0, 2, 0, 0, 0], 'ab', 'GIOP', [1, 0, 0, 0, 0, 0, 0, 1]), b('c')],
      [b('GIOP', [1, 0, 1, 0, 2, 0, 0, 0], 'ab'), b('GIOP', [1, 0, 0, 0, 0, 0, 0, 1], 'c')],
    ],
    ['cdr', {}, [b('GIOX', [1, 0, 1, 0, 2, 0, 0, 0], 'ab')], ['emsgsize']],
    ['cdr', { bufferSize: 8 }, [b('GIOP', [1, 0, 1, 0, 2, 0, 0, 0], 'ab')], ['emsgsize']],
    ['cdr', { bufferSize: 8, packetSize: 12 }, [b('GIOP', [1, 0, 1, 0, 2, 0, 0, 0], 'ab')], [b('GIOP', [1, 0, 1, 0, 2, 0, 0, 0], 'ab')]],
    ['cdr', { bufferSize: 8, packetSize: 2 }, [b('GIOP', [1, 0, 1, 0, 2, 0, 0, 0], 'ab')], ['emsgsize']],
    ['asn1', {}, [b([48, 3, 1, 2, 3, 48, 0x81, 2, 1, 2, 48, 0x80, 31, 0x81, 5, 0])], [[48, 3, 1, 2, 3], [48, 0x81, 2, 1, 2], [48, 0x80], [31, 0x81, 5, 0]]],
    ['asn1', {}, [b([48, 0x85, 1, 2, 3, 4, 5])], ['emsgsize']],
    ['asn1', { bufferSize: 3 }, [b([48, 0x82, 0, 1, 9])], ['emsgsize']],
    ['asn1', { bufferSize: 3 }, [b([31, 0x81, 0x82, 0])], ['emsgsize']],
    // The buffer grows to packet_size, and the long tag still needs a length byte.
    ['asn1', { bufferSize: 3, packetSize: 10 }, [b([31, 0x81, 0x82, 0])], []],
    ['asn1', { packetSize: 2 }, [b([48, 2, 1, 2, 48, 3, 1, 2, 3])], [[48, 2, 1, 2], 'emsgsize']],
  ];
  it.each(rows.map((row) => [row[0], JSON.stringify(row[1]), ...row] as const))(
    '{packet,%s} %s',
    (_t, _o, type, options, chunks, expected) => {
      const framer = createFramer(type, options);
      const out: (string | number[])[] = [];
      for (const chunk of chunks) {
        framer.push(chunk);
        for (let p = framer.next(); p !== undefined; p = framer.next()) out.push([...p]);
      }
      if (framer.state.tag === 'failed') out.push(framer.state.reason);
      expect(out).toEqual(expected.map((x) => (Buffer.isBuffer(x) ? [...x] : x)));
    },
  );

  it('keeps the padding of an fcgi record out of the packet even when it arrives later', () => {
    const framer = createFramer('fcgi');
    framer.push(b([1, 1, 0, 1, 0, 2, 3, 0], 'ab'));
    expect(framer.next()).toBeUndefined();
    expect(framer.pending()).toBe(10);
    framer.push(b('PP'));
    expect(framer.next()).toBeUndefined();
    framer.push(b('P', [1]));
    expect(framer.next()).toEqual(b([1, 1, 0, 1, 0, 2, 3, 0], 'ab'));
    expect(framer.pending()).toBe(1);
  });
});

describe('encodePacket with the header types', () => {
  // OTP 25 sockets with {packet, T} for each of these put <<"abc">>, <<>>, <<"d">> on the wire as "abcd".
  it.each(['asn1', 'cdr', 'sunrm', 'fcgi', 'tpkt'] as const)('adds nothing for %s', (type) => {
    const body = Buffer.from('abc');
    expect(encodePacket(type, [body])).toEqual(['ok', [body]]);
    expect(encodePacket(type, [])).toEqual(['ok', []]);
    expect(encodePacket(type, ['d'])).toEqual(['ok', [Buffer.from('d')]]);
  });
});
