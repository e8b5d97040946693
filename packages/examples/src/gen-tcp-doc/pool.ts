/**
 * The gen_tcp documentation's server with `{active, once}` and several
 * accepting processes (section Examples, OTP 25): `start/2` listens and
 * spawns `Num` workers that all call `accept` on the one listen socket; each
 * worker serves one connection at a time with `loop/1`, then accepts the
 * next. Ported line by line, the Erlang above each function.
 *
 * The listen socket belongs to the process that called `start/2`: it closes
 * when that process exits, and every worker then says goodbye.
 */
import { _, receive, self, spawn } from '@beamline/runtime';
import * as gen_tcp from '@beamline/gen-tcp';
// inet:setopts/2 and inet:port/1 come from the same package.
import * as inet from '@beamline/gen-tcp';
import type { Data, ListenSocket, TcpSocket } from '@beamline/gen-tcp';
import * as io from './io.js';
import { okMatch } from './match.js';

// start(Num,LPort) ->
//     case gen_tcp:listen(LPort,[{active, false},{packet,2}]) of
//         {ok, ListenSock} ->
//             start_servers(Num,ListenSock),
//             {ok, Port} = inet:port(ListenSock),
//             Port;
//         {error,Reason} ->
//             {error,Reason}
//     end.
export async function start(num: number, lPort: number): Promise<number | readonly ['error', string]> {
  const r = await gen_tcp.listen(lPort, [['active', false], ['packet', 2]]);
  switch (r[0]) {
    case 'ok': {
      const listenSock = r[1];
      startServers(num, listenSock);
      const port = okMatch(inet.port(listenSock));
      return port;
    }
    case 'error': {
      const reason = r[1];
      return ['error', reason];
    }
  }
}

// start_servers(0,_) ->
//     ok;
// start_servers(Num,LS) ->
//     spawn(?MODULE,server,[LS]),
//     start_servers(Num-1,LS).
function startServers(num: number, ls: ListenSocket): 'ok' {
  for (; num !== 0; num--) {
    spawn(server, ls);
  }
  return 'ok';
}

// server(LS) ->
//     case gen_tcp:accept(LS) of
//         {ok,S} ->
//             loop(S),
//             server(LS);
//         Other ->
//             io:format("accept returned ~w - goodbye!~n",[Other]),
//             ok
//     end.
export async function server(ls: ListenSocket): Promise<'ok'> {
  for (;;) {
    const r = await gen_tcp.accept(ls);
    if (r[0] === 'ok') {
      const s = r[1];
      await loop(s);
      continue;
    }
    const other = r;
    io.format('accept returned ~w - goodbye!~n', [other]);
    return 'ok';
  }
}

// loop(S) ->
//     inet:setopts(S,[{active,once}]),
//     receive
//         {tcp,S,Data} ->
//             Answer = process(Data), % Not implemented in this example
//             gen_tcp:send(S,Answer),
//             loop(S);
//         {tcp_closed,S} ->
//             io:format("Socket ~w closed [~w]~n",[S,self()]),
//             ok
//     end.
async function loop(s: TcpSocket): Promise<'ok'> {
  for (;;) {
    inet.setopts(s, [['active', 'once']]);
    const msg = await receive(['tcp', s, _], ['tcp_closed', s]);
    if (msg[0] === 'tcp') {
      const data = msg[2] as Data;
      const answer = process_(data); // Not implemented in this example
      await gen_tcp.send(s, answer);
      continue;
    }
    io.format('Socket ~w closed [~w]~n', [s, self()]);
    return 'ok';
  }
}

// process(Data) is left out of the documentation ("Not implemented in this
// example"). Here it upper-cases ASCII letters, so a client can see that its
// message went through the server. The socket is in list mode (no `binary`
// option), so Data is a list of bytes. The trailing underscore keeps Node's
// global `process` visible.
export function process_(data: Data): number[] {
  return [...data].map((b) => (b >= 0x61 && b <= 0x7a ? b - 0x20 : b));
}
