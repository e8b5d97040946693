/**
 * A synchronous request to another process, as `gen_server:call/3` makes
 * one: monitor the server, send `['call', from, ref, request]`, wait for
 * `['reply', ref, value]`. If the server dies first, or does not answer in
 * time, the caller exits, as a gen_server caller does: these are bugs, not
 * conditions a chat client should carry on after.
 */
import { _, after, demonitor, exit, monitor, on, receive, self, send, type Pid, type Ref } from '@beamline/runtime';

export async function call<R>(server: Pid, request: unknown, timeout = 5000): Promise<R> {
  const ref = monitor('process', server);
  send(server, ['call', self(), ref, request]);
  return await receive(
    on(['reply', ref, _], ([, , value]) => {
      demonitor(ref, ['flush']);
      return value as R;
    }),
    on(['DOWN', ref, 'process', _, _], ([, , , , reason]) => exit(['call_failed', server, request, reason])),
    after(timeout, () => {
      demonitor(ref, ['flush']);
      return exit(['call_failed', server, request, 'timeout']);
    }),
  );
}

/** The server's half: answers the call that carried `ref`. */
export function reply(from: Pid, ref: Ref, value: unknown): void {
  send(from, ['reply', ref, value]);
}
