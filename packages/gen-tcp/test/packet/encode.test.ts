/**
 * `encodePacket`: what `gen_tcp:send/2` adds to the data. The headers were
 * checked against what OTP 25 sockets put on the wire.
 */
import { describe, expect, it } from 'vitest';
import { decodePacket, encodeJoined, encodePacket, type PacketType } from '../../src/packet/index.js';

const wire = (result: ReturnType<typeof encodePacket>): string => {
  if (result[0] !== 'ok') throw new Error(`expected ok, got ${result[1]}`);
  return Buffer.concat(result[1]).toString('hex');
};

describe('encodePacket', () => {
  it('prepends a big-endian length header for 1, 2 and 4', () => {
    expect(wire(encodePacket(1, 'abc'))).toBe('03616263');
    expect(wire(encodePacket(2, 'abc'))).toBe('0003616263');
    expect(wire(encodePacket(4, 'abc'))).toBe('00000003616263');
    expect(wire(encodePacket(2, Buffer.alloc(258, 0)))).toMatch(/^0102(00)+$/);
  });

  it('adds nothing for raw, 0 and line', () => {
    expect(wire(encodePacket('raw', 'abc'))).toBe('616263');
    expect(wire(encodePacket(0, 'abc'))).toBe('616263');
    expect(wire(encodePacket('line', 'abc'))).toBe('616263');
  });

  it('sends a header alone for an empty packet, and nothing for an empty raw send (as OTP)', () => {
    expect(encodePacket(1, [])).toEqual(['ok', [Buffer.from([0])]]);
    expect(encodePacket(4, '')).toEqual(['ok', [Buffer.from([0, 0, 0, 0])]]);
    expect(encodePacket('raw', [])).toEqual(['ok', []]);
    expect(encodePacket('line', [[], ''])).toEqual(['ok', []]);
  });

  it('gives the pieces for writev without joining them', () => {
    const a = Buffer.from('hello ');
    const c = Buffer.from('world');
    const result = encodePacket(4, [a, [c]]);
    expect(result[0]).toBe('ok');
    if (result[0] !== 'ok') return;
    expect(result[1]).toHaveLength(3);
    expect(result[1][1]).toBe(a);
    expect(result[1][2]).toBe(c);
  });

  it('counts UTF-8 bytes, not characters, in the header', () => {
    expect(wire(encodePacket(1, 'é€'))).toBe('05c3a9e282ac');
  });

  it('accepts the largest body each header describes', () => {
    expect(wire(encodePacket(1, Buffer.alloc(255))).slice(0, 2)).toBe('ff');
    expect(wire(encodePacket(2, Buffer.alloc(65_535))).slice(0, 4)).toBe('ffff');
  });

  it('refuses a body too long for its header with emsgsize, where OTP would wrap the length', () => {
    // OTP 25 sends 256 bytes with {packet,1} under header 0, and 65536 with {packet,2} under 0 0.
    expect(encodePacket(1, Buffer.alloc(256))).toEqual(['error', 'emsgsize']);
    expect(encodePacket(1, [Buffer.alloc(200), Buffer.alloc(56)])).toEqual(['error', 'emsgsize']);
    expect(encodePacket(2, Buffer.alloc(65_536))).toEqual(['error', 'emsgsize']);
  });

  it('round-trips through decodePacket', () => {
    for (const type of [1, 2, 4] as const) {
      const result = encodePacket(type, ['ab', 99, [Buffer.from('d')]]);
      if (result[0] !== 'ok') throw new Error('not ok');
      expect(decodePacket(type, Buffer.concat(result[1]))).toEqual(['ok', Buffer.from('abcd'), Buffer.alloc(0)]);
    }
  });

  it('throws badarg for a bad type or data that is not iodata', () => {
    expect(() => encodePacket(3 as never, 'a')).toThrow(/badarg: encodePacket: not a packet type: 3/);
    expect(() => encodePacket(4, [1, [2, 300]])).toThrow(/badarg: encodePacket: not iodata: 300 at \[1\]\[1\]/);
    expect(() => encodePacket(4, { a: 1 } as never)).toThrow(/not iodata: object Object/);
  });
});

describe('encodeJoined (the send fast path)', () => {
  it('gives the bytes encodePacket gives, joined, for 1, 2 and 4', () => {
    for (const type of [1, 2, 4] as const) {
      for (const size of [0, 1, 63, 64, 255, 256, 1000]) {
        const body = Buffer.alloc(size, size & 0xff);
        const joined = encodeJoined(type, body, 64 * 1024);
        if (size > (type === 1 ? 0xff : 0xffff)) {
          expect(joined, `${type}/${size}`).toBeUndefined();
          continue;
        }
        expect(joined?.toString('hex'), `${type}/${size}`).toBe(wire(encodePacket(type, body)));
        // A new Buffer: the caller may reuse its body once send returns.
        expect(joined?.buffer === body.buffer && joined.byteOffset === body.byteOffset).toBe(false);
      }
    }
  });

  it('leaves to encodePacket the other packet types, bodies too long for the header and frames over the limit', () => {
    for (const type of ['raw', 0, 'line', 'asn1', 'http'] as PacketType[]) expect(encodeJoined(type, Buffer.from('abc'), 1024)).toBeUndefined();
    expect(encodeJoined(1, Buffer.alloc(256), 1024)).toBeUndefined();
    expect(encodeJoined(2, Buffer.alloc(0x10000), 0x20000)).toBeUndefined();
    expect(encodeJoined(4, Buffer.alloc(1021), 1024)).toBeUndefined();
    expect(encodeJoined(4, Buffer.alloc(1020), 1024)?.length).toBe(1024);
  });
});
