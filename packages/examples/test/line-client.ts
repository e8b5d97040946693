/**
 * A plain `node:net` client for the line-based chat tests: it knows nothing
 * of Beamline, so the server is checked from the outside. Every wait is
 * bounded.
 */
import { connect, type Socket } from 'node:net';

export class LineClient {
  private buffered = '';
  private readonly lines: string[] = [];
  private wake: (() => void) | null = null;
  /** Resolves when the server closed the connection (or it was reset). */
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffered += chunk;
      let nl: number;
      while ((nl = this.buffered.indexOf('\n')) >= 0) {
        this.lines.push(this.buffered.slice(0, nl));
        this.buffered = this.buffered.slice(nl + 1);
      }
      this.wake?.();
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
    void this.closed.then(() => this.wake?.());
  }

  static connect(port: number): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new LineClient(socket)));
      socket.once('error', reject);
    });
  }

  send(line: string): void {
    this.socket.write(`${line}\n`);
  }

  /** The next line the server sent; rejects after `ms`, or if the connection closes first. */
  async next(ms = 3000): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const line = this.lines.shift();
      if (line !== undefined) return line;
      if (this.socket.destroyed || this.socket.readableEnded) throw new Error(`connection closed while waiting for a line (partial: ${JSON.stringify(this.buffered)})`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no line within ${ms} ms`);
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

  /** The next `n` lines. */
  async take(n: number, ms = 3000): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(await this.next(ms));
    return out;
  }

  /** Sends `line` and returns the first line of the answer. */
  async ask(line: string, ms = 3000): Promise<string> {
    this.send(line);
    return await this.next(ms);
  }

  /** Lines already received and not yet taken, without waiting. */
  pending(): string[] {
    return [...this.lines];
  }

  /** Resolves when nothing more arrived during `ms` (and fails the caller's check otherwise). */
  async quiet(ms = 150): Promise<string[]> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return this.pending();
  }

  end(): void {
    this.socket.end();
  }

  /** Kills the connection with a reset, as a crashed client host would. */
  reset(): void {
    this.socket.resetAndDestroy();
  }
}
