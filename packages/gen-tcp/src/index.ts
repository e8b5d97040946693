/**
 * @beamline/gen-tcp: Erlang's gen_tcp over node:net, on Beamline processes.
 * The public API, export by export.
 */
export { connect, listen, accept, send, recv, close, shutdown, controllingProcess } from './gen-tcp.js';
export type { Address, Timeout, Socket, ConnectResult, ListenResult } from './gen-tcp.js';
export { TcpSocket } from './socket.js';
export type { Data, Packet, RecvResult, RecvError, SendResult, ShutdownHow } from './socket.js';
export type { SocketOptions, OptionInput, OptionList, OptionObject, Mode, ActiveMode, ActiveOption } from './options.js';
export { port, sockname, peername, setopts, getopts, getstat, monitor, cancelMonitor, sockets, formatSockets, i, STATS } from './inet.js';
export type { SocketDownMessage } from './monitors.js';
export type { StatName, SocketRow } from './inet.js';
export { ListenSocket } from './listener.js';
export type { AcceptResult } from './listener.js';
export { decodePacket, encodePacket, flattenIodata, isPacketType } from './packet/index.js';
export type { PacketType, IoData, DecodeResult, HttpPacket, HttpUri, HttpMethod, HttpHeaderName, HttpString } from './packet/index.js';

// The acceptor pool (Ranch for gen_tcp): pool.startListener, pool.handshake, …
export * as pool from './pool/pool.js';
export type { ListenerRef, ListenerOptions, MaxConnections, ConnectionShutdown, Protocol, ProtocolModule, ProtocolStartResult, ConnectionHandler } from './pool/options.js';
export type { ListenerInfo, StopOptions, StartListenerResult, Comparison } from './pool/pool.js';
export type { PoolEventName } from './pool/events.js';
