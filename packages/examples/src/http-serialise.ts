/**
 * Bytes for an HTTP packet term: what an echo server sends back so that a
 * peer reading with the same packet type (`http`, `http_bin`, `httph`,
 * `httph_bin`) decodes the very term the server received.
 *
 * The bytes are not always the ones the peer sent (runs of spaces become
 * one, `HTTP://` becomes `http://`, a port past 32 bits is written wrapped),
 * but decoding them gives the same term; `test/http-serialise.test.ts`
 * checks that against `decodePacket` for hand-picked lines and for the
 * 800 random lines OTP 25 generated for the gen-tcp fixtures.
 *
 * - a request: `Method SP Uri SP HTTP/Major.Minor CRLF`, without the
 *   version for HTTP/0.9 (a request line without one is how 0.9 is said);
 * - a response: `HTTP/Major.Minor SP Status [SP Reason] CRLF`;
 * - a header: `Field: Value CRLF`, with the field as received (OTP's
 *   `UnmodifiedField`, not the normalised name) and the value as parsed
 *   (folded lines keep their CRLF and leading space, so they fold again);
 * - `http_eoh`: the empty line, CRLF;
 * - `http_error`: the offending line as received, its line end included.
 */
import type { HttpPacket, HttpString } from '@beamline/gen-tcp';

type Uri = Extract<HttpPacket, readonly ['http_request', ...unknown[]]>[2];

const CRLF = Buffer.from('\r\n');

/** The bytes of an `HttpString`: list strings are Latin-1 bytes, as on the wire. */
function bytes(s: HttpString): Buffer {
  return Buffer.isBuffer(s) ? s : Buffer.from(s);
}

/**
 * An integer as OTP's parser would read it back: the parser wraps at 32
 * bits (C `int`), so a negative value came from digits past 2^31 and is
 * written unsigned, which wraps back to the same value.
 */
function decimal(n: number): string {
  return String(n >>> 0);
}

function version([major, minor]: readonly [number, number]): string {
  return `HTTP/${decimal(major)}.${decimal(minor)}`;
}

/** A string URI: a Buffer, or a list of bytes (a tagged URI starts with its tag, a JS string). */
function isStringUri(uri: Uri): uri is Extract<Uri, HttpString> {
  return Buffer.isBuffer(uri) || (Array.isArray(uri) && typeof uri[0] === 'number');
}

function uriBytes(uri: Uri): Buffer {
  if (uri === '*') return Buffer.from('*');
  if (isStringUri(uri)) return bytes(uri);
  const tagged = uri as Exclude<Uri, '*' | HttpString>;
  switch (tagged[0]) {
    case 'abs_path':
      return bytes(tagged[1]);
    case 'scheme':
      return Buffer.concat([bytes(tagged[1]), Buffer.from(':'), bytes(tagged[2])]);
    case 'absoluteURI': {
      const [, scheme, host, port, path] = tagged;
      const portPart = port === undefined ? '' : `:${decimal(port)}`;
      return Buffer.concat([Buffer.from(`${scheme}://`), bytes(host), Buffer.from(portPart), bytes(path)]);
    }
  }
}

/**
 * The bytes that decode to `packet` with the packet type it came from.
 * Throws a `TypeError` for something that is not an HTTP packet term.
 */
export function serialiseHttp(packet: HttpPacket): Buffer {
  if (packet === 'http_eoh') return CRLF;
  switch (packet[0]) {
    case 'http_request': {
      const [, method, uri, v] = packet;
      const parts = [typeof method === 'string' ? Buffer.from(method) : bytes(method), Buffer.from(' '), uriBytes(uri)];
      // {0, 9} is what a request line without a version parses to.
      if (!(v[0] === 0 && v[1] === 9)) parts.push(Buffer.from(` ${version(v)}`));
      parts.push(CRLF);
      return Buffer.concat(parts);
    }
    case 'http_response': {
      const [, v, status, reason] = packet;
      const text = bytes(reason);
      const head = Buffer.from(`${version(v)} ${decimal(status)}${text.length > 0 ? ' ' : ''}`);
      return Buffer.concat([head, text, CRLF]);
    }
    case 'http_header': {
      const [, , , rawField, value] = packet;
      return Buffer.concat([bytes(rawField), Buffer.from(': '), bytes(value), CRLF]);
    }
    case 'http_error':
      return bytes(packet[1]);
    default:
      throw new TypeError(`not an HTTP packet: ${String(packet)}`);
  }
}
