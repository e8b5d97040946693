/**
 * A raw HTTP/1.1 client over node:net for the server tests: it writes bytes
 * exactly as given (several requests in one write, requests cut anywhere)
 * and reads responses one by one from the byte stream. It parses only what
 * the example server sends: a status line, headers, a Content-Length body.
 */
import { connect, type Socket } from 'node:net';

export interface RawResponse {
  readonly status: number;
  readonly reason: string;
  /** Lower-cased names. */
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Buffer;
}

export class RawHttp {
  private buffered = Buffer.alloc(0);
  private wake: (() => void) | null = null;
  private ended = false;
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.wake?.();
    });
    socket.on('error', () => {});
    socket.on('end', () => {
      this.ended = true;
      this.wake?.();
    });
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
    void this.closed.then(() => {
      this.ended = true;
      this.wake?.();
    });
  }

  static connect(port: number): Promise<RawHttp> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new RawHttp(socket)));
      socket.setNoDelay(true);
      socket.once('error', reject);
    });
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Whether the server has closed its side, once what it sent was read. */
  get serverClosed(): boolean {
    return this.ended && this.buffered.length === 0;
  }

  /** The next response (to a HEAD request with `head`: no body); rejects after `ms` or when the connection ends first. */
  async response(ms = 3000, head = false): Promise<RawResponse> {
    const deadline = Date.now() + ms;
    for (;;) {
      const parsed = this.parse(head);
      if (parsed !== null) return parsed;
      if (this.ended) throw new Error(`the connection ended before a whole response; got ${JSON.stringify(this.buffered.toString('latin1'))}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no whole response within ${ms} ms; got ${JSON.stringify(this.buffered.toString('latin1'))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  /** Resolves once the server closed the connection; rejects after `ms`. */
  async waitClosed(ms = 3000): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.closed,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the server did not close within ${ms} ms`)), ms);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /** Takes one response off the buffer, or null if it is not all there. */
  private parse(head: boolean): RawResponse | null {
    const end = this.buffered.indexOf('\r\n\r\n');
    if (end < 0) return null;
    const [statusLine = '', ...headerLines] = this.buffered.subarray(0, end).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.1 (\d{3}) (.*)$/.exec(statusLine);
    if (m === null) throw new Error(`bad status line ${JSON.stringify(statusLine)}`);
    const headers = new Map<string, string>();
    for (const line of headerLines) {
      const colon = line.indexOf(':');
      headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
    }
    const status = Number(m[1]);
    // 1xx responses and answers to HEAD have no body; every other answer of this server has a Content-Length.
    const length = status < 200 || head ? 0 : Number(headers.get('content-length') ?? NaN);
    if (!Number.isInteger(length)) throw new Error(`no Content-Length in ${JSON.stringify(statusLine)}`);
    if (this.buffered.length < end + 4 + length) return null;
    const body = Buffer.from(this.buffered.subarray(end + 4, end + 4 + length));
    this.buffered = this.buffered.subarray(end + 4 + length);
    return { status, reason: m[2] as string, headers, body };
  }
}
