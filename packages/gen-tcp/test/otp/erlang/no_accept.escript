#!/usr/bin/env escript
%% A listen socket on 127.0.0.1 that never accepts, with the smallest backlog:
%% once its queue is full, the kernel drops further SYNs and a connect waits.
%% (A Node listener cannot do this: node:net accepts every connection at once.)
%% Prints "listening Port", then lives until its standard input closes.
main(_) ->
    {ok, L} = gen_tcp:listen(0, [{ip, {127,0,0,1}}, {backlog, 0}]),
    {ok, Port} = inet:port(L),
    io:format("listening ~p~n", [Port]),
    _ = io:get_line(""),
    ok.
