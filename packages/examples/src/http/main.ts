/**
 * The `http` command: the example HTTP/1.1 server on 127.0.0.1.
 *
 *   pnpm --filter @beamline/examples http -- --port 8080
 *   curl http://127.0.0.1:8080/ http://127.0.0.1:8080/conn
 *   curl --data-binary 'some text' http://127.0.0.1:8080/echo
 *
 * Prints `listening <port>` once it accepts connections (`--port 0` picks a
 * free port), then serves until SIGINT or SIGTERM.
 */
import { flagsOrExit } from '../flags.js';
import { startHttp } from './server.js';

const USAGE = `usage: pnpm --filter @beamline/examples http -- [--port 8080] [--max-body BYTES] [--idle-timeout MS]

  --port P            TCP port on 127.0.0.1, 0 for any free one (printed as "listening <port>")
  --max-body BYTES    largest request body; a larger one is answered 413 (default 1048576)
  --idle-timeout MS   close a kept-alive connection idle this long (default 15000)

Routes: GET / (hello), GET /conn (which connection, which request on it),
POST /echo (the body back), HEAD for the GET routes; others 404 or 405.`;

const flags = flagsOrExit('http', USAGE, process.argv.slice(2), { port: 'port', 'max-body': 'count', 'idle-timeout': 'count' });
try {
  const http = await startHttp({
    port: flags.port ?? 8080,
    ...(flags['max-body'] === undefined ? {} : { maxBody: flags['max-body'] }),
    ...(flags['idle-timeout'] === undefined ? {} : { idleTimeout: flags['idle-timeout'] }),
  });
  process.stdout.write(`listening ${http.port}\n`);
  const stop = (): void => {
    void http.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exitCode = 1;
}
