/**
 * How a value is named in a `badarg` message: short, and enough to find the
 * culprit (`"4"`, `1.5`, `<Buffer of 3 bytes>`, `array of 2`, `object Map`).
 */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (value === null || typeof value !== 'object') return String(value);
  if (Buffer.isBuffer(value)) return `<Buffer of ${value.length} bytes>`;
  if (Array.isArray(value)) return `array of ${value.length}`;
  return `object ${Object.prototype.toString.call(value).slice(8, -1)}`;
}
