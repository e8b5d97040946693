/**
 * Soak: a slow reader and fast writers on one loopback connection for ~30 s
 * (issue 5's fault test). Two writer processes send numbered chunks on the
 * same socket as fast as `send` lets them; the peer reads one chunk every
 * few milliseconds. The sender's queued output (`send_pend`) must never
 * exceed `high_watermark` plus one send, whatever the duration, and every
 * chunk must arrive once, whole and in each writer's order.
 *
 * Printed: sends, bytes, how many sends waited, the largest queue seen
 * against its bound, and the heap and Buffer memory at the start, at the
 * peak and at the end (after a GC when run with --expose-gc).
 *
 *   node --expose-gc --import tsx packages/gen-tcp/soak/slow-reader.ts
 *   (or: pnpm exec tsx packages/gen-tcp/soak/slow-reader.ts)
 * Environment: SLOW_READER_SECONDS (30), SLOW_READER_CHUNK (bytes per send,
 * 4096), SLOW_READER_DELAY_MS (pause between reads, 2).
 * Exits with 1 if the bound was passed, data was lost, repeated or out of
 * order, or the run overran its deadline.
 */
import { _, after, receive, run, self, send, sleep, spawn } from '@beamline/runtime';
import * as gen_tcp from '../src/index.ts';
import * as inet from '../src/inet.ts';
import type { TcpSocket } from '../src/index.ts';

const SECONDS = Number(process.env.SLOW_READER_SECONDS ?? 30);
const CHUNK = Number(process.env.SLOW_READER_CHUNK ?? 4096);
const DELAY_MS = Number(process.env.SLOW_READER_DELAY_MS ?? 2);
const WRITERS = 2;
const HEADER = 8; // writer number (4 bytes), sequence number (4 bytes)

if (!(SECONDS > 0) || !(CHUNK >= HEADER) || !(DELAY_MS >= 0)) {
  console.error('slow-reader: bad SLOW_READER_SECONDS, SLOW_READER_CHUNK or SLOW_READER_DELAY_MS');
  process.exit(2);
}

const gc = (globalThis as { gc?: () => void }).gc;
const mib = (n: number): string => `${(n / 1048576).toFixed(1)} MiB`;

interface Memory {
  heapUsed: number;
  arrayBuffers: number;
}
function memory(): Memory {
  gc?.();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers };
}

function ok<R extends readonly [string, unknown]>(result: R): Extract<R, readonly ['ok', unknown]>[1] {
  if (result[0] !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(result)}`);
  return result[1];
}

function queued(s: TcpSocket): number {
  return ok(inet.getstat(s, ['send_pend']))[0]![1];
}

const failures: string[] = [];
const deadline = setTimeout(() => {
  console.error(`slow-reader: still running ${SECONDS + 30} s after the start`);
  process.exit(1);
}, (SECONDS + 30) * 1000);

await run(async () => {
  const l = ok(await gen_tcp.listen(0, ['binary', ['ip', [127, 0, 0, 1]], ['active', false]]));
  const s = ok(await gen_tcp.connect([127, 0, 0, 1], ok(inet.port(l)), ['binary', ['active', false]]));
  const peer = ok(await gen_tcp.accept(l, 2000));
  gen_tcp.close(l);
  const [[, high], [, low]] = ok(inet.getopts(s, ['high_watermark', 'low_watermark'])) as [[string, number], [string, number]];
  const bound = Math.max(high, CHUNK) + CHUNK;
  const start = memory();
  let peak: Memory = { ...start };
  let maxQueued = 0;
  let waits = 0;
  const me = self();
  const until = performance.now() + SECONDS * 1000;

  const writers = Array.from({ length: WRITERS }, (_unused, w) =>
    spawn(async () => {
      let n = 0;
      for (; performance.now() < until; n++) {
        const data = Buffer.alloc(CHUNK, w + n);
        data.writeUInt32BE(w, 0);
        data.writeUInt32BE(n >>> 0, 4);
        const r = gen_tcp.send(s, data);
        maxQueued = Math.max(maxQueued, queued(s));
        if (r !== 'ok') {
          waits += 1;
          const result = await r;
          if (result !== 'ok') {
            failures.push(`writer ${w}: send ${n} answered ${JSON.stringify(result)}`);
            break;
          }
        }
      }
      send(me, ['wrote', w, n]);
    }),
  );

  const sampler = spawn(async () => {
    for (;;) {
      const m = memory();
      if (m.heapUsed > peak.heapUsed) peak = { ...peak, heapUsed: m.heapUsed };
      if (m.arrayBuffers > peak.arrayBuffers) peak = { ...peak, arrayBuffers: m.arrayBuffers };
      maxQueued = Math.max(maxQueued, queued(s));
      if ((await receive('stop', after(1000))) === 'stop') return;
    }
  });

  const reader = spawn(async () => {
    const next = new Array<number>(WRITERS).fill(0);
    let bytes = 0;
    for (;;) {
      const r = await gen_tcp.recv(peer, CHUNK, 10_000);
      if (r[0] !== 'ok') {
        send(me, ['read', bytes, next, r]);
        return;
      }
      const chunk = r[1] as Buffer;
      bytes += chunk.length;
      const w = chunk.readUInt32BE(0);
      const n = chunk.readUInt32BE(4);
      if (w >= WRITERS || n !== next[w]) {
        failures.push(`chunk ${n} of writer ${w} arrived when ${String(next[w])} was due`);
        send(me, ['read', bytes, next, 'out of order']);
        return;
      }
      next[w] = n + 1;
      if (DELAY_MS > 0) await sleep(DELAY_MS);
    }
  });

  const wrote = new Array<number>(WRITERS).fill(0);
  for (let i = 0; i < WRITERS; i++) {
    const m = await receive(['wrote', _, _], after((SECONDS + 20) * 1000));
    if (m === undefined) throw new Error('a writer did not finish');
    wrote[m[1] as number] = m[2] as number;
  }
  send(sampler, 'stop');
  await sleep(50);
  gen_tcp.close(s);
  const read = await receive(['read', _, _, _], after(60_000));
  gen_tcp.close(peer);
  // Let the closed sockets' buffers go before the last figures.
  await sleep(200);
  memory();
  await sleep(200);
  const end = memory();
  void writers;
  void reader;

  const total = wrote.reduce((a, b) => a + b, 0);
  console.log(`slow-reader: ${SECONDS} s, ${WRITERS} writers, ${CHUNK}-byte sends, a read every ${DELAY_MS} ms`);
  console.log(`  sends: ${total} (${mib(total * CHUNK)}), ${waits} waited on the busy socket`);
  console.log(`  watermarks: high ${high}, low ${low}; largest queue ${maxQueued} bytes (bound ${bound})`);
  console.log(`  heap used: start ${mib(start.heapUsed)}, peak ${mib(peak.heapUsed)}, end ${mib(end.heapUsed)}`);
  console.log(`  buffers:   start ${mib(start.arrayBuffers)}, peak ${mib(peak.arrayBuffers)}, end ${mib(end.arrayBuffers)}${gc ? '' : ' (run with --expose-gc for figures after GC)'}`);
  if (read === undefined) failures.push('the reader did not finish');
  else {
    const [, bytes, next, how] = read as readonly [string, number, number[], unknown];
    console.log(`  read: ${mib(bytes)}, ended with ${JSON.stringify(how)}`);
    if (JSON.stringify(how) !== JSON.stringify(['error', 'closed'])) failures.push(`the reader ended with ${JSON.stringify(how)}`);
    for (let w = 0; w < WRITERS; w++) {
      if (next[w] !== wrote[w]) failures.push(`writer ${w} sent ${wrote[w]} chunks, ${String(next[w])} arrived`);
    }
  }
  if (maxQueued > bound) failures.push(`the queue reached ${maxQueued} bytes, over ${bound}`);
  if (waits === 0) failures.push('no send ever waited: the reader was not slow enough to test anything');
});

clearTimeout(deadline);
if (failures.length > 0) {
  for (const f of failures) console.error(`slow-reader: FAILED: ${f}`);
  process.exit(1);
}
console.log('slow-reader: passed');
process.exit(0);
