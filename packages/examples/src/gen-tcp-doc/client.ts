/**
 * "Example of a simple client" from the gen_tcp documentation (OTP 25), for
 * the server of pool.ts: `{packet, 2}`, passive, one request and its answer.
 */
import * as gen_tcp from '@beamline/gen-tcp';
import type { IoData, RecvResult } from '@beamline/gen-tcp';
import { okMatch } from './match.js';

// client(PortNo,Message) ->
//     {ok,Sock} = gen_tcp:connect("localhost",PortNo,[{active,false},
//                                                     {packet,2}]),
//     gen_tcp:send(Sock,Message),
//     A = gen_tcp:recv(Sock,0),
//     gen_tcp:close(Sock),
//     A.
export async function client(portNo: number, message: IoData): Promise<RecvResult> {
  const sock = okMatch(await gen_tcp.connect('localhost', portNo, [['active', false],
                                                                   ['packet', 2]]));
  await gen_tcp.send(sock, message);
  const a = await gen_tcp.recv(sock, 0);
  gen_tcp.close(sock);
  return a;
}
