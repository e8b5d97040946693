/**
 * Just enough of Erlang's `io:format/2` for the ported gen_tcp examples, so
 * that their `io:format("Socket ~w closed [~w]~n", [S, self()])` lines port
 * as they are and print what Erlang prints.
 *
 * Directives: `~w` (a term), `~p` (a term, byte lists as strings when they
 * are printable), `~s` (a string or byte list), `~n`, `~~`. Terms follow the
 * value conventions: strings are atoms, arrays whose first element is an
 * atom are tuples, other arrays are lists, Buffers are binaries, pids and
 * sockets print as themselves. A list of numbers `[127, 0, 0, 1]` cannot be
 * told from a tuple of numbers; it prints as a list.
 *
 * Output goes to standard output unless `setOutput` says otherwise (tests
 * collect it).
 */

let output: (text: string) => void = (text) => {
  process.stdout.write(text);
};

/** Sends what `format` prints to `sink` instead of standard output; returns the previous sink. */
export function setOutput(sink: (text: string) => void): (text: string) => void {
  const previous = output;
  output = sink;
  return previous;
}

/** `io:format(Format, Args)`: prints and returns `'ok'`. Throws on a directive it does not know or a missing argument. */
export function format(fmt: string, args: readonly unknown[]): 'ok' {
  output(sprintf(fmt, args));
  return 'ok';
}

/** `io_lib:format(Format, Args)` flattened to a string. */
export function sprintf(fmt: string, args: readonly unknown[]): string {
  let out = '';
  let next = 0;
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i];
    if (c !== '~') {
      out += c;
      continue;
    }
    const d = fmt[++i];
    if (d === 'n') out += '\n';
    else if (d === '~') out += '~';
    else if (d === 'w' || d === 'p' || d === 's') {
      if (next >= args.length) throw new Error(`io:format: no argument for ~${d} in ${JSON.stringify(fmt)}`);
      const arg = args[next++];
      out += d === 's' ? chars(arg) : term(arg, d === 'p');
    } else throw new Error(`io:format: unknown directive ~${String(d)} in ${JSON.stringify(fmt)}`);
  }
  return out;
}

/** A term as `~w` (or `~p` with `pretty`) writes it. */
export function term(value: unknown, pretty = false): string {
  if (typeof value === 'string') return atom(value);
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'boolean') return String(value);
  if (Buffer.isBuffer(value)) return binary(value);
  if (Array.isArray(value)) {
    if (value.length > 0 && typeof value[0] === 'string') return `{${value.map((v) => term(v, pretty)).join(',')}}`;
    if (pretty && value.length > 0 && value.every(isPrintableByte)) return JSON.stringify(String.fromCharCode(...(value as number[])));
    return `[${value.map((v) => term(v, pretty)).join(',')}]`;
  }
  if (value === undefined) return 'undefined';
  // Pids, refs and sockets print as <0.42.0>, #Ref<…>, #Port<0.7>.
  return String(value);
}

function atom(name: string): string {
  return /^[a-z][A-Za-z0-9_@]*$/.test(name) ? name : `'${name.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function binary(bin: Buffer): string {
  if (bin.length > 0 && [...bin].every(isPrintableByte)) return `<<${JSON.stringify(bin.toString('latin1'))}>>`;
  return `<<${[...bin].join(',')}>>`;
}

function chars(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (Array.isArray(value) && value.every((b) => Number.isInteger(b))) return Buffer.from(value as number[]).toString('utf8');
  throw new Error(`io:format: ~s wants a string, got ${term(value)}`);
}

function isPrintableByte(b: unknown): boolean {
  return typeof b === 'number' && ((b >= 32 && b < 127) || b === 10 || b === 13 || b === 9);
}
