/**
 * options.ts: list and object options → one record, per-call validity,
 * setopts changes, the active counter, accept inheritance, getopts shapes.
 *
 * Expected values marked "erl" were observed on a real OTP 25 (erts 13.1.5,
 * Linux, inet backend) with throw-away escripts that ran every option through
 * gen_tcp:listen/2, gen_tcp:connect/4 and inet:setopts/2 and read the result
 * back with inet:getopts/2. Values marked "deviation" are where this port
 * refuses what OTP silently wraps or passes to the kernel as garbage.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { BeamlineError } from '@beamline/runtime';
import {
  DEFAULT_OPTIONS,
  applyOptionChanges,
  getoptsValue,
  inheritedOnAccept,
  ipToString,
  nextActive,
  parseOptions,
  type ActiveMode,
  type ActiveOption,
  type OptionInput,
  type OptionsCall,
  type SocketOptions,
} from '../src/options.ts';

// ---------------------------------------------------------------------------
// Helpers

const CALL_NAME: Record<OptionsCall, string> = {
  connect: 'gen_tcp:connect',
  listen: 'gen_tcp:listen',
  setopts: 'inet:setopts',
};

function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Runs `f`, expects a thrown BeamlineError with code badarg, returns its message. */
function badargOf(f: () => unknown): string {
  let result: unknown;
  try {
    result = f();
  } catch (error) {
    expect(error).toBeInstanceOf(BeamlineError);
    expect((error as BeamlineError).code).toBe('badarg');
    return (error as BeamlineError).message;
  }
  throw new Error(`expected badarg, got ${JSON.stringify(result)}`);
}

/** The record connect/listen make from one option, or the setopts result on defaults. */
function recordWith(call: OptionsCall, options: OptionInput): SocketOptions {
  if (call === 'setopts') return applyOptionChanges(DEFAULT_OPTIONS, parseOptions('setopts', options)).options;
  return parseOptions(call, options);
}

const asList = (name: string, value: unknown): OptionInput => [[name, value]] as unknown as OptionInput;
const asObject = (name: string, value: unknown): OptionInput => ({ [camel(name)]: value }) as unknown as OptionInput;

/** Reads an option the way inet:getopts would, for comparing with erl output. */
function got(record: SocketOptions, name: string): unknown {
  return getoptsValue(record, name)?.[1];
}

// ---------------------------------------------------------------------------

describe('defaults', () => {
  // erl: inet:getopts on a fresh listen, connected and accepted socket.
  const OTP_DEFAULTS: Record<string, unknown> = {
    active: true,
    buffer: 1460,
    delay_send: false,
    deliver: 'term',
    exit_on_close: true,
    header: 0,
    high_msgq_watermark: 8192,
    high_watermark: 8192,
    keepalive: false,
    linger: [false, 0],
    low_msgq_watermark: 4096,
    low_watermark: 4096,
    mode: 'list',
    nodelay: false,
    packet: 0,
    packet_size: 0,
    recbuf: 131072,
    reuseaddr: false,
    send_timeout: 'infinity',
    send_timeout_close: false,
    show_econnreset: false,
    sndbuf: 16384,
    debug: false,
  };

  it.each(Object.entries(OTP_DEFAULTS))('getopts %s reads the OTP 25 default (erl)', (name, value) => {
    expect(getoptsValue(DEFAULT_OPTIONS, name)).toEqual([name, value]);
    expect(getoptsValue(parseOptions('listen', []), name)).toEqual([name, value]);
    expect(getoptsValue(parseOptions('connect', {}), name)).toEqual([name, value]);
  });

  it('the defaults record is frozen and has the documented non-option fields', () => {
    expect(Object.isFrozen(DEFAULT_OPTIONS)).toBe(true);
    expect(DEFAULT_OPTIONS).toMatchObject({
      lineDelimiter: 10,
      backlog: 5,
      family: null,
      ip: null,
      port: 0,
      recbuf: null,
      sndbuf: null,
      ipv6V6only: null,
      bufferFixed: false,
      passiveOnOpen: false,
    });
  });

  it('listen with no options is an inet socket on any address, connect leaves the family to the address', () => {
    expect(parseOptions('listen', [])).toEqual({ ...DEFAULT_OPTIONS, family: 'inet' });
    expect(parseOptions('connect', [])).toEqual(DEFAULT_OPTIONS);
  });

  it('setopts with no options changes nothing (erl: setopts(S, []) -> ok)', () => {
    expect(parseOptions('setopts', [])).toEqual([]);
    expect(parseOptions('setopts', {})).toEqual([]);
  });
});

// ---------------------------------------------------------------------------

describe('every option: good values in list and object form', () => {
  // [option, value written, value getopts reads back]; erl unless marked.
  const GOOD: readonly (readonly [string, unknown, unknown])[] = [
    ['mode', 'binary', 'binary'],
    ['mode', 'list', 'list'],
    ['active', true, true],
    ['active', false, false],
    ['active', 'once', 'once'],
    ['active', 5, 5],
    ['active', 32767, 32767],
    ['active', 0, false],
    ['active', -5, false],
    ['active', -32768, false],
    ['packet', 'raw', 0],
    ['packet', 0, 0],
    ['packet', 1, 1],
    ['packet', 2, 2],
    ['packet', 4, 4],
    ...(['line', 'asn1', 'cdr', 'sunrm', 'fcgi', 'tpkt', 'http', 'http_bin', 'httph', 'httph_bin'] as const).map(
      (t) => ['packet', t, t] as const,
    ),
    ['packet_size', 0, 0],
    ['packet_size', 100, 100],
    ['packet_size', 2147483648, 2147483648],
    ['packet_size', 4294967295, 4294967295], // erl reads 2^32-1 back unchanged (2^32 wraps to 0)
    ['header', 0, 0],
    ['header', 3, 3],
    ['header', 2147483647, 2147483647],
    ['buffer', 100, 100],
    ['buffer', 2147483647, 2147483647],
    ['buffer', 1, 1],
    ['buffer', 0, 1], // erl: below 1 means 1
    ['buffer', -5, 1],
    ['recbuf', 200000, 200000], // erl reads the kernel's doubled 400000; Node cannot set it, we report what was asked
    ['recbuf', 0, 0],
    ['sndbuf', 100, 100],
    ['nodelay', true, true],
    ['nodelay', false, false],
    ['keepalive', true, true],
    ['reuseaddr', true, true],
    ['exit_on_close', false, false],
    ['delay_send', true, true],
    ['show_econnreset', true, true],
    ['send_timeout_close', true, true],
    ['debug', true, true],
    ['send_timeout', 'infinity', 'infinity'],
    ['send_timeout', 0, 0],
    ['send_timeout', 1000, 1000],
    ['send_timeout', 2147483647, 2147483647],
    ['linger', [false, 0], [false, 0]],
    ['linger', [true, 0], [true, 0]],
    ['linger', [true, 10], [true, 10]],
    ['linger', [false, 5], [false, 0]], // erl: {false, 5} reads back {false, 0}
    ['linger', [true, 2147483647], [true, 2147483647]],
    ['deliver', 'port', 'port'],
    ['deliver', 'term', 'term'],
    ['high_watermark', 100, 100],
    ['high_watermark', 0, 0],
    ['high_watermark', -5, 0], // erl: negative means 0
    ['high_watermark', 2147483647, 2147483647],
    ['low_watermark', 100, 100],
    ['low_watermark', 0, 0],
    ['low_watermark', -5, 0],
    ['high_msgq_watermark', 1, 1],
    ['low_msgq_watermark', 1, 1],
  ];

  for (const call of ['connect', 'listen', 'setopts'] as const) {
    it.each(GOOD)(`${call}: %s %j reads back %j (erl)`, (name, value, expected) => {
      expect(got(recordWith(call, asList(name, value)), name)).toEqual(expected);
      expect(got(recordWith(call, asObject(name, value)), name)).toEqual(expected);
    });
  }

  it.each([
    ['binary', 'binary'],
    ['list', 'list'],
  ])('the atom %s sets the mode in every call (erl)', (atom, mode) => {
    for (const call of ['connect', 'listen', 'setopts'] as const) {
      expect(recordWith(call, [atom] as OptionInput).mode).toBe(mode);
    }
  });

  it('line_delimiter: connect and setopts take a byte (erl; OTP 25 getopts cannot read it)', () => {
    for (const value of [0, 59, 255]) {
      expect(parseOptions('connect', [['line_delimiter', value]]).lineDelimiter).toBe(value);
      expect(parseOptions('connect', { lineDelimiter: value }).lineDelimiter).toBe(value);
      expect(parseOptions('setopts', [['line_delimiter', value]])).toEqual([['lineDelimiter', value]]);
    }
  });

  it('backlog and ipv6_v6only: listen takes them (erl: backlog -1 is accepted)', () => {
    for (const value of [5, 0, -1, 1000]) {
      expect(parseOptions('listen', [['backlog', value]]).backlog).toBe(value);
      expect(parseOptions('listen', { backlog: value }).backlog).toBe(value);
    }
    expect(parseOptions('listen', ['inet6', ['ipv6_v6only', true]]).ipv6V6only).toBe(true);
    expect(parseOptions('listen', { family: 'inet6', ipv6V6only: false }).ipv6V6only).toBe(false);
  });

  it('port: connect and listen take 0..65535 (erl)', () => {
    for (const call of ['connect', 'listen'] as const) {
      expect(parseOptions(call, [['port', 0]]).port).toBe(0);
      expect(parseOptions(call, [['port', 65535]]).port).toBe(65535);
      expect(parseOptions(call, { port: 8080 }).port).toBe(8080);
    }
  });

  it('the object form and the list form give the same record', () => {
    const list = parseOptions('listen', [
      'binary',
      ['packet', 4],
      ['active', 'once'],
      ['packet_size', 1000],
      ['exit_on_close', false],
      ['send_timeout', 500],
      ['linger', [true, 1]],
      ['ip', [127, 0, 0, 1]],
      ['backlog', 100],
      ['reuseaddr', true],
    ]);
    const object = parseOptions('listen', {
      mode: 'binary',
      packet: 4,
      active: 'once',
      packetSize: 1000,
      exitOnClose: false,
      sendTimeout: 500,
      linger: [true, 1],
      ip: [127, 0, 0, 1],
      backlog: 100,
      reuseaddr: true,
    });
    expect(object).toEqual(list);
    expect(list).toMatchObject({ mode: 'binary', packet: 4, active: 'once', family: 'inet', ip: [127, 0, 0, 1] });
  });

  it('records are frozen; the input arrays are copied, not kept', () => {
    const ip = [127, 0, 0, 1];
    const linger = [true, 3] as const;
    const record = parseOptions('connect', [['ip', ip], ['linger', linger]]);
    ip[0] = 10;
    expect(record.ip).toEqual([127, 0, 0, 1]);
    expect(Object.isFrozen(record)).toBe(true);
    expect(Object.isFrozen(record.ip)).toBe(true);
    expect(Object.isFrozen(record.linger)).toBe(true);
  });
});

// ---------------------------------------------------------------------------

describe('every option: bad values are badarg naming the call, the option and the value', () => {
  // [option, bad value, calls to try]; erl refused each (badarg from
  // connect/listen, einval from setopts) unless marked deviation.
  const BAD: readonly (readonly [string, unknown, string])[] = [
    ['mode', 'foo', 'cls'],
    ['active', 32768, 'cls'],
    ['active', -32769, 'cls'],
    ['active', 'foo', 'cls'],
    ['active', 1.5, 'cls'],
    ['packet', 3, 'cls'],
    ['packet', 8, 'cls'],
    ['packet', -1, 'cls'],
    ['packet', 'foo', 'cls'],
    ['packet', 'ssl', 'cls'], // deviation: OTP has undocumented ssl/ssl_tls packet types
    ['packet_size', -1, 'cls'],
    ['packet_size', 'foo', 'cls'],
    ['packet_size', 4294967296, 'cls'], // deviation: OTP wraps to 0
    ['header', -1, 'cls'],
    ['header', 'foo', 'cls'],
    ['header', 2147483648, 'cls'], // deviation: OTP wraps
    ['line_delimiter', 256, 'cs'], // erl: connect refuses; deviation for setopts (OTP keeps the low byte)
    ['line_delimiter', -1, 'cs'],
    ['line_delimiter', 'foo', 'cs'],
    ['buffer', 'foo', 'cls'],
    ['buffer', 2147483648, 'cls'], // deviation: OTP wraps to 1
    ['recbuf', 'foo', 'cls'],
    ['recbuf', -1, 'cls'], // deviation: OTP passes it to the kernel as a huge size
    ['sndbuf', 'foo', 'cls'],
    ['reuseaddr', 1, 'cls'],
    ['nodelay', 'foo', 'cls'],
    ['keepalive', 0, 'cls'],
    ['exit_on_close', 'foo', 'cls'],
    ['delay_send', 'foo', 'cls'],
    ['show_econnreset', 'foo', 'cls'],
    ['send_timeout_close', 'foo', 'cls'],
    ['debug', 'foo', 'cls'],
    ['send_timeout', -1, 'cls'],
    ['send_timeout', 'foo', 'cls'],
    ['send_timeout', 1.5, 'cls'],
    ['send_timeout', 2147483648, 'cls'], // deviation: OTP reads back -2147483648
    ['linger', ['foo', 1], 'cls'],
    ['linger', true, 'cls'],
    ['linger', [true], 'cls'],
    ['linger', [true, -1], 'cls'], // deviation: OTP stores garbage
    ['deliver', 'foo', 'cls'],
    ['high_watermark', 'foo', 'cls'],
    ['high_watermark', 2147483648, 'cls'], // deviation: OTP wraps to 0
    ['low_watermark', 'foo', 'cls'],
    ['high_msgq_watermark', 0, 'cls'],
    ['low_msgq_watermark', 0, 'cls'],
    ['ipv6_v6only', 1, 'l'],
    ['backlog', 'foo', 'l'], // erl: function_clause; badarg here
    ['port', 65536, 'cl'],
    ['port', -1, 'cl'],
    ['port', 'foo', 'cl'],
    ['ip', [127, 0, 0, 256], 'cl'],
    ['ip', [127, 0, 0], 'cl'],
    ['ip', [0, 0, 0, 0, 0, 0, 0, 65536], 'cl'],
    ['ip', [-1, 0, 0, 0], 'cl'],
    ['ip', 'foo', 'cl'],
    ['ip', '127.0.0.256', 'cl'],
    ['ip', 'fe80::1%eth0', 'cl'],
    ['ifaddr', 'foo', 'cl'],
  ];

  for (const [name, value, calls] of BAD) {
    for (const call of ['connect', 'listen', 'setopts'] as const) {
      if (!calls.includes(call[0] as string)) continue;
      it(`${call}: ${name} ${JSON.stringify(value)}`, () => {
        const fromList = badargOf(() => parseOptions(call, asList(name, value)));
        expect(fromList).toContain(CALL_NAME[call]);
        expect(fromList).toContain(`bad value for option ${name}`);
        expect(fromList).toContain(`: ${inspect(value)} (expected `);
        const fromObject = badargOf(() => parseOptions(call, asObject(name, value)));
        expect(fromObject).toContain(`bad value for option ${camel(name)}`);
      });
    }
  }

  it('the message is a full sentence a reader can act on', () => {
    expect(badargOf(() => parseOptions('connect', [['packet', 3 as 2]]))).toBe(
      'badarg: gen_tcp:connect: bad value for option packet: 3 (expected raw, 0, 1, 2, 4, line, asn1, cdr, sunrm, fcgi, tpkt, http, http_bin, httph, httph_bin)',
    );
    expect(badargOf(() => parseOptions('setopts', { active: 40000 }))).toBe(
      "badarg: inet:setopts: bad value for option active: 40000 (expected true, false, 'once' or an integer from -32768 to 32767)",
    );
  });

  it.each([
    ['an unknown atom', ['foo'], "unknown option foo: 'foo'"],
    ['an unknown tuple', [['foo', 1]], "unknown option foo: [ 'foo', 1 ]"],
    ['a 1-tuple', [['packet']], "not an option: [ 'packet' ]"],
    ['a 3-tuple', [['packet', 1, 2]], "not an option: [ 'packet', 1, 2 ]"],
    ['a number', [42], 'not an option: 42'],
    ['null in the list', [null], 'not an option: null'],
    ['a tuple with a non-atom name', [[1, 2]], 'not an option: [ 1, 2 ]'],
    ['a bare option name that needs a value', ['packet'], "option packet needs a value: write ['packet', Value]"],
    ['a camelCase name in the list form', [['packetSize', 4]], 'unknown option packetSize (the list form spells it packet_size)'],
    ['a name from Object.prototype', ['toString'], "unknown option toString: 'toString'"],
    ['a family written as a tuple', [['family', 'inet']], 'unknown option family'],
    ['a newer OTP option', [['reuseport', true]], 'unknown option reuseport'],
  ])('list form, %s', (_, options, message) => {
    for (const call of ['connect', 'listen', 'setopts'] as const) {
      const text = badargOf(() => parseOptions(call, options as unknown as OptionInput));
      expect(text).toContain(`${CALL_NAME[call]}: ${message}`);
    }
  });

  it.each([
    ['an unknown key', { foo: 1 }, 'unknown option foo: { foo: 1 }'],
    ['a snake_case key', { packet_size: 1 }, 'unknown option packet_size (the object form spells it packetSize)'],
    ['the binary atom as a key', { binary: true }, "unknown option binary (the object form writes mode: 'binary')"],
    ['a key from Object.prototype', { constructor: 1 }, 'unknown option constructor'],
    ['__proto__ as an own key', JSON.parse('{"__proto__": 1}') as object, 'unknown option __proto__'],
    ['undefined as a value', { packet: undefined }, 'bad value for option packet: undefined'],
  ])('object form, %s', (_, options, message) => {
    expect(badargOf(() => parseOptions('connect', options as OptionInput))).toContain(message);
  });

  it.each([
    ['a number', 42],
    ['a string', 'binary'],
    ['null', null],
    ['undefined', undefined],
    ['a Map', new Map([['packet', 4]])],
    ['a class instance', new Date(0)],
    ['a function', () => []],
  ])('the options argument as %s is badarg', (_, options) => {
    for (const call of ['connect', 'listen', 'setopts'] as const) {
      expect(badargOf(() => parseOptions(call, options as unknown as OptionInput))).toContain(
        `${CALL_NAME[call]}: options must be a list (array) or an object, got`,
      );
    }
  });

  it('symbol keys in the object form are badarg, not ignored', () => {
    expect(badargOf(() => parseOptions('connect', { [Symbol('x')]: 1 } as unknown as OptionInput))).toContain(
      'option keys must be strings',
    );
  });

  it('an unknown call is badarg', () => {
    expect(badargOf(() => parseOptions('accept' as 'connect', []))).toContain('parseOptions: call must be');
  });
});

// ---------------------------------------------------------------------------

describe('which call takes which option (erl: every option through listen, connect, setopts)', () => {
  const WHERE: Readonly<Record<string, readonly [unknown, string]>> = {
    mode: ['binary', 'cls'],
    active: [true, 'cls'],
    packet: [2, 'cls'],
    packet_size: [10, 'cls'],
    header: [1, 'cls'],
    line_delimiter: [59, 'cs'],
    buffer: [100, 'cls'],
    recbuf: [1000, 'cls'],
    sndbuf: [1000, 'cls'],
    nodelay: [true, 'cls'],
    keepalive: [true, 'cls'],
    reuseaddr: [true, 'cls'],
    exit_on_close: [false, 'cls'],
    send_timeout: [10, 'cls'],
    send_timeout_close: [true, 'cls'],
    show_econnreset: [true, 'cls'],
    linger: [[true, 0], 'cls'],
    deliver: ['port', 'cls'],
    high_watermark: [10, 'cls'],
    low_watermark: [10, 'cls'],
    high_msgq_watermark: [10, 'cls'],
    low_msgq_watermark: [10, 'cls'],
    delay_send: [true, 'cls'],
    debug: [true, 'cls'],
    ipv6_v6only: [true, 'l'], // erl: connect badarg; setopts einval once bound
    backlog: [5, 'l'], // erl: connect badarg, setopts einval
    port: [0, 'cl'],
    ip: [[127, 0, 0, 1], 'cl'],
    ifaddr: [[127, 0, 0, 1], 'cl'],
  };

  for (const [name, [value, calls]] of Object.entries(WHERE)) {
    for (const call of ['connect', 'listen', 'setopts'] as const) {
      const accepted = calls.includes(call[0] as string);
      it(`${call} ${accepted ? 'takes' : 'refuses'} ${name}`, () => {
        for (const [options, label] of [
          [asList(name, value), name],
          [asObject(name, value), camel(name)],
        ] as const) {
          if (accepted) expect(() => parseOptions(call, options)).not.toThrow();
          else expect(badargOf(() => parseOptions(call, options))).toContain(`${CALL_NAME[call]}: option ${label} is valid for`);
        }
      });
    }
  }

  it('the refusal says where the option belongs', () => {
    expect(badargOf(() => parseOptions('connect', [['backlog', 5]]))).toBe(
      "badarg: gen_tcp:connect: option backlog is valid for listen only: [ 'backlog', 5 ]",
    );
    expect(badargOf(() => parseOptions('listen', [['line_delimiter', 59]]))).toBe(
      "badarg: gen_tcp:listen: option line_delimiter is valid for connect and setopts only (OTP 25 listen refuses it): [ 'line_delimiter', 59 ]",
    );
    expect(badargOf(() => parseOptions('setopts', { ip: 'loopback' }))).toBe(
      "badarg: inet:setopts: option ip is valid for connect and listen only: { ip: 'loopback' }",
    );
  });

  it('inet and inet6 are connect/listen only (erl: setopts einval)', () => {
    for (const atom of ['inet', 'inet6']) {
      expect(() => parseOptions('connect', [atom] as OptionInput)).not.toThrow();
      expect(() => parseOptions('listen', [atom] as OptionInput)).not.toThrow();
      expect(badargOf(() => parseOptions('setopts', [atom] as OptionInput))).toContain(`option ${atom} is valid for connect and listen only`);
    }
    expect(badargOf(() => parseOptions('setopts', { family: 'inet' }))).toContain('option family is valid for connect and listen only');
    expect(badargOf(() => parseOptions('connect', { family: 'inet7' as 'inet' }))).toContain(
      "bad value for option family: 'inet7' (expected inet or inet6)",
    );
  });
});

// ---------------------------------------------------------------------------

describe('options OTP has and Node cannot honour', () => {
  // erl: OTP 25 accepts all of these in connect and listen (fd, tcp_module,
  // inet_backend included); refused here on purpose, with the reason.
  const UNSUPPORTED: readonly (readonly [string, unknown, string])[] = [
    ['fd', 3, 'cannot take over a descriptor'],
    ['tcp_module', 'inet_tcp', 'Erlang callback module'],
    ['inet_backend', 'inet', 'one backend, node:net'],
    ['raw', [6, 1], 'setsockopt pass-through'],
    ['priority', 1, 'SO_PRIORITY'],
    ['tos', 1, 'IP_TOS'],
    ['tclass', 1, 'IPV6_TCLASS'],
    ['ttl', 10, 'IP_TTL'],
    ['recvtos', true, 'ancillary data'],
    ['recvtclass', true, 'ancillary data'],
    ['recvttl', true, 'ancillary data'],
    ['bind_to_device', 'lo', 'device'],
    ['netns', '/x', 'network namespace'],
    ['nopush', true, 'TCP_CORK'],
    ['dontroute', true, 'SO_DONTROUTE'],
  ];

  it.each(UNSUPPORTED)('%s is refused with the reason', (name, value, reason) => {
    for (const call of ['connect', 'listen', 'setopts'] as const) {
      for (const [options, label] of [
        [asList(name, value), name],
        [asObject(name, value), camel(name)],
      ] as const) {
        const message = badargOf(() => parseOptions(call, options));
        expect(message).toContain(`${CALL_NAME[call]}: option ${label} is not supported`);
        expect(message).toContain(reason);
      }
    }
  });

  it('the 4-tuple raw form is refused the same way', () => {
    expect(badargOf(() => parseOptions('connect', [['raw', 6, 1, Buffer.alloc(4)]] as unknown as OptionInput))).toContain(
      'option raw is not supported: node:net has no setsockopt pass-through',
    );
  });

  it('local sockets are refused as a family, an atom and an address', () => {
    expect(badargOf(() => parseOptions('connect', ['local'] as unknown as OptionInput))).toContain('option local is not supported');
    expect(badargOf(() => parseOptions('listen', { family: 'local' as 'inet' }))).toContain('option family is not supported: Unix-domain');
    expect(badargOf(() => parseOptions('listen', [['ifaddr', ['local', '/tmp/s']]] as unknown as OptionInput))).toContain(
      'option ifaddr is not supported: Unix-domain',
    );
  });

  it('sockaddr maps are refused with a pointer to ip and port', () => {
    expect(badargOf(() => parseOptions('listen', [['ifaddr', { family: 'inet', addr: [127, 0, 0, 1], port: 0 }]] as unknown as OptionInput))).toContain(
      'sockaddr maps are not supported, use the ip and port options',
    );
  });
});

// ---------------------------------------------------------------------------

describe('duplicates and order', () => {
  // erl: listen/connect keep the last duplicate; setopts applies its list
  // last element first, so the first duplicate wins.
  const DUPLICATES: readonly (readonly [string, OptionInput, string, unknown, unknown])[] = [
    ['packet 1 then 2', [['packet', 1], ['packet', 2]], 'packet', 2, 1],
    ['binary then list', ['binary', 'list'], 'mode', 'list', 'binary'],
    ['list then binary', ['list', 'binary'], 'mode', 'binary', 'list'],
    ['{mode, binary} then list', [['mode', 'binary'], 'list'], 'mode', 'list', 'binary'],
    ['active once then false', [['active', 'once'], ['active', false]], 'active', false, 'once'],
    ['active 5 then true', [['active', 5], ['active', true]], 'active', true, 5],
    ['active true then 5', [['active', true], ['active', 5]], 'active', 5, true],
    ['active 3 then 2', [['active', 3], ['active', 2]], 'active', 2, 5],
    ['active 3 then -5', [['active', 3], ['active', -5]], 'active', false, 3],
    ['active -5 then 3', [['active', -5], ['active', 3]], 'active', 3, false],
  ];

  it.each(DUPLICATES)('%s (erl)', (_, options, name, openValue, setoptsValue) => {
    expect(got(parseOptions('listen', options), name)).toEqual(openValue);
    expect(got(parseOptions('connect', options), name)).toEqual(openValue);
    expect(got(recordWith('setopts', options), name)).toEqual(setoptsValue);
  });

  it('setopts returns its changes in the order OTP applies them: last written first', () => {
    expect(parseOptions('setopts', [['packet', 1], 'binary', ['active', 3]])).toEqual([
      ['active', 3],
      ['mode', 'binary'],
      ['packet', 1],
    ]);
    expect(parseOptions('setopts', { packet: 'raw', linger: [false, 9] })).toEqual([
      ['linger', [false, 0]],
      ['packet', 0],
    ]);
  });

  it('a later ip replaces an earlier one, the first family atom wins (erl)', () => {
    expect(parseOptions('listen', [['ip', [127, 0, 0, 1]], ['port', 0], ['ip', [127, 0, 0, 2]]]).ip).toEqual([127, 0, 0, 2]);
    expect(parseOptions('listen', ['inet6', 'inet']).family).toBe('inet6');
    expect(parseOptions('listen', ['inet', 'inet6']).family).toBe('inet');
    expect(parseOptions('connect', [['port', 1], ['port', 2]]).port).toBe(2);
    expect(parseOptions('listen', [['backlog', 1], ['backlog', 2]]).backlog).toBe(2);
  });

  // [options, high, low after connect/listen, high, low after setopts on defaults]
  const WATERMARKS: readonly (readonly [OptionInput, number, number, number, number])[] = [
    [[['high_watermark', 10], ['low_watermark', 20]], 10, 10, 10, 10],
    [[['low_watermark', 20], ['high_watermark', 10]], 20, 20, 20, 20],
    [[['low_watermark', 10000]], 10000, 10000, 10000, 10000],
    [[['high_watermark', 100]], 100, 100, 100, 100],
    [[['high_watermark', 10], ['low_watermark', 20], ['high_watermark', 30]], 30, 20, 10, 10],
    // A repeated option moves to the end of the list connect/listen hand to the driver:
    [[['low_watermark', 20], ['high_watermark', 10], ['low_watermark', 30]], 10, 10, 20, 20],
    [[['high_watermark', 10], ['low_watermark', 20], ['high_watermark', 5]], 20, 20, 10, 10],
  ];

  it.each(WATERMARKS)('watermarks %j: high below low lowers low, low above high raises high (erl)', (options, oh, ol, sh, sl) => {
    for (const call of ['connect', 'listen'] as const) {
      expect(parseOptions(call, options)).toMatchObject({ highWatermark: oh, lowWatermark: ol });
    }
    expect(recordWith('setopts', options)).toMatchObject({ highWatermark: sh, lowWatermark: sl });
  });

  it.each([
    [[['high_msgq_watermark', 100]], 100, 100],
    [[['low_msgq_watermark', 10000]], 10000, 10000],
    [[['high_msgq_watermark', 100], ['low_msgq_watermark', 200]], 100, 100],
  ] as const)('msgq watermarks %j follow the same rule (erl, setopts)', (options, high, low) => {
    expect(recordWith('setopts', options as unknown as OptionInput)).toMatchObject({ highMsgqWatermark: high, lowMsgqWatermark: low });
  });

  it.each([
    [[['recbuf', 200000]], 200000],
    [[['buffer', 100], ['recbuf', 200000]], 100],
    [[['recbuf', 200000], ['buffer', 100]], 100],
    [[['recbuf', 1000]], 1460],
    [[['buffer', 5000], ['recbuf', 1000]], 5000],
  ] as const)('recbuf raises buffer unless buffer is set: %j → buffer %d (erl, all three calls)', (options, buffer) => {
    for (const call of ['connect', 'listen', 'setopts'] as const) {
      expect(recordWith(call, options as unknown as OptionInput).buffer).toBe(buffer);
    }
  });

  it.each([
    ['buffer 100, then recbuf 200000', [[['buffer', 100]], [['recbuf', 200000]]], 100],
    ['buffer 5000, then recbuf 3000', [[['buffer', 5000]], [['recbuf', 3000]]], 5000],
    ['recbuf 200000, then recbuf 3000', [[['recbuf', 200000]], [['recbuf', 3000]]], 200000],
    ['recbuf 200000 and buffer 100, then recbuf 300000', [[['recbuf', 200000], ['buffer', 100]], [['recbuf', 300000]]], 100],
  ] as const)('across setopts calls: %s → buffer %d (erl)', (_, calls, buffer) => {
    let record = DEFAULT_OPTIONS;
    for (const options of calls) record = applyOptionChanges(record, parseOptions('setopts', options as unknown as OptionInput)).options;
    expect(record.buffer).toBe(buffer);
  });

  it('a buffer given to connect also stops recbuf from raising it (erl)', () => {
    for (const buffer of [1460, 1000]) {
      const opened = parseOptions('connect', [['buffer', buffer]]);
      expect(applyOptionChanges(opened, parseOptions('setopts', [['recbuf', 200000]])).options.buffer).toBe(buffer);
    }
  });
});

// ---------------------------------------------------------------------------

describe('addresses and the family', () => {
  it.each([
    [[127, 0, 0, 1], [127, 0, 0, 1], 'inet'],
    ['127.0.0.1', [127, 0, 0, 1], 'inet'],
    ['any', [0, 0, 0, 0], 'inet'],
    ['loopback', [127, 0, 0, 1], 'inet'],
    [[0, 0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0, 1], 'inet6'],
    ['::1', [0, 0, 0, 0, 0, 0, 0, 1], 'inet6'],
    ['::', [0, 0, 0, 0, 0, 0, 0, 0], 'inet6'],
    ['fe80::1:2', [0xfe80, 0, 0, 0, 0, 0, 1, 2], 'inet6'],
    ['1::', [1, 0, 0, 0, 0, 0, 0, 0], 'inet6'],
    ['2001:db8:0:0:1:0:0:1', [0x2001, 0xdb8, 0, 0, 1, 0, 0, 1], 'inet6'],
    ['::ffff:1.2.3.4', [0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304], 'inet6'],
    ['::1.2.3.4', [0, 0, 0, 0, 0, 0, 0x0102, 0x0304], 'inet6'],
    ['1:2:3:4:5:6:1.2.3.4', [1, 2, 3, 4, 5, 6, 0x0102, 0x0304], 'inet6'],
  ] as const)('ip %j is %j, family %s', (address, tuple, family) => {
    for (const call of ['connect', 'listen'] as const) {
      for (const key of ['ip', 'ifaddr']) {
        expect(parseOptions(call, [[key, address]] as unknown as OptionInput)).toMatchObject({ ip: tuple, family });
        expect(parseOptions(call, { [key]: address } as OptionInput)).toMatchObject({ ip: tuple, family });
      }
    }
  });

  // erl: gen_tcp:listen(0, Opts), then inet:sockname/1.
  it.each([
    [['inet6', 'inet'], 'inet6', null],
    [['inet', 'inet6'], 'inet', null],
    [['inet6'], 'inet6', null],
    [['inet6', ['ip', 'any']], 'inet6', [0, 0, 0, 0, 0, 0, 0, 0]],
    [['inet6', ['ip', 'loopback']], 'inet6', [0, 0, 0, 0, 0, 0, 0, 1]],
    [[['ip', 'loopback'], 'inet6'], 'inet6', [0, 0, 0, 0, 0, 0, 0, 1]],
    [[['ip', 'loopback']], 'inet', [127, 0, 0, 1]],
    [[['ip', [127, 0, 0, 1]], ['ip', [0, 0, 0, 0, 0, 0, 0, 1]]], 'inet6', [0, 0, 0, 0, 0, 0, 0, 1]],
    [[['ip', [0, 0, 0, 0, 0, 0, 0, 1]], ['ip', [127, 0, 0, 1]]], 'inet', [127, 0, 0, 1]],
    [[['ifaddr', [0, 0, 0, 0, 0, 0, 0, 1]]], 'inet6', [0, 0, 0, 0, 0, 0, 0, 1]],
  ] as const)('listen %j: family %s, ip %j (erl)', (options, family, ip) => {
    expect(parseOptions('listen', options as unknown as OptionInput)).toMatchObject({ family, ip });
  });

  it.each([
    [['inet', ['ip', [0, 0, 0, 0, 0, 0, 0, 1]]], 'is an IPv6 address but the family is inet'],
    [[['ip', [0, 0, 0, 0, 0, 0, 0, 1]], 'inet'], 'is an IPv6 address but the family is inet'],
    [['inet6', ['ip', [127, 0, 0, 1]]], 'is an IPv4 address but the family is inet6'],
    [['inet6', ['ifaddr', '10.0.0.1']], 'option ifaddr: [ 10, 0, 0, 1 ] is an IPv4 address but the family is inet6'],
  ] as const)('an address of the other family is badarg: %j (erl)', (options, message) => {
    for (const call of ['connect', 'listen'] as const) {
      expect(badargOf(() => parseOptions(call, options as unknown as OptionInput))).toContain(message);
    }
  });

  it('connect: the family is left to the address unless an atom or an ip option sets it (erl)', () => {
    expect(parseOptions('connect', []).family).toBeNull();
    expect(parseOptions('connect', [['port', 5000]]).family).toBeNull();
    expect(parseOptions('connect', ['inet']).family).toBe('inet');
    expect(parseOptions('connect', ['inet6']).family).toBe('inet6');
    // erl: connecting to ::1 with {ip, any} uses inet_tcp, so eafnosupport.
    expect(parseOptions('connect', [['ip', 'any']])).toMatchObject({ family: 'inet', ip: [0, 0, 0, 0] });
    // erl: connecting to 127.0.0.1 with {ip, {0,0,0,0,0,0,0,0}} is eafnosupport: inet6 chosen.
    expect(parseOptions('connect', [['ip', [0, 0, 0, 0, 0, 0, 0, 0]]]).family).toBe('inet6');
  });

  it('the base supplies the family and address the call leaves open; the call own ones win', () => {
    const base = parseOptions('listen', ['inet6']);
    expect(parseOptions('listen', [], base).family).toBe('inet6');
    expect(parseOptions('listen', ['inet'], base).family).toBe('inet');
    expect(parseOptions('listen', [['ip', 'loopback']], base)).toMatchObject({ family: 'inet', ip: [127, 0, 0, 1] });
    const bound = parseOptions('listen', [['ip', '::1']]);
    expect(parseOptions('listen', [['backlog', 9]], bound)).toMatchObject({ family: 'inet6', ip: [0, 0, 0, 0, 0, 0, 0, 1], backlog: 9 });
    expect(parseOptions('connect', [], parseOptions('listen', []))).toMatchObject({ family: 'inet', ip: null });
  });

  it('ipToString gives node:net text', () => {
    expect(ipToString([127, 0, 0, 1])).toBe('127.0.0.1');
    expect(ipToString([0, 0, 0, 0, 0, 0, 0, 1])).toBe('0:0:0:0:0:0:0:1');
    expect(ipToString([0xfe80, 0, 0, 0, 0, 0, 0, 0xabcd])).toBe('fe80:0:0:0:0:0:0:abcd');
  });
});

// ---------------------------------------------------------------------------

describe('the active counter', () => {
  // [current, requested, result]; erl: inet:setopts on a socket in `current`,
  // then inet:getopts(S, [active]) and the tcp_passive messages received.
  const STEPS: readonly (readonly [ActiveMode, ActiveOption, ReturnType<typeof nextActive>])[] = [
    [3, -5, { active: false, passive: true }],
    [5, -3, { active: 2, passive: false }],
    [false, 0, { active: false, passive: true }], // even when already passive
    [false, -5, { active: false, passive: true }],
    [false, 3, { active: 3, passive: false }],
    [true, 5, { active: 5, passive: false }], // true resets the count
    ['once', 5, { active: 5, passive: false }],
    ['once', 0, { active: false, passive: true }],
    [true, -1, { active: false, passive: true }],
    [5, false, { active: false, passive: false }],
    [5, 'once', { active: 'once', passive: false }],
    [5, true, { active: true, passive: false }],
    [false, false, { active: false, passive: false }],
    [32767, 1, 'einval'], // the max is 32767
    [32767, -1, { active: 32766, passive: false }],
    [32000, 1000, 'einval'],
    [10, 32767, 'einval'],
    [false, 32767, { active: 32767, passive: false }],
    [false, -32768, { active: false, passive: true }],
    [5, -32768, { active: false, passive: true }],
  ];

  it.each(STEPS)('active %j, setopts {active, %j} → %j (erl)', (current, requested, expected) => {
    expect(nextActive(current, requested)).toEqual(expected);
  });

  it('nextActive refuses what no option could ask for', () => {
    expect(badargOf(() => nextActive(1, 32768))).toContain('nextActive: bad value for option active: 32768');
    expect(badargOf(() => nextActive(1, 1.5))).toContain('1.5');
    expect(badargOf(() => nextActive(1, 'twice' as 'once'))).toContain("'twice'");
  });

  // Sequences of setopts calls from a passive socket: [calls, result of each,
  // active after each, tcp_passive messages after each]; erl.
  const SEQUENCES: readonly (readonly [string, readonly OptionInput[], readonly ('ok' | 'einval')[], readonly ActiveMode[], readonly number[]])[] = [
    ['3 then -5', [[['active', 3]], [['active', -5]]], ['ok', 'ok'], [3, false], [0, 1]],
    ['32767 then 1', [[['active', 32767]], [['active', 1]]], ['ok', 'einval'], [32767, 32767], [0, 0]],
    ['0 and 0 in one call', [[['active', 0], ['active', 0]]], ['ok'], [false], [2]],
    ['0, -1, false in one call', [[['active', 0], ['active', -1], ['active', false]]], ['ok'], [false], [2]],
    ['0 then true in one call', [[['active', 0], ['active', true]]], ['ok'], [false], [1]],
    ['true then 0 in one call', [[['active', true], ['active', 0]]], ['ok'], [true], [1]],
    ['32767 then 1 in one call', [[['active', 32767], ['active', 1]]], ['einval'], [1], [0]],
    ['5, false, 3', [[['active', 5]], [['active', false]], [['active', 3]]], ['ok', 'ok', 'ok'], [5, false, 3], [0, 0, 0]],
  ];

  it.each(SEQUENCES)('setopts %s (erl)', (_, calls, results, actives, passives) => {
    let record: SocketOptions = { ...DEFAULT_OPTIONS, active: false };
    calls.forEach((options, i) => {
      const outcome = applyOptionChanges(record, parseOptions('setopts', options));
      expect(outcome.result).toBe(results[i]);
      expect(outcome.options.active).toEqual(actives[i]);
      expect(outcome.passiveMessages).toBe(passives[i]);
      record = outcome.options;
    });
  });

  it('an overflow stops setopts where it happens, keeping what came before (erl)', () => {
    const counting: SocketOptions = { ...DEFAULT_OPTIONS, active: 10 };
    // The active change is applied first (last written), fails, packet is never set.
    const first = applyOptionChanges(counting, parseOptions('setopts', [['packet', 2], ['active', 32767]]));
    expect(first).toMatchObject({ result: 'einval', options: { active: 10, packet: 0 } });
    // packet is applied first, then active fails: packet stays 2.
    const second = applyOptionChanges(counting, parseOptions('setopts', [['active', 32767], ['packet', 2]]));
    expect(second).toMatchObject({ result: 'einval', options: { active: 10, packet: 2 } });
  });

  it.each([
    [0, false, true],
    [-5, false, true],
    [-32768, false, true],
    [3, 3, false],
    [32767, 32767, false],
  ] as const)('connect/listen {active, %d}: active %j, tcp_passive on open %j (erl)', (n, active, passive) => {
    for (const call of ['connect', 'listen'] as const) {
      expect(parseOptions(call, [['active', n]])).toMatchObject({ active, passiveOnOpen: passive });
      expect(parseOptions(call, { active: n })).toMatchObject({ active, passiveOnOpen: passive });
    }
  });

  it('connect/listen ignore the base active: a socket starts active with a count of 0 (OTP inet:connect_options)', () => {
    const base: SocketOptions = { ...DEFAULT_OPTIONS, active: 100, passiveOnOpen: true };
    expect(parseOptions('connect', [], base)).toMatchObject({ active: true, passiveOnOpen: false });
    expect(parseOptions('connect', [['active', 5]], base).active).toBe(5);
  });
});

// ---------------------------------------------------------------------------

describe('inheritance on accept', () => {
  it('an accepted socket takes every option of its listen socket (erl)', () => {
    const listen = parseOptions('listen', [
      ['active', 'once'],
      ['buffer', 3000],
      ['delay_send', true],
      ['deliver', 'port'],
      ['exit_on_close', false],
      ['header', 2],
      'binary',
      ['high_watermark', 20000],
      ['low_watermark', 10000],
      ['keepalive', true],
      ['linger', [true, 7]],
      ['nodelay', true],
      ['packet', 2],
      ['packet_size', 999],
      ['recbuf', 50000],
      ['sndbuf', 50000],
      ['reuseaddr', true],
      ['send_timeout', 1234],
      ['send_timeout_close', true],
      ['show_econnreset', true],
      ['high_msgq_watermark', 9000],
      ['low_msgq_watermark', 5000],
    ]);
    const accepted = inheritedOnAccept(listen);
    for (const name of [
      'active', 'buffer', 'delay_send', 'deliver', 'exit_on_close', 'header', 'high_msgq_watermark', 'high_watermark',
      'keepalive', 'linger', 'low_msgq_watermark', 'low_watermark', 'mode', 'nodelay', 'packet', 'packet_size',
      'recbuf', 'reuseaddr', 'send_timeout', 'send_timeout_close', 'show_econnreset', 'sndbuf',
    ]) {
      expect([name, got(accepted, name)]).toEqual([name, got(listen, name)]);
    }
    expect(Object.isFrozen(accepted)).toBe(true);
  });

  it('line_delimiter and debug are not inherited (erl: the accepted socket splits on \\n)', () => {
    const listen = applyOptionChanges(parseOptions('listen', [['debug', true]]), parseOptions('setopts', [['line_delimiter', 59]])).options;
    expect(listen).toMatchObject({ lineDelimiter: 59, debug: true });
    expect(inheritedOnAccept(listen)).toMatchObject({ lineDelimiter: 10, debug: false });
  });

  it('the active count is inherited as it stands (erl: listen {active,3}, setopts -1, accepted reads 2)', () => {
    const listen = applyOptionChanges(parseOptions('listen', [['active', 3]]), parseOptions('setopts', [['active', -1]])).options;
    expect(inheritedOnAccept(listen).active).toBe(2);
  });

  it('a listen socket opened with {active, 0} is passive; its accepted sockets get no tcp_passive (erl)', () => {
    const listen = parseOptions('listen', [['active', 0]]);
    expect(inheritedOnAccept(listen)).toMatchObject({ active: false, passiveOnOpen: false });
  });

  it('buffer is copied but recbuf may still raise it on the accepted socket (erl)', () => {
    const accepted = inheritedOnAccept(parseOptions('listen', [['buffer', 100]]));
    expect(accepted.buffer).toBe(100);
    expect(applyOptionChanges(accepted, parseOptions('setopts', [['recbuf', 200000]])).options.buffer).toBe(200000);
    expect(inheritedOnAccept(parseOptions('listen', [['recbuf', 200000]])).buffer).toBe(200000);
  });

  it('ipv6_v6only and the family come through (erl: accepted reads ipv6_v6only true)', () => {
    const accepted = inheritedOnAccept(parseOptions('listen', ['inet6', ['ipv6_v6only', true]]));
    expect(getoptsValue(accepted, 'ipv6_v6only')).toEqual(['ipv6_v6only', true]);
  });

  it('the listen socket bind address, port and backlog are not the accepted socket options', () => {
    const accepted = inheritedOnAccept(parseOptions('listen', [['ip', 'loopback'], ['port', 8080], ['backlog', 50]]));
    expect(accepted).toMatchObject({ ip: null, port: 0, backlog: 5, family: 'inet' });
  });
});

// ---------------------------------------------------------------------------

describe('getopts shapes', () => {
  it.each([
    [[['packet', 'raw']], 'packet', 0],
    [[['active', 0]], 'active', false],
    [[['active', 7]], 'active', 7],
    [[['linger', [false, 5]]], 'linger', [false, 0]],
    [['binary'], 'mode', 'binary'],
    [[['send_timeout', 'infinity']], 'send_timeout', 'infinity'],
  ] as const)('connect %j reads %s as %j (erl)', (options, name, value) => {
    expect(getoptsValue(parseOptions('connect', options as unknown as OptionInput), name)).toEqual([name, value]);
  });

  it('ipv6_v6only reads false on an inet6 socket and is left out on an inet one (erl: {ok, []})', () => {
    expect(getoptsValue(parseOptions('listen', ['inet6']), 'ipv6_v6only')).toEqual(['ipv6_v6only', false]);
    expect(getoptsValue(parseOptions('listen', ['inet6', ['ipv6_v6only', true]]), 'ipv6_v6only')).toEqual(['ipv6_v6only', true]);
    expect(getoptsValue(parseOptions('listen', []), 'ipv6_v6only')).toBeNull();
  });

  it.each([
    ['line_delimiter', 'OTP 25 cannot read line_delimiter back'],
    ['backlog', 'not a socket option'],
    ['port', 'inet:port/1'],
    ['ip', 'inet:sockname/1'],
    ['ifaddr', 'inet:sockname/1'],
    ['binary', 'read as mode'],
    ['list', 'read as mode'],
    ['fd', 'not supported'],
    ['tcp_module', 'not supported'],
    ['inet_backend', 'not supported'],
    ['foo', "unknown option 'foo'"],
    ['toString', "unknown option 'toString'"],
    ['packetSize', 'getopts takes the Erlang name, packet_size'],
  ])('getopts %s is badarg, as OTP answers einval (erl)', (name, message) => {
    const text = badargOf(() => getoptsValue(DEFAULT_OPTIONS, name));
    expect(text).toContain('inet:getopts');
    expect(text).toContain(message);
  });

  it('a non-string name is badarg', () => {
    expect(badargOf(() => getoptsValue(DEFAULT_OPTIONS, 42 as unknown as string))).toContain('got 42');
  });
});

// ---------------------------------------------------------------------------

describe('random option lists (seeded, 10,000 cases)', () => {
  /** mulberry32: a small seeded PRNG, so a failure can be replayed. */
  function prng(seed: number): () => number {
    let s = seed >>> 0;
    return () => {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  const NAMES = [
    'mode', 'active', 'packet', 'packet_size', 'header', 'line_delimiter', 'buffer', 'recbuf', 'sndbuf', 'nodelay',
    'keepalive', 'reuseaddr', 'exit_on_close', 'send_timeout', 'send_timeout_close', 'show_econnreset', 'linger',
    'deliver', 'high_watermark', 'low_watermark', 'high_msgq_watermark', 'low_msgq_watermark', 'delay_send', 'debug',
    'ipv6_v6only', 'backlog', 'ip', 'ifaddr', 'port', 'fd', 'tcp_module', 'inet_backend', 'raw', 'tos', 'local',
    'binary', 'list', 'inet', 'inet6', 'family', 'foo', '', '__proto__', 'constructor', 'toString', 'hasOwnProperty',
    'packetSize', 'exitOnClose', 'valueOf',
  ];
  const ATOMS = [
    'true', 'false', 'once', 'raw', 'line', 'http', 'asn1', 'any', 'loopback', 'infinity', 'port', 'term', 'list',
    'binary', 'inet', 'inet6', '127.0.0.1', '::1', '::ffff:1.2.3.4', '1.2.3', ':::', 'fe80::1%lo', '', 'é',
  ];

  function value(rand: () => number, depth = 0): unknown {
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    switch (Math.floor(rand() * 14)) {
      case 0: return Math.floor(rand() * 10) - 2;
      case 1: return Math.floor((rand() - 0.5) * 2 ** (rand() * 40));
      case 2: return pick([32767, 32768, -32768, -32769, 255, 256, 65535, 65536, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53, -0]);
      case 3: return pick([NaN, Infinity, -Infinity, 0.5, -1.5, Number.MAX_VALUE, Number.EPSILON]);
      case 4: case 5: return pick(ATOMS);
      case 6: return rand() < 0.5;
      case 7: return pick([null, undefined]);
      case 8: {
        const length = pick([0, 1, 2, 3, 4, 5, 8, 9]);
        return depth > 2 ? [] : Array.from({ length }, () => (rand() < 0.6 ? Math.floor(rand() * 300) : value(rand, depth + 1)));
      }
      case 9: return depth > 2 ? {} : { family: pick(['inet', 'inet6', 'local']), addr: value(rand, depth + 1), port: value(rand, depth + 1) };
      case 10: return pick([Symbol('s'), 10n, () => 1, new Date(0), Buffer.from('ab'), new Map(), Object.create(null) as object]);
      case 11: return [rand() < 0.5, Math.floor((rand() - 0.3) * 100)];
      case 12: return pick([true, false, 'once', 0, 1, 2, 4, 'raw', 'line', 100, 'binary', 'list', 'port', 'term', 'infinity', [127, 0, 0, 1]]);
      default: return ['local', '/tmp/x'];
    }
  }

  function element(rand: () => number): unknown {
    const r = rand();
    const name = NAMES[Math.floor(rand() * NAMES.length)] as string;
    if (r < 0.15) return name;
    if (r < 0.9) return [name, value(rand)];
    if (r < 0.95) return [name, value(rand), value(rand)];
    return value(rand);
  }

  function input(rand: () => number): unknown {
    const r = rand();
    const n = Math.floor(rand() * 6);
    if (r < 0.75) return Array.from({ length: n }, () => element(rand));
    if (r < 0.95) {
      const object: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) {
        const name = NAMES[Math.floor(rand() * NAMES.length)] as string;
        Object.defineProperty(object, rand() < 0.7 ? camel(name) : name, { value: value(rand), enumerable: true, configurable: true, writable: true });
      }
      return object;
    }
    return value(rand);
  }

  it('never throws anything but a badarg BeamlineError, and many cases succeed', () => {
    const seed = 0xbea4;
    const rand = prng(seed);
    const calls = ['connect', 'listen', 'setopts'] as const;
    let ok = 0;
    let refused = 0;
    const expectBadarg = (i: number, what: string, error: unknown, input: unknown): void => {
      if (!(error instanceof BeamlineError) || error.code !== 'badarg') {
        throw new Error(`case ${i} (seed ${seed}, ${what}) threw ${String(error)} for ${inspectSafe(input)}`);
      }
    };
    for (let i = 0; i < 10_000; i++) {
      const call = calls[i % 3] as OptionsCall;
      const options = input(rand);
      let record: SocketOptions = DEFAULT_OPTIONS;
      try {
        if (call === 'setopts') {
          const current = i % 2 === 0 ? DEFAULT_OPTIONS : { ...DEFAULT_OPTIONS, active: 1 + (i % 32767) };
          const outcome = applyOptionChanges(current, parseOptions('setopts', options as OptionInput));
          expect(['ok', 'einval']).toContain(outcome.result);
          record = outcome.options;
        } else {
          record = parseOptions(call, options as OptionInput);
        }
        ok += 1;
      } catch (error) {
        expectBadarg(i, call, error, options);
        refused += 1;
      }
      const name = NAMES[i % NAMES.length] as string;
      try {
        getoptsValue(inheritedOnAccept(record), name);
      } catch (error) {
        expectBadarg(i, `getopts ${name}`, error, record);
      }
    }
    expect(ok + refused).toBe(10_000);
    expect(ok).toBeGreaterThan(500);
    expect(refused).toBeGreaterThan(500);
  });

  function inspectSafe(value: unknown): string {
    try {
      return JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' || typeof v === 'symbol' ? String(v) : v));
    } catch {
      return String(value);
    }
  }
});
