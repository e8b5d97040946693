/**
 * The Beamline servers of the network benchmarks, written as the Erlang ones
 * are (erlang/net_bench.escript): a listen socket owned by the main process,
 * a pool of acceptor processes, one process per connection that owns it.
 *
 * Usage: `server-beamline.ts echo | bulk-active <bytes> | bulk-passive <bytes> | accept`.
 * See servers.ts for the control protocol.
 */
import { _, receive, run, spawn } from '@beamline/runtime';
import * as gen_tcp from '@beamline/gen-tcp';
import { port, setopts, type ListenSocket, type TcpSocket } from '@beamline/gen-tcp';
import { serveControl } from './control.js';

const [scenario = '', arg] = process.argv.slice(2);
/** `{active, N}` for bulk-active, as in the Erlang server. */
const ACTIVE_N = 100;
let open = 0;

/** `{packet, 4}` echo, `{active, once}`: one message at a time. */
async function echo(s: TcpSocket): Promise<void> {
  for (;;) {
    setopts(s, [['active', 'once']]);
    const m = await receive(['tcp', s, _], ['tcp_closed', s]);
    if (m[0] === 'tcp_closed') return;
    const sent = gen_tcp.send(s, m[2] as Buffer);
    if (sent !== 'ok' && (await sent) !== 'ok') return;
  }
}

/** Counts one bulk transfer in `{active, N}` and acknowledges with one byte when all is in. */
async function bulkActive(s: TcpSocket): Promise<void> {
  const total = Number(arg);
  let count = 0;
  setopts(s, [['active', ACTIVE_N]]);
  for (;;) {
    const m = await receive(['tcp', s, _], ['tcp_passive', s], ['tcp_closed', s]);
    if (m[0] === 'tcp') {
      count += (m[2] as Buffer).length;
      if (count === total) gen_tcp.send(s, 'k');
    } else if (m[0] === 'tcp_passive') {
      setopts(s, [['active', ACTIVE_N]]);
    } else {
      return;
    }
  }
}

/** The same with passive `recv(s, 0)`. */
async function bulkPassive(s: TcpSocket): Promise<void> {
  const total = Number(arg);
  let count = 0;
  for (;;) {
    const r = await gen_tcp.recv(s, 0);
    if (r[0] === 'error') return;
    count += (r[1] as Buffer).length;
    if (count === total) gen_tcp.send(s, 'k');
  }
}

type Handler = (s: TcpSocket) => Promise<void>;

/** Runs a connection's handler, counting the connections held (for `MEMORY`). */
async function connection(handler: Handler, s: TcpSocket): Promise<void> {
  open++;
  try {
    await handler(s);
  } finally {
    open--;
    gen_tcp.close(s);
  }
}

/** An acceptor: accept, hand the socket to a new process, accept again. */
async function acceptor(l: ListenSocket, handler: Handler): Promise<void> {
  for (;;) {
    const r = await gen_tcp.accept(l);
    if (r[0] === 'error') return;
    const s = r[1];
    gen_tcp.controllingProcess(s, spawn(connection, handler, s));
  }
}

/** The accept-rate server: accept and close at once. */
async function closer(l: ListenSocket): Promise<void> {
  for (;;) {
    const r = await gen_tcp.accept(l);
    if (r[0] === 'error') return;
    gen_tcp.close(r[1]);
  }
}

await run(async () => {
  const packet = scenario === 'echo' ? 4 : 0;
  const listened = await gen_tcp.listen(0, ['binary', ['packet', packet], ['active', false], ['ip', [127, 0, 0, 1]], ['backlog', 1024]]);
  if (listened[0] === 'error') throw new Error(`listen: ${listened[1]}`);
  const l = listened[1];
  switch (scenario) {
    case 'echo':
      for (let i = 0; i < 4; i++) spawn(acceptor, l, echo);
      break;
    case 'bulk-active':
      spawn(acceptor, l, bulkActive);
      break;
    case 'bulk-passive':
      spawn(acceptor, l, bulkPassive);
      break;
    case 'accept':
      for (let i = 0; i < 8; i++) spawn(closer, l);
      break;
    default:
      throw new Error(`unknown scenario ${scenario}`);
  }
  const p = port(l);
  if (p[0] === 'error') throw new Error('no port');
  serveControl(p[1], () => open);
  // The main process owns the listen socket: it lives until stdin closes.
  await receive();
});
