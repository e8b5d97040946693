#!/usr/bin/env escript
%% An Erlang/OTP echo server for every packet type given on the command line,
%% for interop.test.ts: Beamline clients against real gen_tcp.
%%
%%   escript echo_server.escript raw 0 1 2 4 line asn1 cdr sunrm fcgi tpkt http http_bin httph httph_bin
%%
%% Listens on 127.0.0.1, a free port per type, and prints "listening Type Port"
%% for each, then "ready". Every connection is served by its own process with
%% {active, false} and recv(S, 0); each packet is sent back so that a peer
%% using the same packet type reads back what it sent (the same rules as
%% packages/examples/src/echo-server.ts): 1/2/4 get their header again from
%% send, fcgi gets its padding back as zeros, http packets are written back
%% as lines. A connection is closed once the peer has closed its side.
%%
%% Exits when its standard input closes (the test ended or died) and, in any
%% case, after two minutes.
-mode(compile).

main(Args) ->
    Types = [packet_type(A) || A <- Args],
    Listeners = [begin
                     {ok, L} = gen_tcp:listen(0, [binary, {packet, T}, {active, false},
                                                  {ip, {127, 0, 0, 1}}, {reuseaddr, true}]),
                     {ok, Port} = inet:port(L),
                     io:format("listening ~s ~b~n", [A, Port]),
                     spawn_link(fun() -> acceptor(L, T) end)
                 end || {A, T} <- lists:zip(Args, Types)],
    io:format("ready ~b~n", [length(Listeners)]),
    _ = io:get_line(""),   % eof when the parent closes our stdin
    halt(0).

packet_type(A) ->
    case string:to_integer(A) of
        {N, ""} -> N;
        _ -> list_to_atom(A)
    end.

acceptor(L, T) ->
    erlang:send_after(120000, self(), too_long),
    accept_loop(L, T).

accept_loop(L, T) ->
    receive too_long -> halt(3) after 0 -> ok end,
    case gen_tcp:accept(L, 1000) of
        {ok, S} ->
            Pid = spawn(fun() -> receive go -> echo(S, T) end end),
            ok = gen_tcp:controlling_process(S, Pid),
            Pid ! go,
            accept_loop(L, T);
        {error, timeout} ->
            accept_loop(L, T)
    end.

echo(S, T) ->
    case gen_tcp:recv(S, 0) of
        {ok, P} ->
            case gen_tcp:send(S, reply(T, P)) of
                ok -> echo(S, T);
                {error, _} -> gen_tcp:close(S)
            end;
        {error, _} ->
            gen_tcp:close(S)
    end.

reply(T, P) when T =:= http; T =:= http_bin; T =:= httph; T =:= httph_bin -> http_bytes(P);
reply(fcgi, <<_:6/binary, Pad, _/binary>> = P) -> [P, binary:copy(<<0>>, Pad)];
reply(_, P) -> P.

%% The line for an HTTP packet term, so that decoding it gives the same term.
http_bytes({http_request, M, U, V}) -> [method(M), " ", uri(U), version_suffix(V), "\r\n"];
http_bytes({http_response, {Ma, Mi}, Status, Reason}) ->
    ["HTTP/", integer_to_list(Ma), ".", integer_to_list(Mi), " ", integer_to_list(Status),
     case iolist_size(Reason) of 0 -> []; _ -> [" ", Reason] end, "\r\n"];
http_bytes({http_header, _, _, RawField, Value}) -> [RawField, ": ", Value, "\r\n"];
http_bytes(http_eoh) -> "\r\n";
http_bytes({http_error, Line}) -> Line.

method(M) when is_atom(M) -> atom_to_list(M);
method(M) -> M.

uri('*') -> "*";
uri({abs_path, P}) -> P;
uri({scheme, S, R}) -> [S, ":", R];
uri({absoluteURI, Scheme, Host, Port, Path}) ->
    [atom_to_list(Scheme), "://", Host,
     case Port of undefined -> []; _ -> [":", integer_to_list(Port)] end, Path];
uri(S) -> S.

version_suffix({0, 9}) -> [];
version_suffix({Ma, Mi}) -> [" HTTP/", integer_to_list(Ma), ".", integer_to_list(Mi)].
