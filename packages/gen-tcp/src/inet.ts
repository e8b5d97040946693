/**
 * The `inet` helpers gen_tcp programs use: `port`, `sockname`, `peername`
 * (and, as the options module lands, `setopts`/`getopts`).
 */
import type { AddressInfo } from 'node:net';
import { badarg, send } from '@beamline/runtime';
import { ListenSocket } from './listener.js';
import { applyOptionChanges, parseOptions, type OptionInput } from './options.js';
import { isPacketType, type PacketType } from './packet/index.js';
import { TcpSocket, deliver } from './socket.js';

export type IpAddress = readonly number[];
export type SockAddr = readonly [IpAddress, number];
type AddrResult = readonly ['ok', SockAddr] | readonly ['error', 'einval' | 'enotconn'];

/** '127.0.0.1' → [127, 0, 0, 1]; IPv6 text → 8 words. */
export function parseIp(text: string): IpAddress {
  if (text.includes(':')) {
    const [head = '', tail = ''] = text.split('::');
    const words = (s: string): number[] => (s === '' ? [] : s.split(':').map((w) => parseInt(w, 16)));
    const h = words(head);
    const t = text.includes('::') ? words(tail) : [];
    return [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  }
  return text.split('.').map(Number);
}

function isOpen(s: TcpSocket | ListenSocket): boolean {
  return s instanceof ListenSocket ? !s.closed : s.life.tag !== 'closed';
}

function check(fn: string, s: unknown): TcpSocket | ListenSocket {
  if (!(s instanceof TcpSocket) && !(s instanceof ListenSocket)) badarg(fn, `not a socket: ${String(s)}`);
  return s;
}

/** `inet:sockname/1`. `einval` once closed. */
export function sockname(socket: TcpSocket | ListenSocket): AddrResult {
  const s = check('sockname', socket);
  if (!isOpen(s)) return ['error', 'einval'];
  const a = (s instanceof ListenSocket ? s.server.address() : s.net.address()) as AddressInfo | null;
  if (a === null || typeof a !== 'object' || a.address === undefined) return ['error', 'einval'];
  return ['ok', [parseIp(a.address), a.port]];
}

/** `inet:peername/1`. `enotconn` for a listen socket, `einval` once closed. */
export function peername(socket: TcpSocket | ListenSocket): AddrResult {
  const s = check('peername', socket);
  if (s instanceof ListenSocket) return s.closed ? ['error', 'einval'] : ['error', 'enotconn'];
  if (!isOpen(s) || s.net.remoteAddress === undefined || s.net.remotePort === undefined) return ['error', 'einval'];
  return ['ok', [parseIp(s.net.remoteAddress), s.net.remotePort]];
}

/** `inet:port/1`: the local port. */
export function port(socket: TcpSocket | ListenSocket): readonly ['ok', number] | readonly ['error', 'einval'] {
  const r = sockname(socket);
  return r[0] === 'ok' ? ['ok', r[1][1]] : ['error', 'einval'];
}

/**
 * `inet:setopts/2`. `einval` on a closed socket or an `{active, N}` overflow
 * (the changes before it stay, as in OTP); `badarg` for unknown options or
 * bad values.
 */
export function setopts(socket: TcpSocket | ListenSocket, options: OptionInput): 'ok' | readonly ['error', 'einval'] {
  const s = check('setopts', socket);
  const changes = parseOptions('setopts', options);
  if (!isOpen(s)) return ['error', 'einval'];
  if (s instanceof ListenSocket) {
    const applied = applyOptionChanges(s.opts, changes);
    s.opts = applied.options;
    for (let i = 0; i < applied.passiveMessages; i++) send(s.owner, ['tcp_passive', s]);
    return applied.result === 'ok' ? 'ok' : ['error', 'einval'];
  }
  const before = s.opts;
  const applied = applyOptionChanges({ ...before, active: s.active }, changes);
  const after = applied.options;
  if (after.packet !== before.packet && !isPacketType(after.packet)) {
    badarg('setopts', `{packet, ${String(after.packet)}} is not supported yet (raw, 1, 2, 4 and line are)`);
  }
  s.opts = after;
  s.active = after.active;
  if (after.packet !== before.packet || after.packetSize !== before.packetSize || after.lineDelimiter !== before.lineDelimiter || after.buffer !== before.buffer) {
    s.framer.configure({ type: after.packet as PacketType, packetSize: after.packetSize, lineDelimiter: after.lineDelimiter, bufferSize: after.buffer });
  }
  if (after.nodelay !== before.nodelay) s.net.setNoDelay(after.nodelay);
  if (after.keepalive !== before.keepalive) s.net.setKeepAlive(after.keepalive);
  for (let i = 0; i < applied.passiveMessages; i++) send(s.owner, ['tcp_passive', s]);
  deliver(s);
  return applied.result === 'ok' ? 'ok' : ['error', 'einval'];
}
