using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace ZmqGame.Bench.WebSocket;

/// <summary>
/// Many idle ZmqGame sessions over the broker's WebSocket frontend, one ZWS 2.0 connection each (HELLO → WELCOME),
/// heartbeating as the client library does, held until a stop file appears (or <c>--hold</c> seconds pass) while a
/// script measures the broker's memory and idle CPU. Prints an <c>open ...</c> line once every session is welcomed
/// (the script's signal) and a <c>held ...</c> line at the end, after waiting for every heartbeat's answer: one
/// process holds at most a few thousand sockets, so a script runs several for 10,000.
/// </summary>
internal static class WsSessionsBench
{
    public static async Task<int> RunAsync(string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        Uri? url = null;
        var count = 1000;
        var parallel = 64;
        var heartbeat = TimeSpan.FromMilliseconds(2500);
        var hold = TimeSpan.FromSeconds(120);
        string? stopFile = null;
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value");
            double Number() => double.TryParse(Next(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0
                ? v : throw new ArgumentException($"{name}: expected a positive number");
            switch (name)
            {
                case "--websocket": url = new Uri(Next()); break;
                case "--sessions": count = (int)Number(); break;
                case "--parallel": parallel = (int)Number(); break;
                case "--heartbeat-ms": heartbeat = TimeSpan.FromMilliseconds(Number()); break;
                case "--hold": hold = TimeSpan.FromSeconds(Number()); break;
                case "--stop-file": stopFile = Next(); break;
                default: throw new ArgumentException("unknown option " + name);
            }
        }

        if (url is null || url.Scheme is not ("ws" or "wss"))
        {
            throw new ArgumentException("ws-sessions needs --websocket ws://host:port[/path]");
        }

        var sessions = new List<ZgcWebSocketSession>(count);
        var failed = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var progress = new StrongBox<long>();
        var beating = new System.Collections.Concurrent.ConcurrentBag<Task>();
        string? firstError = null;
        try
        {
            var clock = Stopwatch.StartNew();
            using var gate = new SemaphoreSlim(parallel);
            var opening = Enumerable.Range(0, count).Select(async _ =>
            {
                await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    var session = await ZgcWebSocketSession.OpenAsync(url, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);

                    // Each session heartbeats from its WELCOME on, as a client does: opening thousands takes longer
                    // than the broker's session timeout.
                    beating.Add(HeartbeatLoopAsync(session, heartbeat, progress, stop.Token));
                    return session;
                }
                finally
                {
                    gate.Release();
                }
            }).ToArray();
            foreach (var task in opening)
            {
                try
                {
                    sessions.Add(await task.ConfigureAwait(false));
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    failed++;
                    firstError ??= ex.GetBaseException().Message;
                }
            }

            var openSeconds = clock.Elapsed.TotalSeconds;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"open sessions={count} welcomed={sessions.Count} failed={failed} open_s={openSeconds:F1}{(firstError is null ? string.Empty : " first_error=\"" + firstError.Replace(' ', '_') + "\"")}"));
            output.Flush();

            var held = Stopwatch.StartNew();

            // Held until told to stop (or the hold ran out), and at least until every session has heartbeat once.
            // (The count of sessions is a floor on heartbeats sent only once each has sent one: good enough as a floor.)
            while (!cancellationToken.IsCancellationRequested
                   && ((held.Elapsed < hold && (stopFile is null || !File.Exists(stopFile))) || Interlocked.Read(ref progress.Value) < sessions.Count(s => !s.Lost)))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), CancellationToken.None).ConfigureAwait(false);
            }

            var heldSeconds = held.Elapsed.TotalSeconds;
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(beating).ConfigureAwait(false);
            var sent = Interlocked.Read(ref progress.Value);

            // Every heartbeat sent is answered: wait for the last answers (bounded), then count.
            var answers = Stopwatch.StartNew();
            while (sessions.Sum(s => s.HeartbeatsAnswered) < sent && answers.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), CancellationToken.None).ConfigureAwait(false);
            }

            var line = new KeyValueLine();
            line.Add("held", "websocket");
            line.Add("sessions", count);
            line.Add("welcomed", sessions.Count);
            line.Add("alive", sessions.Count(s => !s.Lost && s.NoSession == 0 && s.Closed == 0));
            line.Add("held_s", Math.Round(heldSeconds, 1));
            line.Add("heartbeat_ms", heartbeat.TotalMilliseconds);
            line.Add("heartbeats_sent", sent);
            line.Add("heartbeats_answered", sessions.Sum(s => s.HeartbeatsAnswered));
            line.Add("no_session", sessions.Sum(s => s.NoSession));
            line.Add("closed", sessions.Sum(s => s.Closed));
            line.Add("lost", sessions.Count(s => s.Lost));
            line.Add("other", sessions.Sum(s => s.Other));
            output.WriteLine(line.ToString());
            return failed == 0 && sessions.All(s => !s.Lost && s.NoSession == 0 && s.Closed == 0) ? 0 : 1;
        }
        finally
        {
            await Parallel.ForEachAsync(sessions, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (s, _) => await s.DisposeAsync().ConfigureAwait(false))
                .ConfigureAwait(false);
        }
    }

    /// <summary>HEARTBEAT every <paramref name="interval"/> (the first after a random part of it) until stopped or the connection is gone.</summary>
    private static async Task HeartbeatLoopAsync(ZgcWebSocketSession session, TimeSpan interval, StrongBox<long> sent, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(interval * Random.Shared.NextDouble(), cancellationToken).ConfigureAwait(false);
            using var timer = new PeriodicTimer(interval);
            do
            {
                if (session.Lost)
                {
                    return;
                }

                await session.HeartbeatAsync(cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref sent.Value);
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (Exception ex) when (ex is OperationCanceledException or System.Net.WebSockets.WebSocketException or ObjectDisposedException or InvalidOperationException)
        {
            // Stopped, or the connection is gone (the session says Lost).
        }
    }
}
