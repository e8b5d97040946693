/**
 * The `echo` command: an echo server for one packet type, for peers (an
 * Erlang node, another implementation) to test their framing against.
 *
 *   pnpm --filter @beamline/examples echo -- --port 0 --packet 4 --active once
 *
 * Prints `listening <port>` on stdout once it accepts connections, then
 * runs until killed. Bad arguments: a message and the usage on stderr, exit
 * code 2. Cannot listen: a message on stderr, exit code 1. See docs/echo.md.
 */
import { USAGE, parseEchoArgs } from './echo-args.js';
import { startEchoServer } from './echo-server.js';

const args = parseEchoArgs(process.argv.slice(2));
if (args.kind === 'help') {
  process.stdout.write(`${USAGE}\n`);
} else if (args.kind === 'error') {
  process.stderr.write(`echo: ${args.message}\n\n${USAGE}\n`);
  process.exitCode = 2;
} else {
  try {
    const server = await startEchoServer({ port: args.port, packet: args.packet, active: args.active });
    process.stdout.write(`listening ${server.port}\n`);
  } catch (error) {
    process.stderr.write(`echo: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
