/**
 * The options of `erlang:decode_packet/3`, in both styles, parsed once into
 * the `Limits` the families read. Checked against OTP 25: an unknown option,
 * a malformed entry or a value out of range is `badarg`; when an option is
 * given twice the last one counts; `line_delimiter` is accepted only with
 * the `line` type (`decode_packet(2, <<0,1,7>>, [{line_delimiter,1}])`
 * raises `badarg`), while `line_length` is accepted, and ignored, with every
 * type.
 */
import { badarg } from '@beamline/runtime';
import { describe } from './describe.js';
import type { Limits } from './family.js';

/** One option in the Erlang style. */
export type DecodeOption =
  | readonly ['packet_size', number]
  | readonly ['line_length', number]
  | readonly ['line_delimiter', number];

/** The options in the object style. */
export interface DecodeOptionsObject {
  /**
   * `packet_size`: the largest packet accepted, 0 for no limit; for 1/2/4
   * the body, for `line` the whole line. 0..2^32-1.
   * @default 0
   */
  readonly packetSize?: number | undefined;
  /**
   * `line_length`: `line` cuts longer lines into packets of this many bytes,
   * 0 for no cut. 0..2^32-1.
   * @default 0
   */
  readonly lineLength?: number | undefined;
  /**
   * `line_delimiter`: the byte that ends a line (`line` only). 0..255.
   * @default 10 (`\n`)
   */
  readonly lineDelimiter?: number | undefined;
}

/** `decodePacket` options: `[['packet_size', 10]]` or `{ packetSize: 10 }`. */
export type DecodeOptions = readonly DecodeOption[] | DecodeOptionsObject;

const UINT32_MAX = 0xffff_ffff;
const NEWLINE = 10;

/** `value` if it is an integer in `0..max`; `badarg` naming `fn` and `what` otherwise. */
export function checkInteger(value: unknown, max: number, fn: string, what: string): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max) return value;
  return badarg(fn, `${what} must be an integer in 0..${max}, got ${describe(value)}`);
}

/** The limits for `decodePacket`; `badarg` naming `fn` on anything wrong. */
export function decodeLimits(options: unknown, isLine: boolean, fn: string): Limits {
  const limits = { packetSize: 0, truncLen: 0, delimiter: NEWLINE };
  if (options === undefined) return limits;
  if (Array.isArray(options)) {
    for (const option of options as readonly unknown[]) {
      if (!Array.isArray(option) || option.length !== 2) {
        badarg(fn, `an option must be a [name, value] pair, got ${describe(option)}`);
      }
      setLimit(limits, option[0], option[1], isLine, fn);
    }
  } else if (isPlainObject(options)) {
    for (const [key, value] of Object.entries(options)) {
      if (!Object.hasOwn(OBJECT_KEYS, key)) badarg(fn, `unknown option ${describe(key)}`);
      if (value !== undefined) setLimit(limits, OBJECT_KEYS[key as keyof typeof OBJECT_KEYS], value, isLine, fn);
    }
  } else {
    badarg(fn, `options must be a list of [name, value] pairs or an object, got ${describe(options)}`);
  }
  return limits;
}

/** One decodePacket option into `limits`; a plain function, not a closure per call (see byte-view.ts). */
function setLimit(limits: { packetSize: number; truncLen: number; delimiter: number }, name: unknown, value: unknown, isLine: boolean, fn: string): void {
  switch (name) {
    case 'packet_size':
      limits.packetSize = checkInteger(value, UINT32_MAX, fn, 'packet_size');
      return;
    case 'line_length':
      limits.truncLen = checkInteger(value, UINT32_MAX, fn, 'line_length');
      return;
    case 'line_delimiter':
      if (!isLine) badarg(fn, 'line_delimiter is only allowed with packet type line');
      limits.delimiter = checkInteger(value, 255, fn, 'line_delimiter');
      return;
    default:
      badarg(fn, `unknown option ${describe(name)}`);
  }
}

const OBJECT_KEYS = {
  packetSize: 'packet_size',
  lineLength: 'line_length',
  lineDelimiter: 'line_delimiter',
} as const;

/** An object literal (or one without a prototype), not a Map, Buffer, class instance… */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
