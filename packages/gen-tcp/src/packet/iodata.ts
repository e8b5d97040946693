/**
 * Erlang's iodata for TypeScript: what `send` accepts, turned into the list
 * of Buffers to hand to `writev`, without joining them.
 */
import { badarg } from '@beamline/runtime';
import { describe } from './describe.js';

/**
 * A `Buffer`, `Uint8Array`, `string` (sent as UTF-8), a byte `number`
 * (0..255), or arrays of these nested to any depth, like an Erlang iolist.
 */
export type IoData = Buffer | Uint8Array | string | number | readonly IoData[];

/** An array being walked and the index of its next element. */
interface Frame {
  readonly list: readonly unknown[];
  index: number;
}

/**
 * The bytes of `data` as a list of Buffers in order: Buffers as they are,
 * other `Uint8Array`s wrapped without a copy, strings encoded, and runs of
 * byte numbers gathered into one Buffer each. Empty pieces are left out.
 * Deep nesting does not grow the call stack.
 *
 * `badarg` naming `fn`, the value found and where (`[2][0]`) when something
 * is not iodata.
 */
export function flattenIodata(data: IoData, fn = 'flattenIodata'): Buffer[] {
  // The common sends, one Buffer or one string, without the walk's set-up.
  if (Buffer.isBuffer(data)) return data.length === 0 ? [] : [data];
  if (typeof data === 'string') return data.length === 0 ? [] : [Buffer.from(data, 'utf8')];
  const out: Buffer[] = [];
  let bytes: number[] = [];
  const flushBytes = (): void => {
    if (bytes.length > 0) {
      out.push(Buffer.from(bytes));
      bytes = [];
    }
  };
  const stack: Frame[] = [];
  // The arrays being walked, to refuse an array that contains itself.
  const open = new Set<readonly unknown[]>();
  let item: unknown = data;
  for (;;) {
    if (typeof item === 'number') {
      if (!Number.isInteger(item) || item < 0 || item > 255) fail(fn, item, stack);
      bytes.push(item);
    } else if (Array.isArray(item)) {
      if (open.has(item)) badarg(fn, `not iodata: an array that contains itself at ${pathOf(stack)}`);
      open.add(item);
      stack.push({ list: item, index: 0 });
    } else if (item instanceof Uint8Array) {
      if (item.length > 0) {
        flushBytes();
        out.push(Buffer.isBuffer(item) ? item : Buffer.from(item.buffer, item.byteOffset, item.byteLength));
      }
    } else if (typeof item === 'string') {
      if (item.length > 0) {
        flushBytes();
        out.push(Buffer.from(item, 'utf8'));
      }
    } else {
      fail(fn, item, stack);
    }
    // Move to the next element, leaving the arrays that are done.
    let frame = stack[stack.length - 1];
    while (frame !== undefined && frame.index >= frame.list.length) {
      open.delete(frame.list);
      stack.pop();
      frame = stack[stack.length - 1];
    }
    if (frame === undefined) break;
    item = frame.list[frame.index];
    frame.index += 1;
  }
  flushBytes();
  return out;
}

/** The number of bytes in a list of Buffers. */
export function byteLength(chunks: readonly Buffer[]): number {
  let size = 0;
  for (const chunk of chunks) size += chunk.length;
  return size;
}

function fail(fn: string, found: unknown, stack: readonly Frame[]): never {
  const path = pathOf(stack);
  return badarg(fn, `not iodata: ${describe(found)}${path === '' ? '' : ` at ${path}`}`);
}

/** Where the walk is, as `[2][0]`; each frame's index is one past the element being looked at. */
function pathOf(stack: readonly Frame[]): string {
  return stack.map((frame) => `[${frame.index - 1}]`).join('');
}
