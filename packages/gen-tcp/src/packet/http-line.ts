/**
 * Framing for `http`, `http_bin`, `httph`, `httph_bin`: a packet is one
 * line, up to and including `\n` (the parser in `http.ts` turns it into a
 * term). From `packet_get_length` (TCP_PB_HTTP*), checked against OTP 25:
 *
 * - before the headers (`http`, `http_bin`: a request or status line), the
 *   line ends at the first `\n`;
 * - in the headers (`httph`, `httph_bin`), a line is complete only once the
 *   first byte of the next line is here, since a next line starting with SP
 *   or HT continues (folds) the header: `Host: x\r\n` alone is
 *   `{more, undefined}`, `Host: x\r\nY` is a packet. A line of 2 bytes or
 *   less does not fold (`a\n b` is `a\n`). The input being exactly `\n` or
 *   `\r\n` is a packet at once (the end of the headers).
 * - the result when more is needed is always `MORE` (`{more, undefined}`),
 *   never a length.
 * - `packetSize` (or, when it is 0, `truncLen`: OTP lets `line_length` stand
 *   in for it here) limits a line: over it is invalid, and so is reaching it
 *   (`>=`, not `>`) without a `\n`. Lines are never cut.
 *
 * Sockets switch from start-line to header mode and back (`framer.ts`):
 * in headers, `http`/`http_bin` frame as their header twins.
 */
import type { ByteView } from './byte-view.js';
import { INVALID, MORE, type Limits, type PacketFamily, type ScanState } from './family.js';

const LF = 10;
const CR = 13;
const isSp = (c: number): boolean => c === 32 || c === 9;

function length(header: boolean, bytes: ByteView, n: number, limits: Limits, state: ScanState): number {
  if ((n === 1 && bytes.byteAt(0) === LF) || (n === 2 && bytes.byteAt(0) === CR && bytes.byteAt(1) === LF)) return n;
  const max = limits.packetSize !== 0 ? limits.packetSize : limits.truncLen;
  // `state.scanned`: where the search for the next `\n` resumes; every `\n`
  // before it ended a line that the next one folds into.
  let from = Math.min(state.scanned, n);
  for (;;) {
    const at = bytes.indexOf(LF, from, n);
    if (at < 0) {
      state.scanned = n;
      if (max !== 0 && n >= max) return INVALID;
      return MORE;
    }
    const len = at + 1;
    if (!header) return max !== 0 && len > max ? INVALID : len;
    if (len < n) {
      if (isSp(bytes.byteAt(len)) && len > 2) {
        from = len;
        continue;
      }
      return max !== 0 && len > max ? INVALID : len;
    }
    state.scanned = at;
    return max !== 0 && len > max ? INVALID : MORE;
  }
}

function httpFamily(name: string, header: boolean): PacketFamily {
  return {
    name,
    length: (bytes, n, limits, state) => length(header, bytes, n, limits, state),
    payload: (_bytes, total) => [0, total],
  };
}

/** `http`: a request or status line (a socket then reads headers). */
export const http = httpFamily('http', false);
/** `http_bin`: as `http`, strings as binaries. */
export const httpBin = httpFamily('http_bin', false);
/** `httph`: a header line, folded lines included, or the empty line. */
export const httph = httpFamily('httph', true);
/** `httph_bin`: as `httph`, strings as binaries. */
export const httphBin = httpFamily('httph_bin', true);

/** How a line of an HTTP family parses: as a header (`httph*`), and with Buffer strings (`*_bin`). */
export interface HttpLineMode {
  readonly header: boolean;
  readonly bin: boolean;
}

/** How `decodePacket` and sockets parse a packet of each HTTP family. */
export const HTTP_MODES: ReadonlyMap<PacketFamily, HttpLineMode> = new Map([
  [http, { header: false, bin: false }],
  [httpBin, { header: false, bin: true }],
  [httph, { header: true, bin: false }],
  [httphBin, { header: true, bin: true }],
]);

/** The family that frames header lines for `family`: `httph` for `http`, `httph_bin` for `http_bin`, else itself. */
export function httpHeaderFamily(family: PacketFamily): PacketFamily {
  if (family === http) return httph;
  if (family === httpBin) return httphBin;
  return family;
}
