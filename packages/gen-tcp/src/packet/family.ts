/**
 * What every packet family provides: OTP's framing contract from
 * `packet_parser.c#packet_get_length`, shared by `decodePacket` and the
 * socket framer.
 *
 * A family looks at the first `n` bytes of a stream and answers with one
 * number: the total size of the next packet, header included (when that is
 * more than `n`, the caller needs more bytes, and knows how many), `MORE`
 * when it cannot tell yet, or `INVALID` when the header is malformed or the
 * packet is over a limit. It never consumes anything; the caller cuts the
 * packet out once it has all of it, keeping the part `payload` names.
 *
 * One file per family (`raw.ts`, `length-prefixed.ts`, `line.ts`, later
 * `asn1.ts`, `http.ts`, …), registered by name in `families.ts`.
 */
import type { ByteView } from './byte-view.js';

/** Need more bytes, amount unknown (`{more, undefined}`). */
export const MORE = 0;
/** Malformed header or over a limit (`{error, invalid}`; `emsgsize` on a socket). */
export const INVALID = -1;

/** The limits a family checks, named after `packet_get_length`'s parameters. */
export interface Limits {
  /** `packet_size`: largest accepted packet, 0 for no limit. */
  readonly packetSize: number;
  /**
   * Where `line` cuts a line that is too long: `line_length` for
   * `decodePacket`, the receive buffer size on a socket. 0 for no cut.
   */
  readonly truncLen: number;
  /** `line_delimiter`, a byte. */
  readonly delimiter: number;
}

/**
 * Scratch state kept across calls while one packet is incomplete (OTP passes
 * `int *statep` for the same purpose). The caller resets it after each
 * packet and whenever the options change.
 */
export interface ScanState {
  /** How many leading bytes are known not to hold the line delimiter. */
  scanned: number;
}

/** A fresh `ScanState`. */
export function newScanState(): ScanState {
  return { scanned: 0 };
}

/** One packet family: how long the next packet is, and which of its bytes are delivered. */
export interface PacketFamily {
  /** Erlang's name for the family, for messages. */
  readonly name: string;
  /**
   * The total size of the next packet in `bytes` (header included), `MORE`,
   * or `INVALID`, looking at the first `n` bytes only (`n <= bytes.length`).
   * A result larger than `n` means "complete once that many bytes are here".
   */
  length(bytes: ByteView, n: number, limits: Limits, state: ScanState): number;
  /**
   * The bytes of a complete packet of `total` bytes that are delivered,
   * as `[start, end)`: 1/2/4 strip their header, the others keep everything.
   */
  payload(bytes: ByteView, total: number): readonly [start: number, end: number];
  /**
   * Optional, for the families that can tell at a glance: where the payload
   * starts when `bytes[0, length)` is exactly one complete packet that the
   * family's `length` would accept through a receive buffer of `window`
   * bytes, else -1 (then the caller frames the bytes the general way, which
   * also finds any error). The payload runs from there to `length` (a
   * family with a trailer cannot say so here: it leaves this out). `bytes`
   * is a lent read buffer (at most 64 KiB): read it, never keep it. Lets a
   * socket copy a read that is one packet out once.
   */
  whole?(bytes: Uint8Array, length: number, limits: Limits, window: number): number;
}
