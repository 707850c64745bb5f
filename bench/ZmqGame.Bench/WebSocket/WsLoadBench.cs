using System.Diagnostics;
using System.Globalization;
using System.Text;
using HdrHistogram;
using ZmqGame.Client;
using ZmqGame.Client.Cli.Load;
using ZmqGame.Protocol;

namespace ZmqGame.Bench.WebSocket;

/// <summary>
/// Closed-loop load over the broker's WebSocket frontend, the counterpart of <c>load</c> over TCP: the same requests
/// (a <c>ZGC01</c> SESSION REQUEST to the echo route with the same MessagePack payload, from a session opened by HELLO,
/// heartbeating as the client library does), the same clients × in-flight shape and the same key=value line, so a
/// script compares the two by ratio. Every request sent ends in one bucket: ok, mismatched, an error status, or
/// unanswered (no reply by its deadline + 500 ms).
/// </summary>
internal static class WsLoadBench
{
    private static readonly double MicrosPerTick = 1_000_000.0 / Stopwatch.Frequency;

    public static async Task<int> RunAsync(string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        var o = WsLoadOptions.Parse(args);
        var selfStart = ProcStat.ReadProcess(Environment.ProcessId);
        var service = Encoding.UTF8.GetBytes(o.Service);
        var sessions = new ZgcWebSocketSession[o.Clients];
        try
        {
            var opening = Enumerable.Range(0, o.Clients).Select(_ => ZgcWebSocketSession.OpenAsync(o.Url, TimeSpan.FromSeconds(15), cancellationToken)).ToArray();
            try
            {
                await Task.WhenAll(opening).ConfigureAwait(false);
            }
            finally
            {
                for (var i = 0; i < opening.Length; i++)
                {
                    sessions[i] = opening[i].IsCompletedSuccessfully ? opening[i].Result : null!;
                }
            }

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var heartbeats = ZgcHeartbeats.RunAsync(sessions, o.Heartbeat, stop.Token);
            var lanes = new WsLane[o.Clients * o.Depth];
            for (var i = 0; i < lanes.Length; i++)
            {
                lanes[i] = new WsLane(i, sessions[i / o.Depth], EchoPayload.Create(o.Size, i));
            }

            var remaining = o.Requests;
            var t0 = Stopwatch.GetTimestamp();
            var fixedCount = o.Requests > 0;
            var windowStart = fixedCount ? t0 : t0 + (long)(o.Warmup.TotalSeconds * Stopwatch.Frequency);
            var windowEnd = fixedCount ? long.MaxValue : windowStart + (long)(o.Duration.TotalSeconds * Stopwatch.Frequency);
            var histogram = new LongConcurrentHistogram(1, LoadEngine.MaxLatencyMicros, 3);

            async Task LaneAsync(WsLane lane)
            {
                await Task.Yield();
                while (!stop.IsCancellationRequested && (fixedCount ? Interlocked.Decrement(ref remaining) >= 0 : Stopwatch.GetTimestamp() < windowEnd))
                {
                    lane.Sequence++;
                    EchoPayload.Stamp(lane.Payload, lane.Id, lane.Sequence);
                    lane.Sent++;
                    var start = Stopwatch.GetTimestamp();
                    var answer = await lane.Session.RequestAsync(service, o.Command, lane.Payload, o.Timeout).ConfigureAwait(false);
                    var end = Stopwatch.GetTimestamp();
                    if (answer is not { } a)
                    {
                        lane.Unanswered++;
                    }
                    else if (a.Status != Status.Ok)
                    {
                        lane.ByStatus[(byte)a.Status]++;
                    }
                    else if (!a.Payload.AsSpan().SequenceEqual(lane.Payload))
                    {
                        lane.Mismatched++;
                    }
                    else
                    {
                        lane.Ok++;
                        if (end >= windowStart && end < windowEnd)
                        {
                            lane.WindowOk++;
                            histogram.RecordValue(Math.Clamp((long)((end - start) * MicrosPerTick), 1, LoadEngine.MaxLatencyMicros));
                        }
                    }
                }
            }

            var all = Task.WhenAll(lanes.Select(LaneAsync));
            CpuTime? brokerStart = null;
            double? stealStart = null;
            long sampleStart;
            if (fixedCount)
            {
                (sampleStart, brokerStart, stealStart) = Sample(o.BrokerPid);
                await all.ConfigureAwait(false);
            }
            else
            {
                await WaitUntilAsync(windowStart, all).ConfigureAwait(false);
                (sampleStart, brokerStart, stealStart) = Sample(o.BrokerPid);
                await WaitUntilAsync(windowEnd, all).ConfigureAwait(false);
            }

            var (sampleEnd, brokerEnd, stealEnd) = Sample(o.BrokerPid);
            await all.ConfigureAwait(false); // every lane ends by its request's deadline
            await stop.CancelAsync().ConfigureAwait(false);
            var heartbeatsSent = await heartbeats.ConfigureAwait(false);

            var seconds = (sampleEnd - sampleStart) / (double)Stopwatch.Frequency;
            var selfEnd = ProcStat.ReadProcess(Environment.ProcessId);
            var line = new KeyValueLine();
            long Sum(Func<WsLane, long> f) => lanes.Sum(f);
            var windowOk = Sum(l => l.WindowOk);
            var broker = brokerEnd is { } be && brokerStart is { } bs ? be - bs : (CpuTime?)null;
            var self = selfEnd is { } se && selfStart is { } ss ? se - ss : (CpuTime?)null;
            line.Add("transport", "websocket");
            line.Add("clients", o.Clients);
            line.Add("depth", o.Depth);
            line.Add("size", lanes[0].Payload.Length);
            line.Add("reqs", windowOk);
            line.Add("rps", Math.Round(seconds > 0 ? windowOk / seconds : 0));
            line.Add("p50_us", histogram.TotalCount == 0 ? 0 : histogram.GetValueAtPercentile(50));
            line.Add("p99_us", histogram.TotalCount == 0 ? 0 : histogram.GetValueAtPercentile(99));
            line.Add("p999_us", histogram.TotalCount == 0 ? 0 : histogram.GetValueAtPercentile(99.9));
            line.Add("max_us", histogram.TotalCount == 0 ? 0 : histogram.GetMaxValue());
            line.Add("errors", Sum(l => l.Sent - l.Ok));
            line.Add("sent", Sum(l => l.Sent));
            line.Add("ok", Sum(l => l.Ok));
            line.Add("mismatched", Sum(l => l.Mismatched));
            for (var s = 1; s < 256; s++)
            {
                var count = lanes.Sum(l => l.ByStatus[s]);
                if (count > 0)
                {
                    line.Add("err_" + ZmqGameRequestException.StatusName((Status)s).Replace(' ', '_'), count);
                }
            }

            line.Add("unanswered", Sum(l => l.Unanswered));
            line.Add("heartbeats_sent", heartbeatsSent);
            line.Add("heartbeats_answered", sessions.Sum(s => s.HeartbeatsAnswered));
            line.Add("no_session", sessions.Sum(s => s.NoSession));
            line.Add("connections_lost", sessions.Count(s => s.Lost));
            line.Add("window_s", seconds);
            line.Add("srv_user_s", broker?.User);
            line.Add("srv_sys_s", broker?.System);
            line.Add("srv_cpu_per_1m", broker is { } b && windowOk > 0 ? b.Total / windowOk * 1e6 : null);
            line.Add("lg_user_s", self?.User);
            line.Add("lg_sys_s", self?.System);
            line.Add("steal_pct", stealEnd is { } s1 && stealStart is { } s0 && seconds > 0 ? (s1 - s0) / (seconds * Environment.ProcessorCount) * 100 : null);
            output.WriteLine(line.ToString());
            return 0;
        }
        finally
        {
            foreach (var session in sessions)
            {
                if (session is not null)
                {
                    await session.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }

    private static (long At, CpuTime? Broker, double? Steal) Sample(int? brokerPid) =>
        (Stopwatch.GetTimestamp(), brokerPid is { } pid ? ProcStat.ReadProcess(pid) : null, ProcStat.ReadSteal());

    private static async Task WaitUntilAsync(long timestamp, Task orEnd)
    {
        var left = timestamp - Stopwatch.GetTimestamp();
        if (left > 0)
        {
            await Task.WhenAny(orEnd, Task.Delay(TimeSpan.FromSeconds(left / (double)Stopwatch.Frequency))).ConfigureAwait(false);
        }
    }

    /// <summary>One closed-loop request slot; its counters are written by its own loop only.</summary>
    private sealed class WsLane(int id, ZgcWebSocketSession session, byte[] payload)
    {
        public int Id { get; } = id;

        public ZgcWebSocketSession Session { get; } = session;

        public byte[] Payload { get; } = payload;

        public long Sequence { get; set; }

        public long Sent { get; set; }

        public long Ok { get; set; }

        public long WindowOk { get; set; }

        public long Mismatched { get; set; }

        public long Unanswered { get; set; }

        public long[] ByStatus { get; } = new long[256];
    }
}
