/**
 * One process per HTTP connection: read a request, answer it, and go round
 * again while the connection is kept alive. Requests are read one after the
 * other from the socket, so pipelined requests (several sent before any
 * answer) are answered in order without doing anything special.
 *
 * Keep-alive, as RFC 9112 (9.3) has it: an HTTP/1.1 connection stays open
 * unless either side says `Connection: close`; an HTTP/1.0 one closes after
 * the answer unless the client said `Connection: keep-alive`. A refused
 * request (400, 408, 413, 431, 501, 505) is answered and the connection
 * closed. An idle connection is closed after `idleTimeout`.
 */
import * as gen_tcp from '@beamline/gen-tcp';
import { setopts, type TcpSocket } from '@beamline/gen-tcp';
import { hasToken, readRequest, type Limits, type Request } from './request.js';
import { serialise, text } from './response.js';
import { route } from './router.js';

export interface ConnectionOptions extends Limits {
  /** How long a kept-alive connection may stay idle between requests (ms). */
  readonly idleTimeout: number;
}

/** Serves the connection until it closes; the caller owns nothing afterwards (the socket is closed). */
export async function serveConnection(socket: TcpSocket, id: number, options: ConnectionOptions): Promise<void> {
  for (let served = 0; ; ) {
    const read = await readRequest(socket, options.idleTimeout, options);
    if (read[0] === 'closed') break;
    if (read[0] === 'refuse') {
      const [, status, message, bodyUnread] = read;
      await gen_tcp.send(socket, serialise(text(status, `${message}\n`), { keepAlive: false }));
      if (bodyUnread) await lingeringClose(socket);
      break;
    }
    const request = read[1];
    served += 1;
    const keepAlive = wantsKeepAlive(request);
    const response = route(request, { connection: id, request: served });
    const sent = await gen_tcp.send(socket, serialise(response, { keepAlive, head: request.method === 'HEAD' }));
    if (sent !== 'ok' || !keepAlive) break;
  }
  gen_tcp.close(socket);
}

function wantsKeepAlive(request: Request): boolean {
  if (hasToken(request, 'connection', 'close')) return false;
  return request.version[1] >= 1 || hasToken(request, 'connection', 'keep-alive');
}

/**
 * Closing a socket with unread bytes makes the kernel send a reset, which
 * can destroy the answer before the client reads it. So when the client may
 * still be sending a body: stop writing, read and drop what comes for a
 * while (1 s, 1 MiB at most), then close.
 */
async function lingeringClose(socket: TcpSocket): Promise<void> {
  gen_tcp.shutdown(socket, 'write');
  setopts(socket, [['packet', 'raw']]);
  const deadline = Date.now() + 1000;
  for (let dropped = 0; dropped < 1 << 20; ) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    const r = await gen_tcp.recv(socket, 0, left);
    if (r[0] === 'error') break;
    dropped += (r[1] as Buffer).length;
  }
}
