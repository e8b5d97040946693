#!/usr/bin/env escript
%% An Erlang/OTP client for interop.test.ts: runs every echo case of
%% packages/examples/test/echo-cases.ts (same names, same kinds of payload)
%% against the echo servers given on the command line, one after another.
%%
%%   escript echo_client.escript Type:Port:Label ...
%%
%% Prints one line per case, tab-separated:
%%   ok    Type Label Case
%%   FAIL  Type Label Case What
%% and "done N" at the end. What a case expects back is what erlang:decode_packet/3
%% finds in the bytes it sent (with the http start-line/header switching a socket
%% does), followed by {error, closed} once it has shut down its sending side.
-mode(compile).

-define(TIMEOUT, 5000).
-define(MiB, 1048576).

main(Args) ->
    %% Nothing here may run unbounded: the whole run is capped at two minutes.
    {ok, _} = timer:kill_after(120000),
    N = lists:sum([server(string:split(A, ":", all)) || A <- Args]),
    io:format("done ~b~n", [N]),
    halt(0).

server([TypeText, PortText, Label]) ->
    Type = packet_type(TypeText),
    Port = list_to_integer(PortText),
    Results = [{Name, run_case(Port, Type, Sends)} || {Name, Sends} <- cases(Type)],
    [case R of
         ok -> io:format("ok\t~s\t~s\t~s~n", [TypeText, Label, Name]);
         {fail, What} -> io:format("FAIL\t~s\t~s\t~s\t~s~n", [TypeText, Label, Name, What])
     end || {Name, R} <- Results],
    length(Results).

packet_type(A) ->
    case string:to_integer(A) of
        {N, ""} -> N;
        _ -> list_to_atom(A)
    end.

%% ---------------------------------------------------------------------------
%% The cases, as in echo-cases.ts

pattern(N) -> pattern(N, 0, none).
pattern(N, Seed) -> pattern(N, Seed, none).
pattern(N, Seed, Avoid) ->
    << <<(case (I * 31 + Seed + (I bsr 8)) band 255 of Avoid -> Avoid + 1; B -> B end)>>
       || I <- lists:seq(0, N - 1) >>.

asn1(Tag, Content) ->
    N = byte_size(Content),
    Len = if N < 128 -> <<N>>;
             N < 16#100 -> <<16#81, N>>;
             N < 16#10000 -> <<16#82, N:16>>;
             true -> <<16#83, N:24>>
          end,
    <<Tag/binary, Len/binary, Content/binary>>.
cdr(Content, big) -> <<"GIOP", 1, 2, 0, 0, (byte_size(Content)):32/big, Content/binary>>;
cdr(Content, little) -> <<"GIOP", 1, 2, 1, 0, (byte_size(Content)):32/little, Content/binary>>.
sunrm(Content) -> sunrm(Content, true).
sunrm(Content, Last) -> <<(case Last of true -> 1; false -> 0 end):1, (byte_size(Content)):31, Content/binary>>.
fcgi(Content, Padding) ->
    <<1, 5, 1:16, (byte_size(Content)):16, (byte_size(Padding)), 0, Content/binary, Padding/binary>>.
tpkt(Content) -> <<3, 0, (byte_size(Content) + 4):16, Content/binary>>.

pipelined_requests() ->
    <<"GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: beamline-echo-test\r\n\r\n"
      "POST /form?a=1 HTTP/1.0\r\ncontent-length: 0\r\nX-Folded: one\r\n two\r\n\r\n"
      "OPTIONS * HTTP/1.1\r\n\r\n"
      "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"
      "GET http://example.com:8080/a/b?c HTTP/1.1\r\nX-Empty:\r\nX-Trailing: v  \r\n\r\n"
      "PATCH /nine\r\n\r\n">>.

cases(T) when T =:= raw; T =:= 0 ->
    [{"empty", [<<>>]},
     {"1 byte", [pattern(1)]},
     {"1 MiB", [pattern(?MiB)]},
     {"pipelined", [pattern(10, 1), pattern(20, 2), pattern(30, 3)]}];
cases(T) when T =:= 1; T =:= 2; T =:= 4 ->
    Max = case T of 1 -> 255; _ -> 65535 end,
    [{"empty", [<<>>]},
     {"1 byte", [pattern(1)]},
     {integer_to_list(Max) ++ " bytes", [pattern(Max)]}]
    ++ [{"1 MiB", [pattern(?MiB)]} || T =:= 4]
    ++ [{"pipelined", [pattern(3, 1), <<>>, pattern(Max, 2), pattern(1, 3)]}];
cases(line) ->
    [{"empty", [<<>>]},
     {"1 byte", [<<"\n">>]},
     {"lines", [<<"one\ntwo\n\nthree\n">>]},
     {"no trailing delimiter", [<<"one\ntwo">>]},
     {"split across sends", [<<"ab">>, <<"c\nd">>, <<"e\n">>]},
     {"long line", [<<(pattern(5000, 0, $\n))/binary, "\n">>]}];
cases(asn1) ->
    [{"empty", [asn1(<<4>>, <<>>)]},
     {"1 byte", [asn1(<<4>>, pattern(1))]},
     {"65535 bytes", [asn1(<<4>>, pattern(65535))]},
     {"1 MiB", [asn1(<<16#1f, 16#83, 16#27>>, pattern(?MiB))]},
     {"pipelined", [<<(asn1(<<16#30>>, pattern(200)))/binary, (asn1(<<16#1f, 16#83, 16#27>>, <<>>))/binary,
                      (asn1(<<2>>, pattern(3)))/binary>>]}];
cases(cdr) ->
    [{"empty", [cdr(<<>>, big)]},
     {"1 byte", [cdr(pattern(1), little)]},
     {"65535 bytes", [cdr(pattern(65535), big)]},
     {"1 MiB", [cdr(pattern(?MiB), little)]},
     {"pipelined", [<<(cdr(pattern(5), big))/binary, (cdr(pattern(300), little))/binary, (cdr(<<>>, little))/binary>>]}];
cases(sunrm) ->
    [{"empty", [sunrm(<<>>)]},
     {"1 byte", [sunrm(pattern(1))]},
     {"65535 bytes", [sunrm(pattern(65535))]},
     {"1 MiB", [sunrm(pattern(?MiB))]},
     {"pipelined", [<<(sunrm(pattern(7), false))/binary, (sunrm(pattern(9), false))/binary, (sunrm(pattern(11)))/binary>>]}];
cases(fcgi) ->
    [{"empty", [fcgi(<<>>, <<>>)]},
     {"1 byte", [fcgi(pattern(1), <<"PPPPPPP">>)]},
     {"65535 bytes", [fcgi(pattern(65535), binary:copy(<<$P>>, 255))]},
     {"pipelined", [<<(fcgi(pattern(8), <<>>))/binary, (fcgi(<<>>, <<0, 0, 0>>))/binary,
                      (fcgi(pattern(100), <<1, 1, 1, 1>>))/binary>>]}];
cases(tpkt) ->
    [{"empty", [tpkt(<<>>)]},
     {"1 byte", [tpkt(pattern(1))]},
     {"65531 bytes", [tpkt(pattern(65531))]},
     {"pipelined", [<<(tpkt(pattern(2)))/binary, (tpkt(<<>>))/binary, (tpkt(pattern(1000)))/binary>>]}];
cases(T) when T =:= http; T =:= http_bin ->
    [{"empty", [<<>>]},
     {"1 byte", [<<"\n">>]},
     {"pipelined requests", [pipelined_requests()]},
     {"responses", [<<"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nServer: beamline\r\n\r\n"
                      "HTTP/1.0 404 Not  Found \r\n\r\nHTTP/1.1 204\r\n\r\n">>]},
     {"split across sends", [<<"GET /a HT">>, <<"TP/1.1\r\nHo">>, <<"st: x\r\n">>, <<"\r\n">>]},
     {"error lines", [<<"\r\nGET / HTTP/1.1\r\nbad header\r\nHost: x\r\n\r\n">>]}];
cases(T) when T =:= httph; T =:= httph_bin ->
    [{"empty", [<<>>]},
     {"1 byte", [<<"\n">>]},
     {"header blocks", [<<"Host: a\r\nx-lower: b\r\nX-Folded: c\r\n\td\r\n\r\nContent-Length: 0\r\n\r\n">>]},
     {"error lines", [<<"no colon\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n">>]}].

%% ---------------------------------------------------------------------------
%% Running one

%% What a client reading with Type gets back for Sends.
expected(T, Sends) when T =:= 1; T =:= 2; T =:= 4 -> [iolist_to_binary(S) || S <- Sends];
expected(T, Sends) when T =:= raw; T =:= 0 ->
    case iolist_to_binary(Sends) of <<>> -> []; B -> [B] end;
expected(T, Sends) ->
    InHeaders = (T =:= httph) orelse (T =:= httph_bin),
    decode_all(T, InHeaders, iolist_to_binary(Sends), []).

decode_all(T, InHeaders, Bin, Acc) ->
    As = case {InHeaders, T} of
             {true, http} -> httph;
             {true, http_bin} -> httph_bin;
             _ -> T
         end,
    case erlang:decode_packet(As, Bin, []) of
        {ok, P, Rest} -> decode_all(T, next_state(T, InHeaders, P), Rest, [P | Acc]);
        _ -> lists:reverse(Acc)
    end.

%% A socket in http mode reads a start line, then headers up to http_eoh, then a start line.
next_state(T, _, P) when (T =:= http orelse T =:= http_bin),
                         (element(1, P) =:= http_request orelse element(1, P) =:= http_response) -> true;
next_state(T, _, http_eoh) when T =:= http; T =:= http_bin -> false;
next_state(_, InHeaders, _) -> InHeaders.

run_case(Port, T, Sends) ->
    Expected = expected(T, Sends),
    %% Whole lines at once, whatever the length (the server cuts them at its own buffer).
    Opts = [binary, {packet, T}, {active, false}] ++ [{buffer, 65536} || T =:= line],
    case gen_tcp:connect({127, 0, 0, 1}, Port, Opts, ?TIMEOUT) of
        {ok, S} ->
            try
                lists:foreach(fun(D) -> ok = gen_tcp:send(S, D) end, Sends),
                Got = read(S, T, Expected),
                ok = gen_tcp:shutdown(S, write),
                End = gen_tcp:recv(S, 0, ?TIMEOUT),
                compare(Expected, Got, End)
            catch
                Class:Reason -> {fail, io_lib:format("~p:~W", [Class, Reason, 12])}
            after
                gen_tcp:close(S)
            end;
        {error, Reason} ->
            {fail, io_lib:format("connect: ~p", [Reason])}
    end.

read(S, T, Expected) when T =:= raw; T =:= 0 ->
    Total = iolist_size(Expected),
    read_bytes(S, Total, []);
read(S, _, Expected) ->
    read_packets(S, length(Expected), []).

read_bytes(_, 0, []) -> [];
read_bytes(_, Left, Acc) when Left =< 0 -> [iolist_to_binary(lists:reverse(Acc))];
read_bytes(S, Left, Acc) ->
    case gen_tcp:recv(S, 0, ?TIMEOUT) of
        {ok, B} -> read_bytes(S, Left - byte_size(B), [B | Acc]);
        Error -> [iolist_to_binary(lists:reverse(Acc)), Error]
    end.

read_packets(_, 0, Acc) -> lists:reverse(Acc);
read_packets(S, N, Acc) ->
    case gen_tcp:recv(S, 0, ?TIMEOUT) of
        {ok, P} -> read_packets(S, N - 1, [P | Acc]);
        Error -> lists:reverse([Error | Acc])
    end.

compare(Expected, Expected, {error, closed}) -> ok;
compare(Expected, Expected, End) -> {fail, io_lib:format("after the echo: ~W", [End, 12])};
compare(Expected, Got, _) ->
    {fail, io_lib:format("expected ~b packets ~W, got ~b: ~W",
                         [length(Expected), summary(Expected), 14, length(Got), summary(Got), 14])}.

%% Big binaries by size, so that a failure prints something readable.
summary(L) when is_list(L) -> [summary(X) || X <- L];
summary(B) when is_binary(B), byte_size(B) > 64 -> {bytes, byte_size(B), erlang:phash2(B)};
summary(X) -> X.
