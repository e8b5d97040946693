/**
 * Reading one HTTP/1.x request from a passive socket in `{packet, http_bin}`
 * mode: `recv(S, 0)` gives the request line as
 * `['http_request', Method, Uri, Version]`, then one `['http_header', …]`
 * per header, then `'http_eoh'`. A body of `Content-Length` bytes is read in
 * `{packet, raw}` mode with `recv(S, Length)`, and the socket goes back to
 * `http_bin` for the next request. The socket keeps whatever the client
 * already sent after this request (pipelining): the next call reads it.
 *
 * Everything that can go wrong is a value: the connection ended (`closed`),
 * or the request is refused with a status (`['refuse', …]`) and the
 * connection is to be closed after the answer.
 */
import * as gen_tcp from '@beamline/gen-tcp';
import { setopts, type HttpPacket, type TcpSocket } from '@beamline/gen-tcp';

export interface Request {
  readonly method: string;
  /** The path of the request target, without its query; `*` for `OPTIONS *`. */
  readonly path: string;
  /** What follows `?` in the target, or ''. */
  readonly query: string;
  readonly version: readonly [major: number, minor: number];
  /** In arrival order, names lower-cased, values as Latin-1 text (the bytes as they came). */
  readonly headers: readonly (readonly [name: string, value: string])[];
  readonly body: Buffer;
}

export interface Limits {
  /** Largest body accepted; more is 413. */
  readonly maxBody: number;
  /** Most header lines accepted; more is 431. */
  readonly maxHeaders: number;
  /** How long a request may take to arrive once it has started (ms); then 408. */
  readonly requestTimeout: number;
}

export type ReadResult =
  | readonly ['ok', Request]
  /** The connection ended, or stayed idle past `idleTimeout`, between requests: nothing to answer. */
  | readonly ['closed', reason: string]
  /** Answer `status` and close; `bodyUnread` when the client may still be sending a body. */
  | readonly ['refuse', status: number, message: string, bodyUnread: boolean];

/** The values of header `name` (lower case), in order. */
export function header(request: Pick<Request, 'headers'>, name: string): string[] {
  return request.headers.filter(([n]) => n === name).map(([, v]) => v);
}

/** Does the comma-separated header `name` hold `token` (case-insensitive)? */
export function hasToken(request: Pick<Request, 'headers'>, name: string, token: string): boolean {
  return header(request, name).some((v) => v.split(',').some((t) => t.trim().toLowerCase() === token));
}

/** Header names OTP knows come as strings; the rest, and every value, as Buffers in http_bin mode. */
const text = (s: string | Buffer | number[]): string =>
  typeof s === 'string' ? s : (Buffer.isBuffer(s) ? s : Buffer.from(s)).toString('latin1');

/**
 * Reads the next request. `idleTimeout` bounds the wait for its first line;
 * `limits.requestTimeout` each wait after that.
 */
export async function readRequest(socket: TcpSocket, idleTimeout: number, limits: Limits): Promise<ReadResult> {
  // The request line. Empty lines before it are skipped, as RFC 9112 (2.2) asks of a server.
  let line: HttpPacket | undefined;
  for (let blank = 0; ; blank++) {
    const r = await gen_tcp.recv(socket, 0, idleTimeout);
    if (r[0] === 'error') return ['closed', r[1]];
    line = r[1] as HttpPacket;
    const isBlank = Array.isArray(line) && line[0] === 'http_error' && /^\r?\n$/.test(text(line[1] as Buffer));
    if (!isBlank || blank === 4) break;
  }
  if (!Array.isArray(line) || line[0] !== 'http_request') {
    // A garbled request line leaves the socket reading request lines: say 400 and close.
    return ['refuse', 400, 'bad request line', false];
  }
  const [, method, uri, version] = line;
  const target = requestTarget(uri);
  if (target === null) return ['refuse', 400, 'unsupported request target', false];

  const headers: (readonly [string, string])[] = [];
  for (;;) {
    const r = await gen_tcp.recv(socket, 0, limits.requestTimeout);
    if (r[0] === 'error') return r[1] === 'timeout' ? ['refuse', 408, 'request headers too slow', false] : ['closed', r[1]];
    const h = r[1] as HttpPacket;
    if (h === 'http_eoh') break;
    if (!Array.isArray(h) || h[0] !== 'http_header') return ['refuse', 400, 'bad header line', false];
    if (headers.length === limits.maxHeaders) return ['refuse', 431, 'too many header lines', false];
    headers.push([text(h[2]).toLowerCase(), text(h[4])]);
  }

  const request = { method: text(method), ...target, version, headers, body: Buffer.alloc(0) };
  if (version[0] !== 1) return ['refuse', 505, `HTTP/${version[0]}.${version[1]} is not supported`, false];
  if (header(request, 'transfer-encoding').length > 0) return ['refuse', 501, 'transfer codings are not supported; send a Content-Length', true];
  const lengths = [...new Set(header(request, 'content-length').flatMap((v) => v.split(',').map((x) => x.trim())))];
  if (lengths.length > 1 || (lengths.length === 1 && !/^\d{1,15}$/.test(lengths[0] as string))) {
    return ['refuse', 400, 'bad Content-Length', true];
  }
  const length = lengths.length === 1 ? Number(lengths[0]) : 0;
  if (length > limits.maxBody) return ['refuse', 413, `the body is over ${limits.maxBody} bytes`, true];
  if (length === 0) return ['ok', request];

  // The client may wait for a go-ahead before it sends the body (curl does for large ones).
  if (version[1] >= 1 && hasToken(request, 'expect', '100-continue')) {
    const sent = await gen_tcp.send(socket, 'HTTP/1.1 100 Continue\r\n\r\n');
    if (sent !== 'ok') return ['closed', sent[1]];
  }
  setopts(socket, [['packet', 'raw']]);
  const body = await gen_tcp.recv(socket, length, limits.requestTimeout);
  if (body[0] === 'error') return body[1] === 'timeout' ? ['refuse', 408, 'request body too slow', true] : ['closed', body[1]];
  setopts(socket, [['packet', 'http_bin']]);
  return ['ok', { ...request, body: body[1] as Buffer }];
}

/** The path and query of a request target, or null for a form this server does not take. */
function requestTarget(uri: Extract<HttpPacket, readonly ['http_request', ...unknown[]]>[2]): { path: string; query: string } | null {
  // (Array.isArray does not narrow to readonly tuples, so the checks read element 0 through unknown.)
  const tuple: readonly unknown[] | null = Array.isArray(uri) ? (uri as readonly unknown[]) : null;
  let target: string;
  if (uri === '*') target = '*';
  else if (tuple?.[0] === 'abs_path') target = text(tuple[1] as Buffer);
  else if (tuple?.[0] === 'absoluteURI') target = text(tuple[4] as Buffer);
  else return null;
  const q = target.indexOf('?');
  return q < 0 ? { path: target, query: '' } : { path: target.slice(0, q), query: target.slice(q + 1) };
}
