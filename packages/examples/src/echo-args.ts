/**
 * The command line of the `echo` command (`src/echo.ts`): flags in, either
 * the server's options or a message saying exactly what is wrong.
 */
import { isPacketType, type PacketType } from '@beamline/gen-tcp';
import type { EchoActive } from './echo-server.js';

export const USAGE = `usage: pnpm --filter @beamline/examples echo -- --port P --packet T [--active once|true|false|N]

  --port P     TCP port on 127.0.0.1, 0 for any free one (the chosen port is printed)
  --packet T   packet type: raw, 0, 1, 2, 4, line, asn1, cdr, sunrm, fcgi, tpkt,
               http, http_bin, httph, httph_bin
  --active A   how connections read: false (recv, the default), true, once,
               or N from 1 to 32767 (re-armed on tcp_passive)

Prints "listening <port>" once ready, then echoes every packet on every
connection until killed.`;

export type EchoArgs =
  | { readonly kind: 'run'; readonly port: number; readonly packet: PacketType; readonly active: EchoActive }
  | { readonly kind: 'help' }
  | { readonly kind: 'error'; readonly message: string };

const FLAGS = new Set(['--port', '--packet', '--active']);

/** Parses the arguments after the script name. Takes `--flag value` and `--flag=value`. */
export function parseEchoArgs(argv: readonly string[]): EchoArgs {
  // pnpm passes the `--` that separates its own flags from the script's.
  const args = argv[0] === '--' ? argv.slice(1) : argv;
  const values = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--help' || arg === '-h') return { kind: 'help' };
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (!FLAGS.has(flag)) {
      return { kind: 'error', message: arg.startsWith('-') ? `unknown option ${flag}` : `unexpected argument ${JSON.stringify(arg)}` };
    }
    if (values.has(flag)) return { kind: 'error', message: `${flag} given twice` };
    let value: string | undefined;
    if (flag !== arg) {
      value = arg.slice(eq + 1);
    } else {
      value = args[i + 1];
      if (value === undefined || value.startsWith('--')) return { kind: 'error', message: `${flag} needs a value` };
      i++;
    }
    values.set(flag, value);
  }

  const portText = values.get('--port');
  const packetText = values.get('--packet');
  if (portText === undefined) return { kind: 'error', message: '--port is required' };
  if (packetText === undefined) return { kind: 'error', message: '--packet is required' };

  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port <= 65535)) return { kind: 'error', message: `--port must be an integer from 0 to 65535, got ${JSON.stringify(portText)}` };

  const packet = /^\d+$/.test(packetText) ? Number(packetText) : packetText;
  if (!isPacketType(packet)) {
    return {
      kind: 'error',
      message: `--packet must be one of raw, 0, 1, 2, 4, line, asn1, cdr, sunrm, fcgi, tpkt, http, http_bin, httph, httph_bin; got ${JSON.stringify(packetText)}`,
    };
  }

  const active = parseActive(values.get('--active') ?? 'false');
  if (active === undefined) {
    return { kind: 'error', message: `--active must be once, true, false or an integer from 1 to 32767, got ${JSON.stringify(values.get('--active'))}` };
  }
  return { kind: 'run', port, packet, active };
}

function parseActive(text: string): EchoActive | undefined {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'once') return 'once';
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  // 0 would leave the socket passive for good: the server would never read.
  return n >= 1 && n <= 32767 ? n : undefined;
}
