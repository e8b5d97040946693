/**
 * Socket options: OTP's option lists, and Beamline's object form, turned into
 * one normalised record, as `inet:connect_options/2`, `inet:listen_options/2`
 * and `prim_inet:setopts/2` do for gen_tcp. Everything a socket needs to know
 * about its options is decided here, once; the socket layer never looks at
 * the user's list again.
 *
 * Two input forms, one meaning:
 *   `['binary', ['packet', 4], ['active', 'once']]` (Erlang's list, canonical)
 *   `{ mode: 'binary', packet: 4, active: 'once' }`  (camelCase keys)
 *
 * The rules follow OTP 25's inet backend, checked against a real OTP 25
 * (erts 13.1.5) where the tests say so:
 * - An unknown option, a value of the wrong type or out of range, or an option
 *   the call does not take throws `badarg` naming the call, the option and the
 *   value. OTP raises `badarg` from connect/listen and returns
 *   `{error, einval}` from `inet:setopts`; the inet layer turns this module's
 *   badarg into `['error', 'einval']` for setopts and getopts.
 * - connect/listen keep the last of duplicate options, setopts the first (its
 *   driver applies the list last element first); see `applyOptionChanges`.
 * - Where OTP silently wraps a value (integers past 2^31 or 2^32 are truncated
 *   by the driver) or passes garbage to the kernel (a negative linger time or
 *   buffer size), this port refuses it with badarg instead; each such choice
 *   is marked "Deviation" below. Where OTP clamps (buffer < 1, negative
 *   watermarks) this port clamps the same way.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { inspect } from 'node:util';
import { badarg } from '@beamline/runtime';

// ---------------------------------------------------------------------------
// Value types

/** `{mode, list | binary}`: how received data is delivered. */
export type Mode = 'list' | 'binary';

/** A packet type as stored: `raw` is normalised to `0`, as OTP reads it back. */
export type PacketType =
  | 0 | 1 | 2 | 4
  | 'line' | 'asn1' | 'cdr' | 'sunrm' | 'fcgi' | 'tpkt'
  | 'http' | 'http_bin' | 'httph' | 'httph_bin';

/** A packet type as written in an option: `PacketType` or its alias `raw`. */
export type PacketOption = PacketType | 'raw';

/**
 * A socket's active mode as stored: `true`, `false`, `'once'`, or a positive
 * count of messages still to deliver (1..32767). A count that reaches 0 is
 * stored as `false`, as OTP reads it back.
 */
export type ActiveMode = boolean | 'once' | number;

/** What `{active, A}` may ask for: a mode, or an integer N in -32768..32767 added to the count. */
export type ActiveOption = boolean | 'once' | number;

/** `{deliver, port | term}`: `{S, {data, D}}` or `{tcp, S, D}` messages. */
export type Deliver = 'port' | 'term';

/** The address family: OTP's `inet` / `inet6` atoms. */
export type Family = 'inet' | 'inet6';

export type Ip4Address = readonly [number, number, number, number];
export type Ip6Address = readonly [number, number, number, number, number, number, number, number];
/** An IP address as an Erlang tuple: 4 bytes or 8 16-bit words. */
export type IpAddress = Ip4Address | Ip6Address;

/**
 * An address in an `ip`/`ifaddr` option: a tuple, the atoms `any` and
 * `loopback` (translated for the family, as `inet:translate_ip/2` does), or
 * text such as `'127.0.0.1'` or `'::1'` (a Beamline convenience; OTP wants a
 * tuple).
 */
export type AddressOption = IpAddress | readonly number[] | 'any' | 'loopback' | (string & {});

/** `{linger, {OnOff, Seconds}}`. */
export type Linger = readonly [on: boolean, seconds: number];

/** `{send_timeout, Ms | infinity}`. */
export type SendTimeout = number | 'infinity';

/** The three calls that take options. */
export type OptionsCall = 'connect' | 'listen' | 'setopts';

// ---------------------------------------------------------------------------
// Input forms

/** Every tuple option, by its Erlang name, with the values it accepts. */
export interface OptionValues {
  mode: Mode;
  active: ActiveOption;
  packet: PacketOption;
  packet_size: number;
  header: number;
  line_delimiter: number;
  buffer: number;
  recbuf: number;
  sndbuf: number;
  nodelay: boolean;
  keepalive: boolean;
  reuseaddr: boolean;
  exit_on_close: boolean;
  send_timeout: SendTimeout;
  send_timeout_close: boolean;
  show_econnreset: boolean;
  linger: Linger;
  deliver: Deliver;
  high_watermark: number;
  low_watermark: number;
  high_msgq_watermark: number;
  low_msgq_watermark: number;
  delay_send: boolean;
  debug: boolean;
  ipv6_v6only: boolean;
  backlog: number;
  ip: AddressOption;
  ifaddr: AddressOption;
  port: number;
}

/** `'packet_size'` → `'packetSize'`, at the type level. */
type Camel<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;

/** A bare atom option: `binary`/`list` (the mode) or `inet`/`inet6` (the family). */
export type OptionAtom = Mode | Family;
/** A 2-tuple option such as `['packet', 4]`. */
export type OptionTuple = { [K in keyof OptionValues]: readonly [K, OptionValues[K]] }[keyof OptionValues];
/** Erlang's form: `['binary', ['packet', 4], ['active', 'once']]`. */
export type OptionList = readonly (OptionAtom | OptionTuple)[];
/** The object form: the same options with camelCase keys, plus `family`. */
export type OptionObject = { readonly [K in keyof OptionValues as Camel<K>]?: OptionValues[K] } & {
  readonly family?: Family;
};
/** What connect, listen and setopts take. */
export type OptionInput = OptionList | OptionObject;

// ---------------------------------------------------------------------------
// The record

/**
 * The normalised options of one socket (connected or listening), with OTP
 * 25's defaults (`DEFAULT_OPTIONS`). Field names are the camelCase option
 * names. `null` means "not set: the OS or the address decides".
 */
export interface SocketOptions {
  /** @default 'list' */
  readonly mode: Mode;
  /** @default true */
  readonly active: ActiveMode;
  /** @default 0 (raw) */
  readonly packet: PacketType;
  /** Largest packet body accepted; 0 = no limit. @default 0 */
  readonly packetSize: number;
  /** Bytes delivered as a list head in binary mode. @default 0 */
  readonly header: number;
  /** Byte ending a `{packet, line}` line. @default 10 ($\n) */
  readonly lineDelimiter: number;
  /** User-level receive buffer: largest raw read and line. @default 1460 */
  readonly buffer: number;
  /** SO_RCVBUF; null = OS default (Node cannot set it). @default null */
  readonly recbuf: number | null;
  /** SO_SNDBUF; null = OS default (Node cannot set it). @default null */
  readonly sndbuf: number | null;
  /** @default false */
  readonly nodelay: boolean;
  /** @default false */
  readonly keepalive: boolean;
  /** @default false */
  readonly reuseaddr: boolean;
  /** @default true */
  readonly exitOnClose: boolean;
  /** @default 'infinity' */
  readonly sendTimeout: SendTimeout;
  /** @default false */
  readonly sendTimeoutClose: boolean;
  /** @default false */
  readonly showEconnreset: boolean;
  /** `[false, n]` is always stored as `[false, 0]`, as OTP reads it back. @default [false, 0] */
  readonly linger: Linger;
  /** @default 'term' */
  readonly deliver: Deliver;
  /** Send queue size at which the socket becomes busy. @default 8192 */
  readonly highWatermark: number;
  /** Send queue size at which a busy socket is freed. @default 4096 */
  readonly lowWatermark: number;
  /** ERTS port message queue limit; kept and reported, no effect on Node. @default 8192 */
  readonly highMsgqWatermark: number;
  /** @default 4096 */
  readonly lowMsgqWatermark: number;
  /** @default false */
  readonly delaySend: boolean;
  /** Driver debug printouts in OTP; kept and reported, no effect on Node. @default false */
  readonly debug: boolean;
  /** IPV6_V6ONLY for an inet6 listen socket; null = OS default (false on Linux). @default null */
  readonly ipv6V6only: boolean | null;
  /** listen() backlog. @default 5 */
  readonly backlog: number;
  /**
   * The address family. A listen record always has one; a connect record has
   * null when neither a family atom nor an `ip`/`ifaddr` option chose it, and
   * the address connected to decides (as `inet:tcp_module/2` does).
   * @default null
   */
  readonly family: Family | null;
  /** Local address to bind, `any`/`loopback` already translated; null = any. @default null */
  readonly ip: IpAddress | null;
  /** Local port to bind (connect's source port, listen's port). @default 0 */
  readonly port: number;
  /**
   * Not an option: true once `buffer` was set explicitly on this socket.
   * From then on setting `recbuf` no longer raises `buffer` (OTP 25, observed).
   * Not inherited on accept. @default false
   */
  readonly bufferFixed: boolean;
  /**
   * Not an option: set by connect/listen when `{active, N}` with N <= 0 left
   * the new socket passive. OTP then sends `{tcp_passive, S}` as soon as the
   * socket exists; the socket layer does the same when this is true. Never
   * reported by getopts, not inherited on accept. @default false
   */
  readonly passiveOnOpen: boolean;
}

/** OTP 25's defaults (read with `inet:getopts` on fresh sockets, Linux). */
export const DEFAULT_OPTIONS: SocketOptions = Object.freeze({
  mode: 'list',
  active: true,
  packet: 0,
  packetSize: 0,
  header: 0,
  lineDelimiter: 10,
  buffer: 1460,
  recbuf: null,
  sndbuf: null,
  nodelay: false,
  keepalive: false,
  reuseaddr: false,
  exitOnClose: true,
  sendTimeout: 'infinity',
  sendTimeoutClose: false,
  showEconnreset: false,
  linger: Object.freeze([false, 0]) as Linger,
  deliver: 'term',
  highWatermark: 8192,
  lowWatermark: 4096,
  highMsgqWatermark: 8192,
  lowMsgqWatermark: 4096,
  delaySend: false,
  debug: false,
  ipv6V6only: null,
  backlog: 5,
  family: null,
  ip: null,
  port: 0,
  bufferFixed: false,
  passiveOnOpen: false,
});

/** The options `inet:setopts` can change, by record field. */
export type SettableKey =
  | 'mode' | 'active' | 'packet' | 'packetSize' | 'header' | 'lineDelimiter' | 'buffer' | 'recbuf'
  | 'sndbuf' | 'nodelay' | 'keepalive' | 'reuseaddr' | 'exitOnClose' | 'sendTimeout'
  | 'sendTimeoutClose' | 'showEconnreset' | 'linger' | 'deliver' | 'highWatermark'
  | 'lowWatermark' | 'highMsgqWatermark' | 'lowMsgqWatermark' | 'delaySend' | 'debug';

type ChangeValues = { [K in SettableKey]: K extends 'active' ? ActiveOption : NonNullable<SocketOptions[K]> };

/**
 * One normalised change, `[field, value]`. For `active` the value is what was
 * asked for (`{active, -3}` stays -3); `nextActive` turns it into a mode.
 */
export type OptionChange = { [K in SettableKey]: readonly [K, ChangeValues[K]] }[SettableKey];

// ---------------------------------------------------------------------------
// The option table

const BAD = Symbol('bad value');
type Checked = unknown;

interface Spec {
  /** Which calls take it: c(onnect), l(isten), s(etopts). */
  readonly calls: string;
  readonly expects: string;
  readonly check: (value: unknown) => Checked;
}

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const bool = (v: unknown): Checked => (typeof v === 'boolean' ? v : BAD);
const int = (lo: number, hi: number) => (v: unknown): Checked => (isInt(v) && v >= lo && v <= hi ? v : BAD);
const clamped = (lo: number) => (v: unknown): Checked => (isInt(v) && v >= INT32_MIN && v <= INT32_MAX ? Math.max(lo, v) : BAD);
const oneOf = (...values: readonly unknown[]) => (v: unknown): Checked => (values.includes(v) ? v : BAD);

const PACKETS: readonly PacketOption[] = [
  'raw', 0, 1, 2, 4, 'line', 'asn1', 'cdr', 'sunrm', 'fcgi', 'tpkt', 'http', 'http_bin', 'httph', 'httph_bin',
];
const BOOLEAN = 'true or false';
const NON_NEG = 'an integer from 0 to 2147483647';

// Checked with erl (matrix of every option × connect/listen/setopts):
// the calls each option is valid for are OTP 25's connect_options(),
// listen_options() and what prim_inet:setopts accepts on a TCP socket.
const SPECS: { readonly [K in keyof OptionValues]: Spec } = {
  mode: { calls: 'cls', expects: 'list or binary', check: oneOf('list', 'binary') },
  active: {
    calls: 'cls',
    expects: "true, false, 'once' or an integer from -32768 to 32767",
    check: (v) => (v === true || v === false || v === 'once' || (isInt(v) && v >= -32768 && v <= 32767) ? v : BAD),
  },
  packet: {
    calls: 'cls',
    expects: PACKETS.join(', '),
    check: (v) => (v === 'raw' ? 0 : PACKETS.includes(v as PacketOption) ? v : BAD),
  },
  // OTP reads values up to 2^32-1 back unchanged and wraps 2^32 to 0.
  // Deviation: refused past 2^32-1 instead of wrapped.
  packet_size: { calls: 'cls', expects: 'an integer from 0 to 4294967295', check: int(0, 0xffffffff) },
  // Deviation: OTP wraps past 2^31-1; refused here.
  header: { calls: 'cls', expects: NON_NEG, check: int(0, INT32_MAX) },
  // OTP checks 0..255 in connect only; setopts stores the value's low byte
  // (256 + $c splits on $c, observed). Deviation: setopts refuses it too.
  line_delimiter: { calls: 'cs', expects: 'a byte, 0 to 255', check: int(0, 255) },
  // OTP: any 32-bit integer, below 1 becomes 1 (observed).
  buffer: { calls: 'cls', expects: 'an integer from -2147483648 to 2147483647 (below 1 means 1)', check: clamped(1) },
  // Deviation: OTP hands negative sizes to the kernel, which reads them as
  // huge unsigned ones; refused here.
  recbuf: { calls: 'cls', expects: NON_NEG, check: int(0, INT32_MAX) },
  sndbuf: { calls: 'cls', expects: NON_NEG, check: int(0, INT32_MAX) },
  nodelay: { calls: 'cls', expects: BOOLEAN, check: bool },
  keepalive: { calls: 'cls', expects: BOOLEAN, check: bool },
  reuseaddr: { calls: 'cls', expects: BOOLEAN, check: bool },
  exit_on_close: { calls: 'cls', expects: BOOLEAN, check: bool },
  // Deviation: OTP wraps past 2^31-1 (2^31 reads back negative, 2^32-1 as infinity).
  send_timeout: {
    calls: 'cls',
    expects: `'infinity' or ${NON_NEG}`,
    check: (v) => (v === 'infinity' || (isInt(v) && v >= 0 && v <= INT32_MAX) ? v : BAD),
  },
  send_timeout_close: { calls: 'cls', expects: BOOLEAN, check: bool },
  show_econnreset: { calls: 'cls', expects: BOOLEAN, check: bool },
  // Deviation: OTP accepts a negative or >2^31-1 time and reads back garbage.
  linger: {
    calls: 'cls',
    expects: `[true | false, seconds] with seconds ${NON_NEG.replace('an integer ', '')}`,
    check: (v) =>
      Array.isArray(v) && v.length === 2 && typeof v[0] === 'boolean' && isInt(v[1]) && v[1] >= 0 && v[1] <= INT32_MAX
        ? Object.freeze([v[0], v[0] ? v[1] : 0])
        : BAD,
  },
  deliver: { calls: 'cls', expects: 'port or term', check: oneOf('port', 'term') },
  // OTP: any 32-bit integer, negative means 0 (observed).
  high_watermark: { calls: 'cls', expects: 'an integer from -2147483648 to 2147483647 (below 0 means 0)', check: clamped(0) },
  low_watermark: { calls: 'cls', expects: 'an integer from -2147483648 to 2147483647 (below 0 means 0)', check: clamped(0) },
  // OTP: 0 is badarg in connect, {error, einval} from listen and setopts.
  high_msgq_watermark: { calls: 'cls', expects: 'an integer from 1 to 2147483647', check: int(1, INT32_MAX) },
  low_msgq_watermark: { calls: 'cls', expects: 'an integer from 1 to 2147483647', check: int(1, INT32_MAX) },
  delay_send: { calls: 'cls', expects: BOOLEAN, check: bool },
  debug: { calls: 'cls', expects: BOOLEAN, check: bool },
  // OTP: listen only (connect: badarg; setopts after bind: einval).
  ipv6_v6only: { calls: 'l', expects: BOOLEAN, check: bool },
  // OTP passes any integer to listen() (-1 accepted, observed).
  backlog: { calls: 'l', expects: 'an integer from -2147483648 to 2147483647', check: int(INT32_MIN, INT32_MAX) },
  ip: { calls: 'cl', expects: 'an IP address tuple, any, loopback or address text', check: checkAddress },
  ifaddr: { calls: 'cl', expects: 'an IP address tuple, any, loopback or address text', check: checkAddress },
  port: { calls: 'cl', expects: 'an integer from 0 to 65535', check: int(0, 65535) },
};

/**
 * Options OTP accepts that this port refuses, and why. `fd`, `tcp_module`
 * and `inet_backend` are accepted by OTP 25's connect and listen (checked
 * with erl); they are refused here on purpose: each names a piece of the BEAM
 * (a descriptor adopted by inet_drv, an Erlang callback module, a choice
 * between two BEAM backends) that a Node socket does not have, and silently
 * ignoring them would hide that from the person porting the code.
 */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  fd: 'OTP adopts an already open OS socket with it; Beamline sockets are created by node:net, which cannot take over a descriptor the way inet_drv does',
  tcp_module: 'it names the Erlang callback module (inet_tcp, inet6_tcp, local_tcp) and there is none on Node; choose the family with inet or inet6',
  inet_backend: "it chooses between OTP's inet driver and its socket NIF; on Node there is one backend, node:net",
  local: 'Unix-domain (local) sockets are not supported by this port',
  raw: 'node:net has no setsockopt pass-through',
  priority: 'node:net cannot set SO_PRIORITY',
  tos: 'node:net cannot set IP-level options such as IP_TOS',
  tclass: 'node:net cannot set IP-level options such as IPV6_TCLASS',
  ttl: 'node:net cannot set IP-level options such as IP_TTL',
  recvtos: 'node:net cannot receive ancillary data',
  recvtclass: 'node:net cannot receive ancillary data',
  recvttl: 'node:net cannot receive ancillary data',
  bind_to_device: 'node:net cannot bind a socket to a device',
  netns: 'node:net cannot open a socket in another network namespace',
  nopush: 'node:net cannot set TCP_CORK',
  dontroute: 'node:net cannot set SO_DONTROUTE',
};

const CALL_NAME: Readonly<Record<OptionsCall, string>> = {
  connect: 'gen_tcp:connect',
  listen: 'gen_tcp:listen',
  setopts: 'inet:setopts',
};

const CALLS_TEXT: Readonly<Record<string, string>> = {
  cs: 'connect and setopts only (OTP 25 listen refuses it)',
  l: 'listen only',
  cl: 'connect and listen only',
};

function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function has(table: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(table, key);
}

/** The internal entry name of the inet/inet6 atoms and the object form's `family` key. */
const FAMILY = '$family';

const CAMEL_TO_NAME = new Map<string, string>(
  [...Object.keys(SPECS), ...Object.keys(UNSUPPORTED)].map((name) => [camel(name), name]),
);

/** Renders a bad value for a message, whatever it is (never throws: not for a null-prototype object, a BigInt or a cycle). */
export function show(value: unknown): string {
  try {
    return inspect(value, { depth: 3, breakLength: Infinity, maxArrayLength: 10, maxStringLength: 60 });
  } catch {
    return '<unprintable value>';
  }
}

// ---------------------------------------------------------------------------
// Addresses

type ParsedAddress = IpAddress | 'any' | 'loopback';

function checkAddress(v: unknown): Checked {
  if (v === 'any' || v === 'loopback') return v;
  if (typeof v === 'string') return parseIpText(v) ?? BAD;
  if (Array.isArray(v)) {
    if (v.length === 4 && v.every((b) => isInt(b) && b >= 0 && b <= 255)) return Object.freeze([...v]);
    if (v.length === 8 && v.every((w) => isInt(w) && w >= 0 && w <= 0xffff)) return Object.freeze([...v]);
  }
  return BAD;
}

/** '127.0.0.1' → [127, 0, 0, 1]; '::ffff:1.2.3.4' → 8 words; anything else → undefined. */
function parseIpText(text: string): IpAddress | undefined {
  if (isIPv4(text)) return Object.freeze(text.split('.').map(Number)) as unknown as Ip4Address;
  if (!isIPv6(text) || text.includes('%')) return undefined;
  let rest = text;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    const [a = 0, b = 0, c = 0, d = 0] = text.slice(lastColon + 1).split('.').map(Number);
    tail.push((a << 8) | b, (c << 8) | d);
    rest = text.slice(0, lastColon + 1);
    if (!rest.endsWith('::')) rest = rest.slice(0, -1);
  }
  const words = (s: string): number[] => (s === '' ? [] : s.split(':').map((w) => parseInt(w, 16)));
  const [head = '', after = ''] = rest.split('::');
  const h = words(head);
  const t = rest.includes('::') ? words(after) : [];
  const zeros = new Array<number>(8 - h.length - t.length - tail.length).fill(0);
  return Object.freeze([...h, ...zeros, ...t, ...tail]) as unknown as Ip6Address;
}

/** [127, 0, 0, 1] → '127.0.0.1'; 8 words → full IPv6 text, for node:net. */
export function ipToString(ip: IpAddress): string {
  return ip.length === 4 ? ip.join('.') : ip.map((w) => w.toString(16)).join(':');
}

// ---------------------------------------------------------------------------
// Reading the input

interface Entry {
  /** The option's Erlang name, or FAMILY for inet/inet6. */
  readonly name: string;
  readonly value: unknown;
  /** The option as the caller wrote it, for messages. */
  readonly label: string;
  readonly written: unknown;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function entriesOf(call: OptionsCall, options: unknown): Entry[] {
  const fn = CALL_NAME[call];
  if (Array.isArray(options)) return options.map((element: unknown) => listEntry(fn, element));
  if (isPlainObject(options)) {
    if (Object.getOwnPropertySymbols(options).length > 0) badarg(fn, `option keys must be strings, got ${show(options)}`);
    return Object.keys(options).map((key) => objectEntry(fn, key, options[key]));
  }
  return badarg(fn, `options must be a list (array) or an object, got ${show(options)}`);
}

function listEntry(fn: string, element: unknown): Entry {
  if (typeof element === 'string') {
    if (element === 'binary' || element === 'list') return { name: 'mode', value: element, label: element, written: element };
    if (element === 'inet' || element === 'inet6') return { name: FAMILY, value: element, label: element, written: element };
    if (has(SPECS, element)) badarg(fn, `option ${element} needs a value: write ['${element}', Value]`);
    return unknownOption(fn, element, element);
  }
  if (Array.isArray(element) && typeof element[0] === 'string') {
    const name = element[0];
    if (element.length === 2) return { name, value: element[1], label: name, written: element };
    if (name === 'raw' && element.length === 4) unsupported(fn, name, name, element);
  }
  return badarg(fn, `not an option: ${show(element)} (an option is an atom or a 2-tuple [name, value])`);
}

const OBJECT_HINTS: Readonly<Record<string, string>> = {
  binary: "mode: 'binary'",
  list: "mode: 'list'",
  inet: "family: 'inet'",
  inet6: "family: 'inet6'",
};

function objectEntry(fn: string, key: string, value: unknown): Entry {
  const written = { [key]: value };
  if (key === 'family') return { name: FAMILY, value, label: key, written };
  const name = CAMEL_TO_NAME.get(key);
  if (name !== undefined) return { name, value, label: key, written };
  if (has(SPECS, key) || has(UNSUPPORTED, key)) {
    return badarg(fn, `unknown option ${key} (the object form spells it ${camel(key)}): ${show(written)}`);
  }
  const hint = has(OBJECT_HINTS, key) ? ` (the object form writes ${OBJECT_HINTS[key] ?? ''})` : '';
  return badarg(fn, `unknown option ${key}${hint}: ${show(written)}`);
}

function unknownOption(fn: string, label: string, written: unknown): never {
  if (has(UNSUPPORTED, label)) unsupported(fn, label, label, written);
  const snake = CAMEL_TO_NAME.get(label);
  const hint = snake !== undefined && snake !== label ? ` (the list form spells it ${snake})` : '';
  return badarg(fn, `unknown option ${label}${hint}: ${show(written)}`);
}

function unsupported(fn: string, label: string, name: string, written: unknown): never {
  return badarg(fn, `option ${label} is not supported: ${UNSUPPORTED[name] ?? ''}: ${show(written)}`);
}

/** Checks one entry for `call`: known, supported, valid for the call, good value. */
function checkEntry(call: OptionsCall, entry: Entry): unknown {
  const fn = CALL_NAME[call];
  const { name, label, written } = entry;
  if (name === FAMILY) {
    if (call === 'setopts') badarg(fn, `option ${label} is valid for ${CALLS_TEXT['cl'] ?? ''}: ${show(written)}`);
    if (entry.value === 'local') unsupported(fn, label, 'local', written);
    if (entry.value !== 'inet' && entry.value !== 'inet6') {
      badarg(fn, `bad value for option ${label}: ${show(entry.value)} (expected inet or inet6)`);
    }
    return entry.value;
  }
  if (has(UNSUPPORTED, name)) unsupported(fn, label, name, written);
  if (!has(SPECS, name)) return unknownOption(fn, label, written);
  const spec = SPECS[name as keyof OptionValues];
  if (!spec.calls.includes(call.charAt(0))) {
    badarg(fn, `option ${label} is valid for ${CALLS_TEXT[spec.calls] ?? spec.calls}: ${show(written)}`);
  }
  const value = spec.check(entry.value);
  if (value !== BAD) return value;
  if (name === 'ip' || name === 'ifaddr') {
    if (isPlainObject(entry.value)) {
      badarg(fn, `option ${label}: sockaddr maps are not supported, use the ip and port options: ${show(written)}`);
    }
    if (Array.isArray(entry.value) && entry.value[0] === 'local') unsupported(fn, label, 'local', written);
  }
  return badarg(fn, `bad value for option ${label}: ${show(entry.value)} (expected ${spec.expects})`);
}

// ---------------------------------------------------------------------------
// Parsing

/**
 * Parses the options of `gen_tcp:connect/3,4`, `gen_tcp:listen/2` or
 * `inet:setopts/2` (OTP: `inet:connect_options/2`, `inet:listen_options/2`,
 * `prim_inet:setopts/2`).
 *
 * connect/listen return the socket's record: `base` (default
 * `DEFAULT_OPTIONS`; an application's default options in OTP's
 * `inet_default_*_options` role) with the call's options applied over it. As
 * in OTP the last of duplicate options wins (`[binary, list]` is list), the
 * family is the first `inet`/`inet6` atom, else set by the last `ip`/`ifaddr`
 * (an 8-tuple means inet6), else the base's, else inet for listen and "the
 * connected address decides" (null) for connect; `any`/`loopback` are
 * translated for that family, and an address of the other family is badarg.
 * `active` in `base` is ignored: OTP always starts a socket active. For
 * listen, pass the port argument as the first option
 * (`[['port', port], ...options]`): OTP's `inet_tcp:listen/2` does the same,
 * so a `{port, P}` option overrides it. `ipv6_v6only` on an inet listen
 * socket is not refused here: OTP's listen answers `{error, einval}` for it,
 * and so should the listen layer.
 *
 * setopts returns the changes, normalised, in the order OTP applies them: the
 * driver works through the list from its last element to its first, so for
 * duplicates the first one written is applied last and wins, and two
 * `{active, N}` add up. Apply them with `applyOptionChanges`; `base` is not
 * used.
 *
 * Throws `badarg` naming the call, the option and the value for: options not
 * a list or plain object, an element that is not an atom or 2-tuple, an
 * unknown option, an option the call does not take (OTP 25: `backlog` and
 * `ipv6_v6only` only in listen, `line_delimiter` not in listen, `ip`,
 * `ifaddr`, `port`, `inet`, `inet6` not in setopts), an OTP option Node cannot
 * honour (see `UNSUPPORTED`), a value of the wrong type or out of range.
 */
export function parseOptions(call: 'connect' | 'listen', options: OptionInput, base?: SocketOptions): SocketOptions;
export function parseOptions(call: 'setopts', options: OptionInput, base?: SocketOptions): readonly OptionChange[];
export function parseOptions(call: OptionsCall, options: OptionInput, base?: SocketOptions): SocketOptions | readonly OptionChange[];
export function parseOptions(
  call: OptionsCall,
  options: OptionInput,
  base: SocketOptions = DEFAULT_OPTIONS,
): SocketOptions | readonly OptionChange[] {
  if (call !== 'connect' && call !== 'listen' && call !== 'setopts') {
    badarg('parseOptions', `call must be connect, listen or setopts, got ${show(call)}`);
  }
  const entries = entriesOf(call, options);
  const checked = entries.map((entry) => [entry, checkEntry(call, entry)] as const);
  if (call === 'setopts') {
    return Object.freeze(checked.map(([entry, value]) => toChange(entry.name, value)).reverse());
  }
  return openOptions(call, base, checked);
}

function toChange(name: string, value: unknown): OptionChange {
  return Object.freeze([camel(name), value]) as unknown as OptionChange;
}

function openOptions(call: 'connect' | 'listen', base: SocketOptions, checked: readonly (readonly [Entry, unknown])[]): SocketOptions {
  const fn = CALL_NAME[call];
  // inet:connect_options/2: each option replaces an earlier one of the same
  // name and moves to the end; the driver then applies the list last first.
  const driverOptions = new Map<string, unknown>();
  let family: Family | null = null;
  let address: ParsedAddress | null = base.ip;
  let addressEntry: Entry | undefined;
  let port = base.port;
  let backlog = base.backlog;
  let ipv6V6only = base.ipv6V6only;
  for (const [entry, value] of checked) {
    switch (entry.name) {
      case FAMILY:
        family ??= value as Family; // inet:tcp_module/2: the first family wins
        break;
      case 'ip':
      case 'ifaddr':
        address = value as ParsedAddress;
        addressEntry = entry;
        break;
      case 'port':
        port = value as number;
        break;
      case 'backlog':
        backlog = value as number;
        break;
      case 'ipv6_v6only':
        ipv6V6only = value as boolean;
        break;
      default: {
        const key = camel(entry.name);
        driverOptions.delete(key);
        driverOptions.set(key, value);
      }
    }
  }
  const changes = [...driverOptions].map(([key, value]) => Object.freeze([key, value]) as unknown as OptionChange).reverse();
  // A new socket starts active with a count of 0, whatever the base says.
  const start: SocketOptions = { ...base, active: true, passiveOnOpen: false };
  const applied = applyOptionChanges(start, changes);
  // inet:tcp_module/2: no family atom, so the last ip/ifaddr decides; the
  // base only fills in what the call left open.
  const byAddress = (a: ParsedAddress): Family => (Array.isArray(a) && a.length === 8 ? 'inet6' : 'inet');
  if (family === null && addressEntry !== undefined && address !== null) family = byAddress(address);
  family ??= base.family ?? (address !== null ? byAddress(address) : call === 'listen' ? 'inet' : null);
  let ip: IpAddress | null = null;
  if (address === 'any') ip = family === 'inet6' ? [0, 0, 0, 0, 0, 0, 0, 0] : [0, 0, 0, 0];
  else if (address === 'loopback') ip = family === 'inet6' ? [0, 0, 0, 0, 0, 0, 0, 1] : [127, 0, 0, 1];
  else ip = address;
  if (ip !== null && (ip.length === 8) !== (family === 'inet6')) {
    const label = addressEntry?.label ?? 'ip';
    badarg(fn, `option ${label}: ${show(ip)} is an IPv${ip.length === 4 ? 4 : 6} address but the family is ${family ?? 'inet'}`);
  }
  return Object.freeze({
    ...applied.options,
    family,
    ip: ip === null ? null : Object.freeze([...ip]) as unknown as IpAddress,
    port,
    backlog,
    ipv6V6only,
    passiveOnOpen: applied.passiveMessages > 0,
  });
}

// ---------------------------------------------------------------------------
// Applying changes

/** Where `nextActive` leaves a socket. */
export interface ActiveStep {
  readonly active: ActiveMode;
  /** True when the count reached 0: send `{tcp_passive, S}` to the owner. */
  readonly passive: boolean;
}

/**
 * The socket's active mode after `inet:setopts(S, [{active, Requested}])`,
 * OTP 25's driver rules (inet_drv `INET_LOPT_ACTIVE`), all checked with erl:
 * - `true`, `false`, `once` replace the mode and reset the count;
 * - an integer N is added to the count (0 unless the socket is counting, so
 *   `true` then `{active, 5}` gives 5); a result above 32767 is `'einval'`
 *   and changes nothing (32767 then +1); a negative result counts as 0
 *   (3 then -5 gives 0);
 * - a count of 0 makes the socket passive and asks for `{tcp_passive, S}`,
 *   even if it was passive already (`{active, 0}` on a passive socket).
 * Throws badarg if `requested` is not an `ActiveOption`.
 */
export function nextActive(current: ActiveMode, requested: ActiveOption): ActiveStep | 'einval' {
  if (requested === true || requested === false || requested === 'once') return { active: requested, passive: false };
  if (!isInt(requested) || requested < -32768 || requested > 32767) {
    return badarg('nextActive', `bad value for option active: ${show(requested)} (expected ${SPECS.active.expects})`);
  }
  const count = (typeof current === 'number' ? current : 0) + requested;
  if (count > 32767) return 'einval';
  return count <= 0 ? { active: false, passive: true } : { active: count, passive: false };
}

/** The outcome of `applyOptionChanges`. */
export interface ApplyResult {
  /** The record after the changes that were applied. */
  readonly options: SocketOptions;
  /** How many `{tcp_passive, S}` messages to send, in order (one per count that reached 0). */
  readonly passiveMessages: number;
  /** `'einval'` when an `{active, N}` overflowed; changes after it were not applied. */
  readonly result: 'ok' | 'einval';
}

/**
 * Applies setopts changes (from `parseOptions('setopts', …)`, already in
 * application order) to a socket's record, the way OTP 25's driver does
 * (`inet_set_opts`), checked with erl:
 * - `active` follows `nextActive`; an overflow stops there with `'einval'`
 *   and keeps the changes applied before it, as OTP does;
 * - setting `high_watermark` below the low one lowers the low one, setting
 *   `low_watermark` above the high one raises the high one (same for the
 *   msgq pair);
 * - `recbuf` raises `buffer` to at least its value, unless `buffer` was ever
 *   set explicitly on this socket;
 * - everything else is stored as given.
 */
export function applyOptionChanges(current: SocketOptions, changes: readonly OptionChange[]): ApplyResult {
  const next: Draft = { ...current };
  let passiveMessages = 0;
  for (const change of changes) {
    if (change[0] === 'active') {
      const step = nextActive(next.active, change[1]);
      if (step === 'einval') return { options: Object.freeze(next), passiveMessages, result: 'einval' };
      next.active = step.active;
      if (step.passive) passiveMessages += 1;
    } else {
      applyChange(next, change);
    }
  }
  return { options: Object.freeze(next), passiveMessages, result: 'ok' };
}

type Draft = { -readonly [K in keyof SocketOptions]: SocketOptions[K] };

function applyChange(next: Draft, change: Exclude<OptionChange, readonly ['active', unknown]>): void {
  switch (change[0]) {
    case 'buffer':
      next.buffer = change[1];
      next.bufferFixed = true;
      return;
    case 'recbuf':
      next.recbuf = change[1];
      if (!next.bufferFixed && change[1] > next.buffer) next.buffer = change[1];
      return;
    case 'highWatermark':
      next.highWatermark = change[1];
      next.lowWatermark = Math.min(next.lowWatermark, change[1]);
      return;
    case 'lowWatermark':
      next.lowWatermark = change[1];
      next.highWatermark = Math.max(next.highWatermark, change[1]);
      return;
    case 'highMsgqWatermark':
      next.highMsgqWatermark = change[1];
      next.lowMsgqWatermark = Math.min(next.lowMsgqWatermark, change[1]);
      return;
    case 'lowMsgqWatermark':
      next.lowMsgqWatermark = change[1];
      next.highMsgqWatermark = Math.max(next.highMsgqWatermark, change[1]);
      return;
    default:
      (next as Record<string, unknown>)[change[0]] = change[1];
  }
}

// ---------------------------------------------------------------------------
// Accept and getopts

/**
 * The options an accepted socket starts with, from its listen socket
 * (`gen_tcp:accept/1,2`; inet_drv `tcp_inet_copy` plus
 * `prim_inet:accept_opts`). Checked with erl: every option is inherited,
 * `active` with its current count, except `line_delimiter` (back to $\n) and
 * `debug` (back to false); `recbuf`, `sndbuf`, `reuseaddr` and
 * `ipv6_v6only` come through the kernel on Linux. A `buffer` set on the listen
 * socket is copied but does not stop `recbuf` from raising it on the accepted
 * one. `ip`, `port` and `backlog` describe the listen socket only and are
 * reset.
 */
export function inheritedOnAccept(listen: SocketOptions): SocketOptions {
  return Object.freeze({
    ...listen,
    lineDelimiter: DEFAULT_OPTIONS.lineDelimiter,
    debug: DEFAULT_OPTIONS.debug,
    bufferFixed: false,
    passiveOnOpen: false,
    ip: null,
    port: 0,
    backlog: DEFAULT_OPTIONS.backlog,
  });
}

/** What `inet:getopts/2` reports for each option it can read. */
export interface GetoptsValues {
  active: ActiveMode;
  buffer: number;
  debug: boolean;
  delay_send: boolean;
  deliver: Deliver;
  exit_on_close: boolean;
  header: number;
  high_msgq_watermark: number;
  high_watermark: number;
  ipv6_v6only: boolean;
  keepalive: boolean;
  linger: Linger;
  low_msgq_watermark: number;
  low_watermark: number;
  mode: Mode;
  nodelay: boolean;
  packet: PacketType;
  packet_size: number;
  recbuf: number;
  reuseaddr: boolean;
  send_timeout: SendTimeout;
  send_timeout_close: boolean;
  show_econnreset: boolean;
  sndbuf: number;
}

/** A name `inet:getopts/2` can read. */
export type GettableName = keyof GetoptsValues;

/** One `{Name, Value}` pair of an `inet:getopts/2` answer. */
export type GetoptsEntry<K extends GettableName = GettableName> = { [N in K]: readonly [N, GetoptsValues[N]] }[K];

/** What OTP 25 on Linux reads for SO_RCVBUF / SO_SNDBUF on a fresh socket. */
const OS_RECBUF = 131072;
const OS_SNDBUF = 16384;

const NOT_GETTABLE: Readonly<Record<string, string>> = {
  line_delimiter: 'OTP 25 cannot read line_delimiter back (inet:getopts returns einval)',
  backlog: 'backlog is not a socket option inet:getopts can read',
  ip: 'the bound address is read with inet:sockname/1, not inet:getopts',
  ifaddr: 'the bound address is read with inet:sockname/1, not inet:getopts',
  port: 'the port is read with inet:port/1, not inet:getopts',
  binary: 'the mode is read as mode',
  list: 'the mode is read as mode',
};

/**
 * The `{Name, Value}` pair `inet:getopts(S, [Name])` reports for a socket with
 * these options, shaped as OTP 25 shapes it (checked with erl): `packet` raw
 * reads `0`, `active` reads its count while counting and `false` once it
 * reached 0, `linger` `[false, 0]` when off, `recbuf`/`sndbuf` never set read
 * OTP's Linux defaults (131072 / 16384; Node cannot read the real ones).
 * Returns null when OTP leaves the option out of the answer: `ipv6_v6only`
 * on a socket that is not inet6.
 * Throws badarg for a name getopts cannot read (OTP: `{error, einval}` for
 * the whole call), among them `line_delimiter`, which OTP 25 cannot read back.
 */
export function getoptsValue<K extends GettableName>(options: SocketOptions, name: K): GetoptsEntry<K> | null;
export function getoptsValue(options: SocketOptions, name: string): GetoptsEntry | null;
export function getoptsValue(options: SocketOptions, name: string): GetoptsEntry | null {
  const fn = 'inet:getopts';
  let value: unknown;
  switch (name) {
    case 'ipv6_v6only':
      if (options.family !== 'inet6') return null;
      value = options.ipv6V6only ?? false;
      break;
    case 'recbuf':
      value = options.recbuf ?? OS_RECBUF;
      break;
    case 'sndbuf':
      value = options.sndbuf ?? OS_SNDBUF;
      break;
    case 'active': case 'buffer': case 'debug': case 'delay_send': case 'deliver': case 'exit_on_close':
    case 'header': case 'high_msgq_watermark': case 'high_watermark': case 'keepalive': case 'linger':
    case 'low_msgq_watermark': case 'low_watermark': case 'mode': case 'nodelay': case 'packet':
    case 'packet_size': case 'reuseaddr': case 'send_timeout': case 'send_timeout_close': case 'show_econnreset':
      value = (options as unknown as Record<string, unknown>)[camel(name)];
      break;
    default: {
      if (typeof name !== 'string') return badarg(fn, `option names are atoms (strings), got ${show(name)}`);
      const why = has(NOT_GETTABLE, name)
        ? NOT_GETTABLE[name]
        : has(UNSUPPORTED, name)
          ? `option ${name} is not supported: ${UNSUPPORTED[name] ?? ''}`
          : undefined;
      if (why !== undefined) return badarg(fn, `cannot read ${name}: ${why}`);
      const snake = CAMEL_TO_NAME.get(name);
      const hint = snake !== undefined && snake !== name ? ` (getopts takes the Erlang name, ${snake})` : '';
      return badarg(fn, `unknown option ${show(name)}${hint}`);
    }
  }
  return Object.freeze([name, value]) as unknown as GetoptsEntry;
}
