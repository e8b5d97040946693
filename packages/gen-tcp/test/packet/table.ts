/**
 * Table tests for `decodePacket`: one `it` per row, named by the input's hex
 * and the options, expecting OTP's answer for the same bytes.
 */
import { expect, it } from 'vitest';
import { decodePacket, type DecodeOptions, type DecodeResult, type PacketType } from '../../src/packet/index.js';

export type Row = readonly [data: Buffer, options: DecodeOptions, expected: DecodeResult];

export function table(type: PacketType, rows: readonly Row[]): void {
  it.each(rows.map((row) => [row[0].toString('hex'), JSON.stringify(row[1]), ...row] as const))(
    `${String(type)} <<%s>> %s`,
    (_hex, _opts, data, options, expected) => {
      expect(decodePacket(type, data, options)).toEqual(expected);
    },
  );
}
