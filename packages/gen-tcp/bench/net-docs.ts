/**
 * The text docs/benchmarks.md gives the network scenarios (bench/run.ts
 * writes it with the table): how they are measured, how to add the Erlang
 * column, and how to read the figures.
 */

/** One bullet for the list of how things are measured. */
export const networkMethod = `- The network scenarios (\`pingpong-*\`, \`bulk-*\`, \`accept\`, \`accept-pool\`, \`conn-memory-*\`, scripts in \`packages/gen-tcp/bench/\`) run three servers of the same protocol, each in its own OS process, started one after the other: Beamline (\`server-beamline.ts\`, run with \`node --import tsx\`), a hand-written raw \`node:net\` server (\`server-raw.ts\`, the physical limit for Node) and Erlang/OTP (\`erlang/net_bench.escript\`, compiled, default emulator flags). One load generator, a plain \`node:net\` client in the scenario's own process (\`client.ts\`), drives all three over 127.0.0.1 (the \`accept\` run has a fourth server, \`server-pool.ts\`, for the \`accept-pool\` row). After a warm-up run against each server, the servers take turns within each round so that all three see the same machine state, each round starting one server further on (Beamline, raw, Erlang; then raw, Erlang, Beamline; …) so that none is always first, and each turn starting after half a second of quiet so that what the server before it left running (Erlang's schedulers busy-wait for a while after work) does not fall into it, and each figure is the median of its rounds: 9 for ping-pong, 5 for accept (\`BENCH_ROUNDS=15 pnpm bench pingpong\` for other counts). Fewer rounds left too much to chance on this machine: with 3, two runs 25 minutes apart put pingpong-50's p50 at 1.03× and 0.81× of raw's; with 5, four full runs on 2026-11-25 (with small read-path changes between them) put pingpong-50 between 0.87× and 1.26× of raw. The bulk rows take 11 rounds, each with new server processes, warmed up by two transfers (see "Bulk" below). The "plain Node" column of these rows is the raw \`node:net\` server.`;

/** The section on the network scenarios. */
export const networkSection = `## The network scenarios

Every server is written the way its platform's users write it. Beamline and
Erlang: the main process owns the listen socket, a pool of acceptor processes
accepts, each connection gets its own process, handed the socket with
\`controllingProcess\` / \`controlling_process\`. Raw Node: a \`'connection'\`
handler and a \`'data'\` handler per socket.

| scenario | protocol | client | server |
| --- | --- | --- | --- |
| \`pingpong-1\`, \`pingpong-50\` | \`{packet,4}\`, 64-byte messages echoed | 1 or 50 connections, one message in flight on each, 200,000 round trips in all; rate and the p50/p99 round trip | 4 acceptors; per connection \`setopts(s, [['active', 'once']])\`, \`receive\`, \`send\` |
| \`bulk-active\`, \`bulk-passive\` | \`{packet,0}\`, 1 GiB in 64 KiB writes on one connection | writes with backpressure, times until the server's one-byte acknowledgement | receiver counting bytes in \`{active, 100}\` (re-armed on \`tcp_passive\`) or in a \`recv(s, 0)\` loop; raw Node: a \`'data'\` handler for both |
| \`bulk-*-b64k\` | the same run | | Erlang with \`{buffer, 65536}\` instead of its default buffer |
| \`accept\` | connect, then close | 20,000 cycles, 8 in flight; a cycle ends when the client sees the server's close | 8 acceptors that accept and close at once (raw Node: \`destroy()\` in the \`'connection'\` handler) |
| \`accept-pool\` | the same run | | Beamline through the acceptor pool (\`server-pool.ts\`): \`pool.startListener\` with 8 acceptors, a supervised process per connection that takes the socket with \`pool.handshake\` and closes it; no Erlang figure (its server is no Ranch) |
| \`conn-memory-10000\` | the ping-pong server, idle | opens 10,000 connections and keeps them | reports its own memory over what it held before: \`heapUsed + external\` after GC for Node, \`erlang:memory(total)\` for Erlang, per connection. Node's figure leaves out native memory (libuv handles, socket wraps) that Erlang's total counts for its ports; the notes give the Node servers' resident set growth, which counts it |

Why this shape:
- Fairness on a 2-core machine: client and server each have a core; the three
  servers never run at the same time (an idle server takes no CPU) and take
  turns round by round; the client is the same code for all three.
- The servers close the accept-rate connections, so the TIME_WAIT lands on the
  server's side and the client's ephemeral ports (32768-60999 here) are free
  again at once; 20,000 cycles a round never run out of them.
- Every client loop is bounded by a count and a deadline; a server that stops
  answering fails the run instead of hanging it. A server exits when its stdin
  closes, so a failed scenario takes its servers with it.
- Bulk: each round starts new servers and warms each up with two
  transfers, so that the median is over processes rather than over the
  transfers of one process. A process's bulk rate used to depend on how its
  C heap settled at start-up: Node allocates a 64 KiB buffer per read, V8
  frees the dead ones in batches after each scavenge, and when a batch left
  the top of the heap free glibc trimmed it and the next reads faulted it
  back in. strace counted 2,000-2,400 \`brk\` calls and about 100,000 page
  faults per GiB in most Beamline server processes, against 0-25 \`brk\` for
  the raw server; a raw server that merely loaded Beamline's modules fell
  into it in some processes too. Since gen-tcp frees one 24 MiB block at
  its first socket (\`heap-trim.ts\`: glibc then raises its trim threshold
  to 48 MiB), Beamline's servers made no \`brk\` call in 7 of 7 processes
  and about 2,000 page faults per GiB, as raw Node's do (the round lines
  print each server's faults), and in one long-lived process Beamline's
  later transfers ran at raw Node's rate (2,765-3,418 against 2,668-2,913
  MB/s). Large reads now go into gen-tcp's own blocks (next bullet). In
  twelve bench runs after that, bulk-active ran at 0.71-0.98× raw Node and
  bulk-passive at 0.85-1.08× (eleven runs). The last two, with 11 rounds
  and the read fast path of the next bullet, had them at 0.80× and 0.91×,
  then (this page) 0.93× and 1.08×; in both, Beamline's bulk-active turn
  was behind raw Node's in most rounds (8 and 9 of the 11), so this page's
  0.93× is near the 0.9× line rather than clear of it. Where a receiver's CPU goes: two
  processes of each, seven 1 GiB transfers each, read from \`/proc\`;
  Beamline's \`{active, 100}\` server took 290-380 ms of system and 60-180
  ms of user CPU per GiB, raw Node's 270-360 and 100-200, at rates from
  1,610 to 2,892 MB/s for both. The spread is mostly the kernel's: on
  loopback the receiver's \`read\` also does the sender's transmit work
  when the window was closed. In one perf run Beamline's \`read\` calls
  took 33% more samples than raw Node's, though strace counted about as
  many read calls for each in equal windows (36,841 and 36,883).
- Reads: Beamline's servers read through gen-tcp's own buffers
  (\`read-buffer.ts\`, Node's \`onread\` mechanism), the raw server through
  \`'data'\` events, as Node users write it. On the \`pingpong-50\` server
  (perf, 150,000 round trips) this took the server's CPU samples from
  9,948 to 5,606; raw Node's were 3,886-6,467 in runs of the same hour.
  Before that, not passing a callback to \`net.write\` (Node schedules a
  \`nextTick\` per write that has one) took them from 12,238 to 9,948.
  A short read is lent to the socket rather than copied, and one that is
  exactly one packet wanted now (every ping-pong message) is copied out
  once, as that packet, without passing through the framer
  (\`socket.ts#socketOnLent\`). Measured with the servers before and after
  it running at the same time, so that both see the same machine state (10
  × 100,000 round trips at 50 connections), it took the server's user CPU
  per round trip from 6.82 to 6.52 µs (mean of the rounds) and its rate up
  2.5%.
- Ping-pong with one connection is bound by latency: a round trip is
  about 40-60 µs here, most of it the two sides' \`write\` calls and wake-ups.
  What Beamline adds lies on the server between a read and the write that
  answers it: the packet's copy out of the read buffer, the mailbox,
  the scheduler's microtask, the resumed \`receive\`, then \`send\`, where
  raw Node's \`'data'\` handler writes at once. Probes in the server
  (\`performance.now\` at five points) put that path at 2-4 µs (p50); a
  syscall trace (\`perf\`, 150,000 round trips) counted 1.2-1.6 s from a
  \`read\`'s return to the next \`write\` for Beamline's server against
  0.8-1.0 s for raw Node's. Together, 2-5 µs more per round trip, 5-10% of
  one: about the margin of the 0.9× target, and less than how far apart
  runs on this machine land. On 2026-11-25 earlier runs put pingpong-1 at
  0.97×, 0.93×, 0.87×, 0.82×, 1.08×, 0.92×, 0.91× and 0.93× of raw Node
  (3, 3, 5, 3, 5, 5, 5 and 5 rounds), then 0.99× with 9 rounds, in a run
  where Erlang was ahead of both Node servers with one connection (there
  "ahead of Erlang", which applies wherever raw Node is ahead of it, asked
  nothing of those rows); this page's run, with 9 rounds, is the table
  above.
- Ping-pong with 50 connections keeps the server busy, so its CPU per
  round trip decides the rate. Before the read fast path above, read from
  \`/proc\` with one server at a time (six fresh servers of each, 2 ×
  100,000 round trips each, 2026-11-25), Beamline's echo server spent
  10.3-11.8 µs of user CPU per round trip against raw Node's 6.5-8.9
  (system CPU about equal, 11-14 µs): the framer, the mailbox and the
  scheduler, \`receive\`'s match and promise, \`setopts\` and \`send\`, none
  above 2% of the server's profile (\`--cpu-prof\`). After it, measured
  another way, with both servers running at the same time so that both
  see the same machine state (6 × 100,000 round trips, the machine shared
  four ways), Beamline's used 1.05-1.24× raw Node's user CPU per round
  trip (median 1.13×); the two methods' figures do not compare with each
  other. With 5 rounds, the full runs of 2026-11-25 before this page's put
  pingpong-50 at 1.05×, 1.06×, 1.26× and 0.87× of raw Node (and at 0.97×
  and 0.93× with 3, and 1.03× with 9); this page's run has 9.
- Erlang runs with its defaults (\`+sbwt\` busy waiting included); its
  schedulers may use both cores while the client runs, Node servers use one.

The Erlang column needs \`escript\`. Without it the network scenarios still run
Beamline and raw Node, print
\`Erlang/OTP column skipped: escript not found (Debian/Ubuntu: apt-get install -y erlang-base)\`
and leave the column empty. To add it: \`apt-get install -y erlang-base\` (Debian's
OTP 25 package is what these figures were taken with).
`;
