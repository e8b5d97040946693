/**
 * The stdin/stdout side of a Node benchmark server (see servers.ts):
 * `PORT <n>` when listening, `BASE` and `MEMORY <n>` commands, exit when
 * stdin closes.
 */
import { createInterface } from 'node:readline';

const gc = (globalThis as { gc?: () => void }).gc;

/**
 * After full GCs: heapUsed + external, what the JS side holds for the
 * connections, and the resident set size, which also counts native memory
 * (libuv handles, Node's socket wraps, the C heap) and heap pages kept.
 */
export function memoryNow(): { js: number; rss: number } {
  if (gc === undefined) throw new Error('benchmark servers run with node --expose-gc');
  gc();
  gc();
  const m = process.memoryUsage();
  return { js: m.heapUsed + m.external, rss: m.rss };
}

/**
 * Announces the port and serves the commands. `openConnections` says how
 * many connections the server holds now.
 */
export function serveControl(port: number, openConnections: () => number): void {
  let base = memoryNow();
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const [cmd, arg] = line.trim().split(/\s+/);
    if (cmd === 'BASE') {
      base = memoryNow();
      console.log('OK');
    } else if (cmd === 'MEMORY') {
      const n = Number(arg);
      // Bounded wait for the last accepts to land: 600 × 50 ms.
      let tries = 0;
      const poll = (): void => {
        if (openConnections() < n && tries++ < 600) {
          setTimeout(poll, 50);
          return;
        }
        const held = openConnections();
        if (held < n) {
          console.log(`ERROR ${held} of ${n} connections open`);
          return;
        }
        const now = memoryNow();
        console.log(`MEMORY ${Math.round((now.js - base.js) / n)} RSS ${Math.round((now.rss - base.rss) / n)}`);
      };
      poll();
    } else {
      console.log(`ERROR unknown command ${line}`);
    }
  });
  lines.on('close', () => process.exit(0));
  console.log(`PORT ${port}`);
}
