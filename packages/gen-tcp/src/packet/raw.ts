/**
 * `raw` (also `0`): no framing. `decodePacket` returns all the bytes it is
 * given; a socket delivers each received chunk as it came (see `framer.ts`).
 */
import { MORE, type PacketFamily } from './family.js';

/** `raw` / `0`: the packet is whatever is there; nothing when there is nothing. */
export const raw: PacketFamily = {
  name: 'raw',
  length: (_bytes, n) => (n === 0 ? MORE : n),
  payload: (_bytes, total) => [0, total],
  whole: (_bytes, length) => (length > 0 ? 0 : -1),
};
