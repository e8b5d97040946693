#!/usr/bin/env escript
%% The Erlang/OTP servers of the network benchmarks, written the usual way:
%% a listen socket owned by the main process, a pool of acceptors, one
%% process per connection that owns it (handed over with
%% controlling_process). Compiled, default emulator flags.
%%
%% Usage: net_bench.escript echo | bulk-active Bytes [Buffer] |
%%        bulk-passive Bytes [Buffer] | accept
%% Prints "PORT N" once listening, then serves commands on stdin, one answer
%% line each: "BASE" (note erlang:memory(total) now) and "MEMORY N" (wait
%% for N open connections, print the bytes per connection over BASE).
%% Exits when stdin closes.
-mode(compile).

-define(ACTIVE_N, 100).

main(["echo"]) ->
    serve([{packet, 4}], fun(L) -> pool(L, 4, fun echo/1) end);
main(["bulk-active", Bytes | Buffer]) ->
    Total = list_to_integer(Bytes),
    serve(buffer(Buffer), fun(L) -> pool(L, 1, fun(S) -> bulk_active(S, Total) end) end);
main(["bulk-passive", Bytes | Buffer]) ->
    Total = list_to_integer(Bytes),
    serve(buffer(Buffer), fun(L) -> pool(L, 1, fun(S) -> bulk_passive(S, Total, 0) end) end);
main(["accept"]) ->
    serve([], fun(L) -> [spawn(fun() -> closer(L) end) || _ <- lists:seq(1, 8)] end).

buffer([]) -> [];
buffer([Size]) -> [{buffer, list_to_integer(Size)}].

serve(Opts, Start) ->
    {ok, L} = gen_tcp:listen(0, [binary, {active, false}, {ip, {127, 0, 0, 1}}, {backlog, 1024} | Opts]),
    {ok, Port} = inet:port(L),
    persistent_term:put(open, counters:new(1, [write_concurrency])),
    Start(L),
    Base = memory_now(),
    io:format("PORT ~p~n", [Port]),
    control(Base).

%% ---- the protocols ----

echo(S) ->
    ok = inet:setopts(S, [{active, once}]),
    receive
        {tcp, S, Data} ->
            gen_tcp:send(S, Data),
            echo(S);
        {tcp_closed, S} ->
            ok
    end.

bulk_active(S, Total) ->
    ok = inet:setopts(S, [{active, ?ACTIVE_N}]),
    bulk_active(S, Total, 0).

bulk_active(S, Total, Count) ->
    receive
        {tcp, S, Data} ->
            C = Count + byte_size(Data),
            C =:= Total andalso gen_tcp:send(S, <<"k">>),
            bulk_active(S, Total, C);
        {tcp_passive, S} ->
            ok = inet:setopts(S, [{active, ?ACTIVE_N}]),
            bulk_active(S, Total, Count);
        {tcp_closed, S} ->
            ok
    end.

bulk_passive(S, Total, Count) ->
    case gen_tcp:recv(S, 0) of
        {ok, Data} ->
            C = Count + byte_size(Data),
            C =:= Total andalso gen_tcp:send(S, <<"k">>),
            bulk_passive(S, Total, C);
        {error, _} ->
            ok
    end.

closer(L) ->
    case gen_tcp:accept(L) of
        {ok, S} ->
            gen_tcp:close(S),
            closer(L);
        {error, _} ->
            ok
    end.

%% ---- acceptors and connection processes ----

pool(L, N, Handler) ->
    [spawn(fun() -> acceptor(L, Handler) end) || _ <- lists:seq(1, N)].

acceptor(L, Handler) ->
    case gen_tcp:accept(L) of
        {ok, S} ->
            Pid = spawn(fun() -> receive {go, S} -> connection(S, Handler) end end),
            ok = gen_tcp:controlling_process(S, Pid),
            Pid ! {go, S},
            acceptor(L, Handler);
        {error, _} ->
            ok
    end.

connection(S, Handler) ->
    Open = persistent_term:get(open),
    counters:add(Open, 1, 1),
    try Handler(S)
    after
        counters:sub(Open, 1, 1),
        gen_tcp:close(S)
    end.

%% ---- control ----

control(Base) ->
    case io:get_line("") of
        eof -> halt(0);
        {error, _} -> halt(0);
        Line ->
            case string:lexemes(string:trim(Line), " ") of
                ["BASE"] ->
                    io:format("OK~n"),
                    control(memory_now());
                ["MEMORY", N] ->
                    io:format("~s~n", [memory_report(Base, list_to_integer(N), 600)]),
                    control(Base);
                _ ->
                    io:format("ERROR unknown command~n"),
                    control(Base)
            end
    end.

memory_now() ->
    [erlang:garbage_collect(P) || P <- processes()],
    erlang:memory(total).

%% Waits (at most Tries x 50 ms) for N connections, then reports.
memory_report(Base, N, Tries) ->
    Held = counters:get(persistent_term:get(open), 1),
    if
        Held >= N -> io_lib:format("MEMORY ~p", [round((memory_now() - Base) / N)]);
        Tries =< 0 -> io_lib:format("ERROR ~p of ~p connections open", [Held, N]);
        true -> timer:sleep(50), memory_report(Base, N, Tries - 1)
    end.
