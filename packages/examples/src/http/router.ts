/**
 * What the example server answers. Plain functions from a request to a
 * response, so that the connection process stays about the protocol.
 *
 *   GET  /        200 "Hello from Beamline!"
 *   GET  /conn    200 "connection N request K": which connection served
 *                 this request and how many it has served, to see keep-alive
 *   POST /echo    200 the request body, with the request's Content-Type
 *   HEAD          as GET, without the body
 *   a known path with another method: 405 with Allow; anything else: 404
 */
import { header, type Request } from './request.js';
import { text, type Response } from './response.js';

/** What the connection knows about itself, for /conn. */
export interface ConnectionInfo {
  readonly connection: number;
  readonly request: number;
}

type Handler = (request: Request, info: ConnectionInfo) => Response;

const ROUTES: ReadonlyMap<string, ReadonlyMap<string, Handler>> = new Map([
  ['/', new Map([['GET', () => text(200, 'Hello from Beamline!\n')]])],
  ['/conn', new Map([['GET', (_r: Request, info: ConnectionInfo) => text(200, `connection ${info.connection} request ${info.request}\n`)]])],
  [
    '/echo',
    new Map([
      [
        'POST',
        (r: Request): Response => ({
          status: 200,
          headers: [['Content-Type', header(r, 'content-type')[0] ?? 'application/octet-stream']],
          body: r.body,
        }),
      ],
    ]),
  ],
]);

export function route(request: Request, info: ConnectionInfo): Response {
  const methods = ROUTES.get(request.path);
  if (methods === undefined) return text(404, `no such path: ${request.path}\n`);
  // HEAD is GET without the body (the connection leaves the body out).
  const handler = methods.get(request.method === 'HEAD' ? 'GET' : request.method);
  if (handler === undefined) {
    const allow = [...methods.keys(), ...(methods.has('GET') ? ['HEAD'] : [])].join(', ');
    return text(405, `${request.method} is not allowed on ${request.path}\n`, [['Allow', allow]]);
  }
  return handler(request, info);
}
