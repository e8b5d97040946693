/**
 * HTTP/1.1 responses: a status, headers and a body, turned into the iodata
 * `gen_tcp:send/2` takes (the head as one string, the body as it is).
 */
import type { IoData } from '@beamline/gen-tcp';

export interface Response {
  readonly status: number;
  /** Extra headers; Content-Length, Date, Server and Connection are added by `serialise`. */
  readonly headers?: readonly (readonly [string, string])[];
  readonly body?: Buffer | string;
}

export const REASONS: Readonly<Record<number, string>> = {
  100: 'Continue',
  200: 'OK',
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Content Too Large',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  505: 'HTTP Version Not Supported',
};

/** A text/plain response. */
export function text(status: number, body: string, headers: readonly (readonly [string, string])[] = []): Response {
  return { status, headers: [['Content-Type', 'text/plain; charset=utf-8'], ...headers], body };
}

/**
 * The bytes of `response`. `keepAlive` says which `Connection` header to
 * send; `head` leaves the body out (an answer to HEAD) but keeps its length.
 */
export function serialise(response: Response, options: { keepAlive: boolean; head?: boolean }): IoData {
  const body = typeof response.body === 'string' ? Buffer.from(response.body) : (response.body ?? Buffer.alloc(0));
  const lines = [
    `HTTP/1.1 ${response.status} ${REASONS[response.status] ?? 'Unknown'}`,
    ...(response.headers ?? []).map(([name, value]) => `${name}: ${value}`),
    `Content-Length: ${body.length}`,
    `Date: ${new Date().toUTCString()}`,
    'Server: beamline-examples',
    `Connection: ${options.keepAlive ? 'keep-alive' : 'close'}`,
  ];
  const head = `${lines.join('\r\n')}\r\n\r\n`;
  return options.head === true || body.length === 0 ? head : [head, body];
}
