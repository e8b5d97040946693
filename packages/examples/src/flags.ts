/**
 * Command-line flags for the example runners (gen-tcp-doc, chat, http):
 * `--name value` or `--name=value`, each flag at most once, numbers checked.
 * `parseFlags` returns the values or a message; `flagsOrExit` prints the
 * usage and ends the program with exit code 2 on a bad command line, as the
 * echo command does.
 */

/** `port`: 0..65535; `count`: a positive integer; `text`: any string. */
export type FlagKind = 'port' | 'count' | 'text';
export type FlagSpec = Readonly<Record<string, FlagKind>>;
export type Flags<S extends FlagSpec> = { -readonly [K in keyof S]?: S[K] extends 'text' ? string : number };

export type ParsedFlags<S extends FlagSpec> =
  | { readonly kind: 'run'; readonly flags: Flags<S> }
  | { readonly kind: 'help' }
  | { readonly kind: 'error'; readonly message: string };

/** Parses the arguments after the script name against `spec` (flag names without the dashes). */
export function parseFlags<S extends FlagSpec>(argv: readonly string[], spec: S): ParsedFlags<S> {
  // pnpm passes on the `--` that separates its own flags from the script's.
  const args = argv[0] === '--' ? argv.slice(1) : argv;
  const flags: Record<string, string | number> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--help' || arg === '-h') return { kind: 'help' };
    if (!arg.startsWith('--')) return { kind: 'error', message: `unexpected argument ${JSON.stringify(arg)}` };
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq > 0 ? eq : undefined);
    const kind = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (kind === undefined) return { kind: 'error', message: `unknown option --${name}` };
    if (Object.hasOwn(flags, name)) return { kind: 'error', message: `--${name} given twice` };
    let text: string | undefined;
    if (eq > 0) {
      text = arg.slice(eq + 1);
    } else {
      text = args[++i];
      if (text === undefined || text.startsWith('--')) return { kind: 'error', message: `--${name} needs a value` };
    }
    if (kind === 'text') {
      flags[name] = text;
      continue;
    }
    const n = /^\d{1,9}$/.test(text) ? Number(text) : NaN;
    if (kind === 'port' && !(n <= 65535)) return { kind: 'error', message: `--${name} must be an integer from 0 to 65535, got ${JSON.stringify(text)}` };
    if (kind === 'count' && !(n >= 1)) return { kind: 'error', message: `--${name} must be a positive integer, got ${JSON.stringify(text)}` };
    flags[name] = n;
  }
  return { kind: 'run', flags: flags as Flags<S> };
}

/** `parseFlags`, or the usage on stdout (`--help`, exit 0) or stderr (a mistake, exit 2) and the end of the program. */
export function flagsOrExit<S extends FlagSpec>(command: string, usage: string, argv: readonly string[], spec: S): Flags<S> {
  const parsed = parseFlags(argv, spec);
  if (parsed.kind === 'run') return parsed.flags;
  if (parsed.kind === 'help') {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  return usageError(command, usage, parsed.message);
}

/** Prints `message` and the usage on stderr and ends the program with exit code 2. */
export function usageError(command: string, usage: string, message: string): never {
  process.stderr.write(`${command}: ${message}\n\n${usage}\n`);
  process.exit(2);
}
