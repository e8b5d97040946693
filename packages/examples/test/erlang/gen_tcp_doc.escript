#!/usr/bin/env escript
%% The gen_tcp documentation's examples as OTP 25 runs them, for
%% gen-tcp-doc.test.ts to play against the TypeScript ports in
%% packages/examples/src/gen-tcp-doc. The example functions are the
%% documentation's, unchanged but for two things: the port 5678 of client/0
%% and server/0 is a macro set from the command line, and process/1, which
%% the documentation leaves out, upper-cases the data as pool.ts does.
%%
%%   escript gen_tcp_doc.escript server Port        server(), prints ~p of the binary
%%   escript gen_tcp_doc.escript client0 Port       client(), prints ~p of its result
%%   escript gen_tcp_doc.escript pool Num           start(Num, 0), prints "listening Port",
%%                                                  serves until stdin closes, then
%%                                                  its workers say goodbye
%%   escript gen_tcp_doc.escript client Port Msg    client(Port, Msg), prints ~p of A
%%
%% Every mode is capped at 20 seconds.
-mode(compile).
-export([server/1]).

main(Args) ->
    {ok, _} = timer:kill_after(20000),
    case Args of
        ["server", P] ->
            put(port, list_to_integer(P)),
            io:format("~p~n", [server()]);
        ["client0", P] ->
            put(port, list_to_integer(P)),
            io:format("~p~n", [client()]);
        ["pool", Num] ->
            %% The listen socket belongs to the process that calls start/2:
            %% when it exits, the workers' accept returns {error,closed}.
            Main = self(),
            Owner = spawn(fun() ->
                                  Main ! {port, start(list_to_integer(Num), 0)},
                                  receive stop -> ok end
                          end),
            receive {port, Port} -> io:format("listening ~w~n", [Port]) end,
            eof = io:get_line(""),
            Owner ! stop,
            timer:sleep(200);
        ["client", P, Msg] ->
            io:format("~p~n", [client(list_to_integer(P), Msg)])
    end.

-define(PORT, get(port)).

%% --- the first example ------------------------------------------------------

client() ->
    SomeHostInNet = "localhost", % to make it runnable on one machine
    {ok, Sock} = gen_tcp:connect(SomeHostInNet, ?PORT,
                                 [binary, {packet, 0}]),
    ok = gen_tcp:send(Sock, "Some Data"),
    ok = gen_tcp:close(Sock).

server() ->
    {ok, LSock} = gen_tcp:listen(?PORT, [binary, {packet, 0},
                                        {active, false}]),
    {ok, Sock} = gen_tcp:accept(LSock),
    {ok, Bin} = do_recv(Sock, []),
    ok = gen_tcp:close(Sock),
    ok = gen_tcp:close(LSock),
    Bin.

do_recv(Sock, Bs) ->
    case gen_tcp:recv(Sock, 0) of
        {ok, B} ->
            do_recv(Sock, [Bs, B]);
        {error, closed} ->
            {ok, list_to_binary(Bs)}
    end.

%% --- the server with several acceptors ---------------------------------------

start(Num,LPort) ->
    case gen_tcp:listen(LPort,[{active, false},{packet,2}]) of
        {ok, ListenSock} ->
            start_servers(Num,ListenSock),
            {ok, Port} = inet:port(ListenSock),
            Port;
        {error,Reason} ->
            {error,Reason}
    end.

start_servers(0,_) ->
    ok;
start_servers(Num,LS) ->
    spawn(?MODULE,server,[LS]),
    start_servers(Num-1,LS).

server(LS) ->
    case gen_tcp:accept(LS) of
        {ok,S} ->
            loop(S),
            server(LS);
        Other ->
            io:format("accept returned ~w - goodbye!~n",[Other]),
            ok
    end.

loop(S) ->
    inet:setopts(S,[{active,once}]),
    receive
        {tcp,S,Data} ->
            Answer = process(Data), % Not implemented in this example
            gen_tcp:send(S,Answer),
            loop(S);
        {tcp_closed,S} ->
            io:format("Socket ~w closed [~w]~n",[S,self()]),
            ok
    end.

process(Data) -> string:uppercase(Data).

%% --- the simple client -------------------------------------------------------

client(PortNo,Message) ->
    {ok,Sock} = gen_tcp:connect("localhost",PortNo,[{active,false},
                                                    {packet,2}]),
    gen_tcp:send(Sock,Message),
    A = gen_tcp:recv(Sock,0),
    gen_tcp:close(Sock),
    A.
