#!/usr/bin/env escript
%%! +P 2000000
%% The Erlang/OTP column of the runtime benchmarks: the same scenarios as
%% ring.ts, spawn.ts, memory.ts and selective.ts, compiled (not interpreted).
%% Prints one line per scenario: "<scenario> <figure>".
-mode(compile).

main(["ring"]) -> io:format("ring ~p~n", [median([ring(1000, 1000) || _ <- lists:seq(1, 5)])]);
main(["spawn"]) -> io:format("spawn ~p~n", [median([spawn_exit(100000) || _ <- lists:seq(1, 5)])]);
main(["selective"]) -> io:format("selective ~p~n", [selective(10000, 1000)]);
main(["memory", N]) -> io:format("memory-~s ~p~n", [N, memory(list_to_integer(N))]).

median(Xs) -> lists:nth((length(Xs) + 1) div 2, lists:sort(Xs)).

%% Messages per second around a ring of N processes, Laps times.
ring(N, Laps) ->
    Self = self(),
    T0 = erlang:monotonic_time(microsecond),
    Last = lists:foldl(fun(_, Next) -> spawn(fun() -> ring_node(Next) end) end, Self, lists:seq(1, N - 1)),
    Last ! Laps,
    main_loop(Last),
    T1 = erlang:monotonic_time(microsecond),
    round(N * Laps / ((T1 - T0) / 1.0e6)).

ring_node(Next) ->
    receive
        0 -> Next ! 0;
        M -> Next ! M, ring_node(Next)
    end.

main_loop(Last) ->
    receive
        0 -> ok;
        M -> Last ! M - 1, main_loop(Last)
    end.

%% Spawns per second: N processes spawned, each exits at once; the last tells.
%% add_get counts and reads in one atomic step, so exactly one process sees N
%% (counters:add then counters:get could let two see it, and a stray `done`
%% would end the next run early).
spawn_exit(N) ->
    Self = self(),
    Counter = atomics:new(1, []),
    T0 = erlang:monotonic_time(microsecond),
    [spawn(fun() ->
               case atomics:add_get(Counter, 1, 1) of N -> Self ! done; _ -> ok end
           end) || _ <- lists:seq(1, N)],
    receive done -> ok end,
    T1 = erlang:monotonic_time(microsecond),
    round(N / ((T1 - T0) / 1.0e6)).

%% Microseconds per receive past Queued unmatched messages.
selective(Queued, Receives) ->
    Self = self(),
    [Self ! {noise, I} || I <- lists:seq(1, Queued)],
    T0 = erlang:monotonic_time(nanosecond),
    lists:foreach(fun(I) -> Self ! {match, I}, receive {match, I} -> ok end end, lists:seq(1, Receives)),
    T1 = erlang:monotonic_time(nanosecond),
    (T1 - T0) / 1000 / Receives.

%% Bytes per idle process blocked in receive.
memory(N) ->
    erlang:garbage_collect(),
    B0 = erlang:memory(processes),
    Pids = [spawn(fun() -> receive stop -> ok end end) || _ <- lists:seq(1, N)],
    timer:sleep(200),
    B1 = erlang:memory(processes),
    [P ! stop || P <- Pids],
    round((B1 - B0) / N).
