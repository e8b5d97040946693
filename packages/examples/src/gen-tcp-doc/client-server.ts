/**
 * The first example of the gen_tcp documentation (module doc, OTP 25): a
 * client that connects to port 5678, sends a binary and closes; a server that
 * accepts one connection and reads everything with `do_recv/2` until the
 * client closes. Each function is ported line by line under its Erlang.
 *
 * One change: the port is a parameter (5678 by default, as in the
 * documentation), so that tests can use a free one.
 */
import * as gen_tcp from '@beamline/gen-tcp';
import type { TcpSocket } from '@beamline/gen-tcp';
import { CaseClause, okAtom, okMatch } from './match.js';

export const PORT = 5678;

// client() ->
//     SomeHostInNet = "localhost", % to make it runnable on one machine
//     {ok, Sock} = gen_tcp:connect(SomeHostInNet, 5678,
//                                  [binary, {packet, 0}]),
//     ok = gen_tcp:send(Sock, "Some Data"),
//     ok = gen_tcp:close(Sock).
export async function client(port = PORT): Promise<'ok'> {
  const someHostInNet = 'localhost'; // to make it runnable on one machine
  const sock = okMatch(await gen_tcp.connect(someHostInNet, port,
                                             ['binary', ['packet', 0]]));
  okAtom(await gen_tcp.send(sock, 'Some Data'));
  return okAtom(gen_tcp.close(sock));
}

// server() ->
//     {ok, LSock} = gen_tcp:listen(5678, [binary, {packet, 0},
//                                         {active, false}]),
//     {ok, Sock} = gen_tcp:accept(LSock),
//     {ok, Bin} = do_recv(Sock, []),
//     ok = gen_tcp:close(Sock),
//     ok = gen_tcp:close(LSock),
//     Bin.
export async function server(port = PORT): Promise<Buffer> {
  const lSock = okMatch(await gen_tcp.listen(port, ['binary', ['packet', 0],
                                                    ['active', false]]));
  const sock = okMatch(await gen_tcp.accept(lSock));
  const bin = okMatch(await doRecv(sock, []));
  okAtom(gen_tcp.close(sock));
  okAtom(gen_tcp.close(lSock));
  return bin;
}

// do_recv(Sock, Bs) ->
//     case gen_tcp:recv(Sock, 0) of
//         {ok, B} ->
//             do_recv(Sock, [Bs, B]);
//         {error, closed} ->
//             {ok, list_to_binary(Bs)}
//     end.
//
// The iolist [Bs, B] that grows to the left becomes an array of binaries;
// list_to_binary/1 becomes Buffer.concat. A recv error other than closed
// matches no clause: Erlang crashes with case_clause, and so does this.
export async function doRecv(sock: TcpSocket, bs: Buffer[]): Promise<readonly ['ok', Buffer]> {
  for (;;) {
    const r = await gen_tcp.recv(sock, 0);
    if (r[0] === 'ok') {
      bs.push(r[1] as Buffer);
      continue;
    }
    if (r[1] === 'closed') return ['ok', Buffer.concat(bs)];
    throw new CaseClause(r);
  }
}
