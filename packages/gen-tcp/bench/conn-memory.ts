/**
 * memory: N idle connections (10,000 by default), each owned by a process
 * blocked in `receive` (the echo server of pingpong.ts: `{packet, 4}`,
 * `{active, once}`). The server reports its own figure once the client says
 * all connections are open: heapUsed + external after GC for Node,
 * `erlang:memory(total)` for Erlang, over what it held before. Figure:
 * bytes per connection (lower is better). Node's figure leaves out native
 * memory (libuv handles, socket wraps) that Erlang's total counts for its
 * ports, so the Node servers' resident set growth per connection is
 * reported beside it. One fresh server at a time, so only one holds its
 * connections.
 *
 * Usage: `conn-memory.ts [connections]`.
 */
import { openIdle } from './client.js';
import { reportNet } from './rounds.js';
import { hasErlang, NO_ERLANG, startServer, type Impl } from './servers.js';

const n = Number(process.argv[2] ?? 10_000);
const DEADLINE = 120_000;

if (!hasErlang) process.stderr.write(`${NO_ERLANG}\n`);
const impls: Impl[] = hasErlang ? ['beamline', 'raw', 'erlang'] : ['beamline', 'raw'];
const figures = new Map<Impl, number>();
const rss = new Map<Impl, number>();
for (const impl of impls) {
  const server = await startServer(impl, 'echo');
  try {
    await server.command('BASE', 60_000);
    const sockets = await openIdle(server.port, n, 100, DEADLINE);
    try {
      const answer = await server.command(`MEMORY ${n}`, 60_000);
      const m = /^MEMORY (-?\d+)(?: RSS (-?\d+))?$/.exec(answer);
      if (m === null) throw new Error(`${impl} server: ${answer}`);
      figures.set(impl, Number(m[1]));
      if (m[2] !== undefined) rss.set(impl, Number(m[2]));
      process.stderr.write(`  ${impl}: ${m[1]} bytes/connection${m[2] === undefined ? '' : ` (resident set: ${m[2]})`}\n`);
    } finally {
      for (const s of sockets) s.destroy();
    }
  } finally {
    await server.stop();
  }
}

reportNet({
  scenario: `conn-memory-${n}`,
  metric: `${n.toLocaleString('en-US')} idle connections, each owned by a process`,
  unit: 'bytes/connection',
  higherIsBetter: false,
  beamline: figures.get('beamline')!,
  baseline: figures.get('raw')!,
  erlang: figures.get('erlang') ?? null,
  note: `resident set growth per connection (native memory included): Beamline ${rss.get('beamline')?.toLocaleString('en-US')}, raw Node ${rss.get('raw')?.toLocaleString('en-US')} bytes`,
});
