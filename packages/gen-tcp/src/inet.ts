/**
 * The `inet` helpers gen_tcp programs use: `port`, `sockname`, `peername`,
 * `setopts`, `getopts`, `getstat`, socket monitors (`monitor`,
 * `cancelMonitor`), and an `inet:i()`-style listing (`sockets`, `i`).
 */
import type { AddressInfo } from 'node:net';
import { BeamlineError, Pid, Ref, badarg, self, send } from '@beamline/runtime';
import { ListenSocket } from './listener.js';
import { applyOptionChanges, getoptsValue, nextActive, parseOptions, show, type ActiveOption, type GetoptsEntry, type OptionInput } from './options.js';
import { addMonitor, cancelMonitor as cancelSocketMonitor, deadMonitor } from './monitors.js';
import { openSockets } from './stats.js';
import { TcpSocket, connected, isActive, optionsChanged, portAlive } from './socket.js';

export type IpAddress = readonly number[];
export type SockAddr = readonly [IpAddress, number];
type AddrResult = readonly ['ok', SockAddr] | readonly ['error', 'einval' | 'enotconn' | 'ebadf'];

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

/** The socket's port lives: open, or (a TcpSocket) with its connection closed but not `close`d yet. */
function isOpen(s: TcpSocket | ListenSocket): boolean {
  return s instanceof ListenSocket ? !s.closed : portAlive(s);
}

function check(fn: string, s: unknown): TcpSocket | ListenSocket {
  if (!(s instanceof TcpSocket) && !(s instanceof ListenSocket)) badarg(fn, `not a socket: ${show(s)}`);
  return s;
}

/** `inet:sockname/1`. `einval` once closed; `ebadf` on a closed connection not `close`d yet (OTP 25). */
export function sockname(socket: TcpSocket | ListenSocket): AddrResult {
  const s = check('sockname', socket);
  if (!isOpen(s)) return ['error', 'einval'];
  if (s instanceof TcpSocket && !connected(s)) return ['error', 'ebadf'];
  const a = (s instanceof ListenSocket ? s.server.address() : s.net.address()) as AddressInfo | null;
  if (a === null || typeof a !== 'object' || a.address === undefined) return ['error', 'einval'];
  return ['ok', [parseIp(a.address), a.port]];
}

/** `inet:peername/1`. `enotconn` for a listen socket or a closed connection, `einval` once closed. */
export function peername(socket: TcpSocket | ListenSocket): AddrResult {
  const s = check('peername', socket);
  if (s instanceof ListenSocket) return s.closed ? ['error', 'einval'] : ['error', 'enotconn'];
  if (isOpen(s) && !connected(s)) return ['error', 'enotconn'];
  if (!isOpen(s) || s.net.remoteAddress === undefined || s.net.remotePort === undefined) return ['error', 'einval'];
  return ['ok', [parseIp(s.net.remoteAddress), s.net.remotePort]];
}

/** `inet:port/1`: the local port. Errors as `sockname`. */
export function port(socket: TcpSocket | ListenSocket): readonly ['ok', number] | readonly ['error', 'einval' | 'ebadf'] {
  const r = sockname(check('port', socket));
  return r[0] === 'ok' ? ['ok', r[1][1]] : ['error', r[1] === 'ebadf' ? 'ebadf' : 'einval'];
}

/**
 * `inet:setopts/2`. `einval` on a closed socket or an `{active, N}` overflow
 * (the changes before it stay, as in OTP); `badarg` for unknown options or
 * bad values.
 */
export function setopts(socket: TcpSocket | ListenSocket, options: OptionInput): 'ok' | readonly ['error', 'einval'] {
  const s = check('setopts', socket);
  if (s instanceof TcpSocket) {
    const requested = activeOnly(options);
    if (requested !== undefined) return setActive(s, requested);
  }
  const changes = parseOptions('setopts', options);
  if (!isOpen(s)) return ['error', 'einval'];
  if (s instanceof ListenSocket) {
    const applied = applyOptionChanges(s.opts, changes);
    s.opts = applied.options;
    for (let i = 0; i < applied.passiveMessages; i++) send(s.owner, ['tcp_passive', s]);
    return applied.result === 'ok' ? 'ok' : ['error', 'einval'];
  }
  const before = s.opts;
  const wasActive = isActive(s);
  const applied = applyOptionChanges({ ...before, active: s.active }, changes);
  const after = applied.options;
  s.opts = after;
  s.active = after.active;
  if (after.packet !== before.packet || after.packetSize !== before.packetSize || after.lineDelimiter !== before.lineDelimiter || after.buffer !== before.buffer) {
    s.framer.configure({ type: after.packet, packetSize: after.packetSize, lineDelimiter: after.lineDelimiter, bufferSize: after.buffer });
  }
  if (after.nodelay !== before.nodelay) s.net.setNoDelay(after.nodelay);
  if (after.keepalive !== before.keepalive) s.net.setKeepAlive(after.keepalive);
  for (let i = 0; i < applied.passiveMessages; i++) send(s.owner, ['tcp_passive', s]);
  optionsChanged(s, wasActive);
  return applied.result === 'ok' ? 'ok' : ['error', 'einval'];
}

/**
 * The value of a setopts that changes `active` alone, with a valid value
 * (`[['active', A]]` or `{ active: A }`), else undefined: the call of every
 * `{active, once}` receive loop, which `setActive` applies without parsing
 * the list or copying the options record. Anything else, bad values
 * included, takes the full path.
 */
function activeOnly(options: unknown): ActiveOption | undefined {
  let value: unknown;
  if (Array.isArray(options)) {
    const option: unknown = options[0];
    if (options.length !== 1 || !Array.isArray(option) || option.length !== 2 || option[0] !== 'active') return undefined;
    value = option[1];
  } else if (options !== null && typeof options === 'object' && Object.getPrototypeOf(options) === Object.prototype) {
    const keys = Object.keys(options);
    if (keys.length !== 1 || keys[0] !== 'active' || Object.getOwnPropertySymbols(options).length > 0) return undefined;
    value = (options as { active: unknown }).active;
  } else {
    return undefined;
  }
  if (value === true || value === false || value === 'once') return value;
  return Number.isInteger(value) && (value as number) >= -32768 && (value as number) <= 32767 ? (value as number) : undefined;
}

/** `setopts(s, [['active', requested]])`: what the full path does for that one change. */
function setActive(s: TcpSocket, requested: ActiveOption): 'ok' | readonly ['error', 'einval'] {
  if (!portAlive(s)) return ['error', 'einval'];
  const wasActive = isActive(s);
  const step = nextActive(s.active, requested);
  if (step !== 'einval') {
    // Only s.active changes: s.opts.active is not kept current (deliveries change the mode too); getopts reads s.active.
    s.active = step.active;
    if (step.passive) send(s.owner, ['tcp_passive', s]);
  }
  optionsChanged(s, wasActive);
  return step === 'einval' ? ['error', 'einval'] : 'ok';
}

/**
 * `inet:getopts/2`: `['ok', [[name, value], ...]]` in the order asked, shaped
 * as OTP 25 shapes them (options.ts#getoptsValue); `active` is the socket's
 * live mode (`once` until a message goes out, the count while counting,
 * `false` once it reached 0). Options OTP leaves out (`ipv6_v6only` on an
 * IPv4 socket) are left out. `['error', 'einval']` for a closed socket or
 * when any name is not one getopts can read (the whole call fails, as in
 * OTP, also for a name that is not an atom).
 */
export function getopts(
  socket: TcpSocket | ListenSocket,
  names: readonly string[],
): readonly ['ok', GetoptsEntry[]] | readonly ['error', 'einval'] {
  const s = check('getopts', socket);
  if (!Array.isArray(names)) badarg('getopts', `option names must be a list, got ${show(names)}`);
  if (!isOpen(s)) return ['error', 'einval'];
  const opts = s instanceof TcpSocket ? { ...s.opts, active: s.active } : s.opts;
  const out: GetoptsEntry[] = [];
  for (const name of names) {
    let entry: GetoptsEntry | null;
    try {
      entry = getoptsValue(opts, name);
    } catch (error) {
      if (error instanceof BeamlineError) return ['error', 'einval'];
      throw error;
    }
    if (entry !== null) out.push(entry);
  }
  return ['ok', out];
}

/** A statistic `inet:getstat/2` reports. */
export type StatName =
  | 'recv_oct' | 'recv_cnt' | 'recv_max' | 'recv_avg' | 'recv_dvi'
  | 'send_oct' | 'send_cnt' | 'send_max' | 'send_avg' | 'send_pend';

/** OTP's `inet:getstat/1` list, in its order. */
export const STATS: readonly StatName[] = Object.freeze([
  'recv_oct', 'recv_cnt', 'recv_max', 'recv_avg', 'recv_dvi',
  'send_oct', 'send_cnt', 'send_max', 'send_avg', 'send_pend',
] as const);

function statValue(s: TcpSocket | ListenSocket, name: StatName): number {
  if (s instanceof ListenSocket) return 0;
  const st = s.stats;
  switch (name) {
    case 'recv_oct': return st.recvOct;
    case 'recv_cnt': return st.recvCnt;
    case 'recv_max': return st.recvMax;
    case 'recv_avg': return Math.trunc(st.recvAvg);
    case 'recv_dvi': return Math.trunc(Math.abs(st.recvDvi));
    case 'send_oct': return st.sendOct;
    case 'send_cnt': return st.sendCnt;
    case 'send_max': return st.sendMax;
    case 'send_avg': return Math.trunc(st.sendAvg);
    case 'send_pend': return s.net.writableLength;
  }
}

/**
 * `inet:getstat/1,2`: `['ok', [[stat, value], ...]]`, by default OTP's ten
 * statistics in OTP's order. As in OTP 25 (checked with erl): the receive
 * side counts each packet handed to the user (a message or a `recv` result)
 * with its 1/2/4-byte header, so buffered or discarded partial packets do not
 * count; the send side counts each `send` call with its header; averages are
 * truncated; `send_pend` is what Node still holds to write. A listen socket
 * reads all zeros. `['error', 'einval']` for a closed socket or an unknown
 * statistic.
 */
export function getstat(
  socket: TcpSocket | ListenSocket,
  stats: readonly StatName[] = STATS,
): readonly ['ok', [StatName, number][]] | readonly ['error', 'einval'] {
  const s = check('getstat', socket);
  if (!Array.isArray(stats)) badarg('getstat', `statistics must be a list, got ${show(stats)}`);
  if (!isOpen(s)) return ['error', 'einval'];
  if (!stats.every((name) => (STATS as readonly unknown[]).includes(name))) return ['error', 'einval'];
  return ['ok', stats.map((name) => [name, statValue(s, name)])];
}

/**
 * `inet:monitor/1`: the calling process gets
 * `['DOWN', ref, 'port', socket, info]` once, when the socket's port goes:
 * `info` is `normal` after `close` (or the end of an active socket with
 * `exit_on_close`), the owner's exit reason when the owner exits (`killed`
 * for a kill), or the error that ended it (`econnreset`, `emsgsize`). A
 * socket whose connection closed but that was not `close`d yet still lives.
 * On a socket already gone the DOWN comes at once with `noproc`. Several
 * monitors of one socket each fire. Inside a process only; `badarg` if
 * `socket` is not a socket.
 */
export function monitor(socket: TcpSocket | ListenSocket): Ref {
  const s = check('monitor', socket);
  const watcher = self();
  return isOpen(s) ? addMonitor(s, watcher) : deadMonitor(s, watcher);
}

/**
 * `inet:cancel_monitor/1`: turns off a monitor the calling process set with
 * `monitor`: `true` if it was active (no DOWN will come), `false` if it had
 * fired already or is not the caller's. `badarg` if `ref` is not a reference.
 */
export function cancelMonitor(ref: Ref): boolean {
  if (!(ref instanceof Ref)) badarg('cancelMonitor', `not a reference: ${show(ref)}`);
  return cancelSocketMonitor(ref, self());
}

/** One row of `sockets()`, the columns of OTP's `inet:i()`. */
export interface SocketRow {
  readonly socket: TcpSocket | ListenSocket;
  /** `#Port<0.N>` */
  readonly port: string;
  readonly module: 'inet_tcp';
  /** recv_oct */
  readonly recv: number;
  /** send_oct */
  readonly sent: number;
  readonly owner: Pid;
  /** `ip:port`, or '' when it cannot be read */
  readonly local: string;
  /** `ip:port`; `*:*` for a listen socket */
  readonly foreign: string;
  /**
   * `LISTEN`, `ACCEPTING` (a listen socket with processes in accept),
   * `CONNECTED`, or `HALF_CLOSED` (the peer sent FIN, `exit_on_close`
   * false: still writable).
   */
  readonly state: 'LISTEN' | 'ACCEPTING' | 'CONNECTED' | 'HALF_CLOSED';
  readonly type: 'STREAM';
}

function showAddr(r: AddrResult): string {
  if (r[0] !== 'ok') return '';
  const [ip, p] = r[1];
  const host = ip.length === 4 ? ip.join('.') : `[${ip.map((w) => w.toString(16)).join(':')}]`;
  return `${host}:${p}`;
}

/** The open sockets, connected and listening, oldest first: what `inet:i()` lists. */
export function sockets(): SocketRow[] {
  const rows: SocketRow[] = [];
  for (const s of openSockets) {
    if (s instanceof ListenSocket) {
      rows.push({
        socket: s, port: s.toString(), module: 'inet_tcp', recv: 0, sent: 0, owner: s.owner,
        local: showAddr(sockname(s)), foreign: '*:*',
        state: s.acceptors.length > 0 ? 'ACCEPTING' : 'LISTEN', type: 'STREAM',
      });
    } else if (s instanceof TcpSocket) {
      rows.push({
        socket: s, port: s.toString(), module: 'inet_tcp', recv: s.stats.recvOct, sent: s.stats.sendOct, owner: s.owner,
        local: showAddr(sockname(s)), foreign: showAddr(peername(s)),
        state: s.life.tag === 'halfOpen' ? 'HALF_CLOSED' : 'CONNECTED', type: 'STREAM',
      });
    }
  }
  return rows;
}

/** `sockets()` as the table `inet:i()` prints, one line per socket under a header line. */
export function formatSockets(rows: readonly SocketRow[] = sockets()): string {
  if (!Array.isArray(rows)) badarg('formatSockets', `rows must be an array of sockets() rows, got ${show(rows)}`);
  for (const r of rows as unknown[]) {
    if (!isRow(r)) badarg('formatSockets', `not a sockets() row: ${show(r)}`);
  }
  const header = ['Port', 'Module', 'Recv', 'Sent', 'Owner', 'Local Address', 'Foreign Address', 'State', 'Type'];
  const lines = [
    header,
    ...rows.map((r) => [r.port, r.module, String(r.recv), String(r.sent), String(r.owner), r.local, r.foreign, r.state, r.type]),
  ];
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  return lines.map((l) => l.map((cell, i) => cell.padEnd(widths[i]!)).join(' ').trimEnd()).join('\n') + '\n';
}

function isRow(r: unknown): r is SocketRow {
  if (typeof r !== 'object' || r === null) return false;
  const row = r as Record<string, unknown>;
  return (
    ['port', 'module', 'local', 'foreign', 'state', 'type'].every((k) => typeof row[k] === 'string') &&
    typeof row['recv'] === 'number' && typeof row['sent'] === 'number' && row['owner'] instanceof Pid
  );
}

/** `inet:i()`: prints the open sockets (to stdout unless told otherwise) and returns 'ok'. */
export function i(print: (text: string) => void = (text) => process.stdout.write(text)): 'ok' {
  if (typeof print !== 'function') badarg('i', `print must be a function, got ${show(print)}`);
  print(formatSockets());
  return 'ok';
}
