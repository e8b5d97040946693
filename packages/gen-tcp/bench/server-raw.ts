/**
 * The raw `node:net` servers of the network benchmarks: what a Node
 * developer writes by hand for each protocol, the physical limit for Node.
 *
 * Usage: `server-raw.ts echo | bulk <bytes> | accept`. See servers.ts for
 * the control protocol.
 */
import { createServer, type Socket } from 'node:net';
import { serveControl } from './control.js';

const [scenario = '', arg] = process.argv.slice(2);
let open = 0;
const ignore = (): void => {};

/** `{packet, 4}` echo: each complete frame is written back as it came, header included (no copy). */
function echo(s: Socket): void {
  let pending: Buffer | null = null;
  s.on('data', (chunk: Buffer) => {
    const buf = pending === null ? chunk : Buffer.concat([pending, chunk]);
    let at = 0;
    while (buf.length - at >= 4) {
      const end = at + 4 + buf.readUInt32BE(at);
      if (end > buf.length) break;
      s.write(buf.subarray(at, end));
      at = end;
    }
    pending = at === buf.length ? null : buf.subarray(at);
  });
}

/** Counts the bytes of one bulk transfer and acknowledges with one byte when all are in. */
function bulk(total: number): (s: Socket) => void {
  return (s) => {
    let count = 0;
    s.on('data', (chunk: Buffer) => {
      count += chunk.length;
      if (count === total) s.write('k');
    });
  };
}

function handlerFor(name: string): (s: Socket) => void {
  switch (name) {
    case 'echo':
      return echo;
    case 'bulk':
      return bulk(Number(arg));
    case 'accept':
      // The server closes at once, so the TIME_WAIT is on its side (see client.ts#acceptCycles).
      return (s) => s.destroy();
    default:
      throw new Error(`unknown scenario ${name}`);
  }
}

const handler = handlerFor(scenario);
const server = createServer((s) => {
  open++;
  s.on('error', ignore);
  s.on('close', () => open--);
  handler(s);
});
server.listen({ host: '127.0.0.1', port: 0, backlog: 1024 }, () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  serveControl(address.port, () => open);
});
