/**
 * The packet types, by the name Erlang gives them, and the family that
 * frames each. This is the one place a new family is plugged in: add its
 * file, then one line to `FAMILIES`; `PacketType`, `decodePacket` and the
 * framer follow.
 */
import { badarg } from '@beamline/runtime';
import { describe } from './describe.js';
import type { PacketFamily } from './family.js';
import { packet1, packet2, packet4 } from './length-prefixed.js';
import { line } from './line.js';
import { raw } from './raw.js';
import { asn1 } from './asn1.js';
import { cdr } from './cdr.js';
import { fcgi } from './fcgi.js';
import { sunrm } from './sunrm.js';
import { tpkt } from './tpkt.js';
import { http, httpBin, httph, httphBin } from './http-line.js';

const FAMILIES = {
  raw,
  0: raw,
  1: packet1,
  2: packet2,
  4: packet4,
  line,
  asn1,
  cdr,
  sunrm,
  fcgi,
  tpkt,
  http,
  http_bin: httpBin,
  httph,
  httph_bin: httphBin,
} as const satisfies Record<string | number, PacketFamily>;

/**
 * A packet type: `raw` or `0`, `1`, `2`, `4`, `line`, `asn1`, `cdr`,
 * `sunrm`, `fcgi`, `tpkt`, `http`, `http_bin`, `httph`, `httph_bin`.
 */
export type PacketType = keyof typeof FAMILIES;

const BY_TYPE = new Map<unknown, PacketFamily>(
  Object.entries(FAMILIES).map(([key, family]) => [/^\d+$/.test(key) ? Number(key) : key, family]),
);

/** Whether `type` is a packet type (sockets and `decodePacket` take the same ones). */
export function isPacketType(type: unknown): type is PacketType {
  return BY_TYPE.has(type);
}

/** The family for `type`; `badarg` naming `fn` and the type otherwise. */
export function familyOf(type: unknown, fn: string): PacketFamily {
  const family = BY_TYPE.get(type);
  if (family !== undefined) return family;
  badarg(fn, `not a packet type: ${describe(type)}`);
}
