/**
 * The gen_tcp documentation's send time-out example (OTP 25): a process
 * forwards binaries from client processes to a server that never
 * acknowledges anything, and relies on `{send_timeout, 5000}` to notice that
 * the server stopped reading. Ported line by line, the Erlang above each
 * function.
 *
 * The documentation shows the connect as a fragment (`...` around it); here
 * it is the body of `start/2`. The time-out is a parameter, 5000 by default
 * as in the documentation, so that tests need not wait five seconds.
 */
import { isPid, receive, self, send } from '@beamline/runtime';
import * as gen_tcp from '@beamline/gen-tcp';
import type { Address, TcpSocket } from '@beamline/gen-tcp';
import * as io from './io.js';
import { okMatch } from './match.js';

// ...
// {ok,Sock} = gen_tcp:connect(HostAddress, Port,
//                             [{active,false},
//                              {send_timeout, 5000},
//                              {packet,2}]),
//                 loop(Sock), % See below
// ...
export async function start(hostAddress: Address, port: number, sendTimeout = 5000): Promise<'ok'> {
  const sock = okMatch(await gen_tcp.connect(hostAddress, port,
                                             [['active', false],
                                              ['send_timeout', sendTimeout],
                                              ['packet', 2]]));
  return await loop(sock); // See below
}

// loop(Sock) ->
//     receive
//         {Client, send_data, Binary} ->
//             case gen_tcp:send(Sock,[Binary]) of
//                 {error, timeout} ->
//                     io:format("Send timeout, closing!~n",
//                               []),
//                     handle_send_timeout(), % Not implemented here
//                     Client ! {self(),{error_sending, timeout}},
//                     %% Usually, it's a good idea to give up in case of a
//                     %% send timeout, as you never know how much actually
//                     %% reached the server, maybe only a packet header?!
//                     gen_tcp:close(Sock);
//                 {error, OtherSendError} ->
//                     io:format("Some other error on socket (~p), closing",
//                               [OtherSendError]),
//                     Client ! {self(),{error_sending, OtherSendError}},
//                     gen_tcp:close(Sock);
//                 ok ->
//                     Client ! {self(), data_sent},
//                     loop(Sock)
//             end
//     end.
export async function loop(sock: TcpSocket): Promise<'ok'> {
  for (;;) {
    const [client, , binary] = await receive([isPid, 'send_data', Buffer.isBuffer]);
    const result = await gen_tcp.send(sock, [binary]);
    if (result !== 'ok' && result[1] === 'timeout') {
      io.format('Send timeout, closing!~n',
                []);
      handleSendTimeout(); // Not implemented here
      send(client, [self(), ['error_sending', 'timeout']]);
      // Usually, it's a good idea to give up in case of a
      // send timeout, as you never know how much actually
      // reached the server, maybe only a packet header?!
      return gen_tcp.close(sock);
    }
    if (result !== 'ok') {
      const otherSendError = result[1];
      io.format('Some other error on socket (~p), closing',
                [otherSendError]);
      send(client, [self(), ['error_sending', otherSendError]]);
      return gen_tcp.close(sock);
    }
    send(client, [self(), 'data_sent']);
  }
}

// handle_send_timeout() is "Not implemented here" in the documentation;
// neither is it here.
function handleSendTimeout(): 'ok' {
  return 'ok';
}
