/** `flattenIodata`: Erlang iodata (iolists) to Buffers for writev. */
import { describe, expect, it } from 'vitest';
import { byteLength, flattenIodata, type IoData } from '../../src/packet/index.js';

const flat = (data: IoData): string => Buffer.concat(flattenIodata(data)).toString('latin1');

describe('flattenIodata', () => {
  it('keeps Buffers as they are, in order', () => {
    const a = Buffer.from('ab');
    const c = Buffer.from('cd');
    const out = flattenIodata([a, [[c]]]);
    expect(out).toHaveLength(2);
    expect(out[0]).toBe(a);
    expect(out[1]).toBe(c);
  });

  it('wraps a Uint8Array without copying', () => {
    const bytes = new Uint8Array([0, 1, 2, 3]).subarray(1, 3);
    const [out] = flattenIodata(bytes);
    expect(out?.buffer).toBe(bytes.buffer);
    expect([...(out ?? [])]).toEqual([1, 2]);
  });

  it('encodes strings as UTF-8', () => {
    expect(flattenIodata('héllo')[0]?.toString('hex')).toBe('68c3a96c6c6f');
  });

  it('gathers runs of byte numbers into one Buffer, across nested lists', () => {
    const out = flattenIodata([104, [105, [33]], Buffer.from('!'), 10]);
    expect(out.map((b) => b.toString('latin1'))).toEqual(['hi!', '!', '\n']);
  });

  it('takes a lone byte number', () => {
    expect(flat(0)).toBe('\0');
    expect(flat(255)).toBe('\xff');
  });

  it('leaves out empty pieces', () => {
    expect(flattenIodata([[], '', Buffer.alloc(0), [[[]]], new Uint8Array(0)])).toEqual([]);
  });

  it('handles nesting deeper than the call stack', () => {
    let deep: IoData = 'x';
    for (let i = 0; i < 200_000; i++) deep = [deep, 'y'];
    expect(byteLength(flattenIodata(deep))).toBe(200_001);
  });

  it('accepts the same array twice side by side', () => {
    const part = ['ab'];
    expect(flat([part, part])).toBe('abab');
  });

  describe('badarg naming what was found and where', () => {
    const cases: [string, unknown, RegExp][] = [
      ['a byte over 255', [1, 256], /badarg: flattenIodata: not iodata: 256 at \[1\]$/],
      ['a negative byte', -1, /not iodata: -1$/],
      ['a float', [[1.5]], /not iodata: 1\.5 at \[0\]\[0\]/],
      ['NaN', [Number.NaN], /not iodata: NaN at \[0\]/],
      ['null', ['a', null], /not iodata: null at \[1\]/],
      ['undefined', [undefined], /not iodata: undefined at \[0\]/],
      ['an object', [{}], /not iodata: object Object at \[0\]/],
      ['a boolean', true, /not iodata: true$/],
      ['a bigint', [1n], /not iodata: 1n at \[0\]/],
      ['an ArrayBuffer', new ArrayBuffer(2), /not iodata: object ArrayBuffer/],
      ['a DataView', [new DataView(new ArrayBuffer(2))], /not iodata: object DataView at \[0\]/],
      ['a Uint16Array', new Uint16Array(2), /not iodata: object Uint16Array/],
    ];
    it.each(cases)('for %s', (_name, data, message) => {
      expect(() => flattenIodata(data as IoData)).toThrow(message);
    });

    it('for an array that contains itself', () => {
      const loop: unknown[] = [1];
      loop.push([loop]);
      expect(() => flattenIodata(loop as IoData)).toThrow(/not iodata: an array that contains itself at \[1\]\[0\]/);
    });

    it('with the caller\'s name when given', () => {
      expect(() => flattenIodata([300], 'send')).toThrow(/badarg: send: not iodata: 300 at \[0\]/);
    });
  });
});
