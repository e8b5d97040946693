/**
 * Keeps glibc from handing read buffers back to the kernel after every
 * garbage collection.
 *
 * A bulk receiver allocates new buffers as it reads (Node's stream path a
 * 64 KiB one per read; read-buffer.ts a 256 KiB block per four large
 * reads), and V8 frees the dead ones in batches, on a worker thread, after
 * each scavenge. When the batch
 * leaves the top of the C heap free, glibc trims it (`brk` down), and the
 * next reads grow it again page by page: measured on a Beamline bulk
 * receiver, about 2,000 `brk` calls and 100,000 page faults per GiB, half
 * the throughput. Whether a process falls into this was a lottery decided
 * by its start-up (a hand-written `node:net` server almost never did; the
 * same server with Beamline's modules loaded often did).
 *
 * glibc stops trimming that eagerly once the process has freed one large
 * mmapped block: it raises its mmap threshold to that block's size (up to
 * 32 MiB on 64-bit, 512 KiB on 32-bit, where this does nothing) and its
 * trim threshold to twice that. Allocating one 24 MiB ArrayBuffer and
 * dropping it does this when a coming GC frees it. Its pages are never
 * touched, so it costs no memory by itself. The costs: each glibc arena
 * (the main thread's, and one per busy worker thread) keeps up to 48 MiB of
 * freed heap for reuse instead of returning it, and allocations from
 * 128 KiB to 24 MiB come from the heap rather than from mmap, where
 * fragmentation can hold on to them. Setting `MALLOC_TRIM_THRESHOLD_` or
 * `MALLOC_MMAP_THRESHOLD_` in the environment turns glibc's adjustment off,
 * and with it this.
 *
 * Measured on the bulk receiver (strace, 1 GiB after idle gaps): no `brk`
 * call in 7 of 7 processes and about 2,000 page faults per GiB; with 8 MiB
 * one process in three still trimmed, with 2 MiB most did. Elsewhere than
 * glibc it is one short-lived allocation and nothing else.
 */

/** Under glibc's 32 MiB ceiling for the adjustment (a block past it changes nothing). */
const BLOCK = 24 * 2 ** 20;
let done = false;

/** Once per process, at the first socket. */
export function raiseTrimThreshold(): void {
  if (done) return;
  done = true;
  try {
    // Dropped at once: what matters is glibc seeing it freed.
    void new ArrayBuffer(BLOCK);
  } catch {
    // Under a tight memory limit (ulimit -v, no overcommit) the socket matters more than this.
  }
}
