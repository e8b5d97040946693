/**
 * The "beamline pool" server of the network benchmarks: the same protocols
 * as server-beamline.ts, served through the acceptor pool (`pool`, Ranch's
 * model) instead of a hand-written acceptor loop. Each connection gets a
 * supervised process that takes the socket with `handshake`, as a Ranch
 * protocol does; the listener's defaults otherwise (10 acceptors unless the
 * scenario says, maxConnections 1024).
 *
 * Usage: `server-pool.ts accept`. See servers.ts for the control protocol.
 */
import { receive, run } from '@beamline/runtime';
import * as gen_tcp from '@beamline/gen-tcp';
import { pool, type ListenerRef } from '@beamline/gen-tcp';
import { serveControl } from './control.js';

const [scenario = ''] = process.argv.slice(2);
let open = 0;

/** The accept-rate protocol: take the socket and close it at once. */
async function closeAtOnce(ref: ListenerRef): Promise<void> {
  const s = await pool.handshake(ref);
  gen_tcp.close(s);
}

await run(async () => {
  if (scenario !== 'accept') throw new Error(`unknown scenario ${scenario}`);
  const started = await pool.startListener(
    'bench',
    { numAcceptors: 8, socketOptions: [['ip', [127, 0, 0, 1]], ['backlog', 1024]] },
    closeAtOnce,
  );
  if (started[0] === 'error') throw new Error(`startListener: ${String(started[1])}`);
  const port = pool.getPort('bench');
  if (port === undefined) throw new Error('no port');
  serveControl(port, () => open);
  // The listener lives under the pool's supervisor; this process only keeps the script alive until stdin closes.
  await receive();
});
