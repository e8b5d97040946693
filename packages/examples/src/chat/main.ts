/**
 * The `chat` command: a line-based chat server on 127.0.0.1.
 *
 *   pnpm --filter @beamline/examples chat -- --port 7777
 *
 * Prints `listening <port>` once it accepts connections (`--port 0` picks a
 * free port), then serves until SIGINT or SIGTERM. Talk to it with
 * `nc 127.0.0.1 7777` (or `telnet`); `/help` lists the commands.
 */
import { flagsOrExit } from '../flags.js';
import { startChat } from './server.js';

const USAGE = `usage: pnpm --filter @beamline/examples chat -- [--port 7777]

  --port P   TCP port on 127.0.0.1, 0 for any free one (printed as "listening <port>")`;

const flags = flagsOrExit('chat', USAGE, process.argv.slice(2), { port: 'port' });
try {
  const chat = await startChat({ port: flags.port ?? 7777 });
  process.stdout.write(`listening ${chat.port}\n`);
  const stop = (): void => {
    void chat.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exitCode = 1;
}
