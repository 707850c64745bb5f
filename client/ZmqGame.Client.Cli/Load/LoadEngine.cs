using System.Diagnostics;
using HdrHistogram;
using ZmqGame.Protocol;

namespace ZmqGame.Client.Cli.Load;

/// <summary>
/// Closed-loop load through the client library: <see cref="LoadOptions.Clients"/> connections, each with
/// <see cref="LoadOptions.Depth"/> lanes; a lane is one async loop that sends a request, awaits its end, records it and
/// sends the next, so exactly Clients × Depth requests are in flight. Per request a lane allocates nothing of its
/// own (its payload buffer is reused: the client library copies it), takes its start time in a local and records the
/// latency in its client's concurrent histogram. Every request sent ends up in exactly one bucket: ok, mismatched,
/// an error status, a client-side error, or unanswered (still pending after the drain period).
/// </summary>
internal sealed class LoadEngine
{
    /// <summary>Largest latency the histograms track (longer ones are recorded as this).</summary>
    public static readonly long MaxLatencyMicros = (long)TimeSpan.FromMinutes(2).TotalMicroseconds;

    private static readonly double MicrosPerTick = 1_000_000.0 / Stopwatch.Frequency;

    private readonly LoadOptions options;
    private long remaining;
    private long windowStart;
    private long windowEnd;
    private int stopping;

    public LoadEngine(LoadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        this.options = options;
    }

    /// <summary>Connects the clients, runs the load, and returns the counts. <paramref name="cancellationToken"/> stops sending early.</summary>
    /// <exception cref="TimeoutException">A client could not connect within <see cref="LoadOptions.ConnectTimeout"/>.</exception>
    public async Task<LoadResult> RunAsync(CancellationToken cancellationToken = default)
    {
        var selfStart = ProcStat.ReadProcess(Environment.ProcessId);
        var clients = new ZmqGameClient[options.Clients];
        var clientOptions = new ZmqGameClientOptions
        {
            ConnectTimeout = options.ConnectTimeout,
            RequestTimeout = options.Timeout,
            SharedLoops = options.SharedLoops,
        };
        try
        {
            var connecting = new Task<ZmqGameClient>[clients.Length];
            for (var i = 0; i < clients.Length; i++)
            {
                connecting[i] = ZmqGameClient.ConnectAsync(options.Broker, clientOptions, cancellationToken);
            }

            try
            {
                await Task.WhenAll(connecting).ConfigureAwait(false);
            }
            finally
            {
                for (var i = 0; i < clients.Length; i++)
                {
                    if (connecting[i].IsCompletedSuccessfully)
                    {
                        clients[i] = connecting[i].Result;
                    }
                }
            }

            return await RunConnectedAsync(clients, selfStart, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            foreach (var client in clients)
            {
                if (client is not null)
                {
                    await client.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }

    private async Task<LoadResult> RunConnectedAsync(ZmqGameClient[] clients, CpuTime? selfStart, CancellationToken cancellationToken)
    {
        var fixedCount = options.Requests > 0;
        var lanes = new Lane[clients.Length * options.Depth];
        var histograms = new LongConcurrentHistogram[clients.Length];
        for (var c = 0; c < clients.Length; c++)
        {
            histograms[c] = new LongConcurrentHistogram(1, MaxLatencyMicros, 3);
            var service = options.Services[c % options.Services.Count];
            for (var d = 0; d < options.Depth; d++)
            {
                var id = (c * options.Depth) + d;
                lanes[id] = new Lane(id, clients[c], service, histograms[c], EchoPayload.Create(options.PayloadSize, id));
            }
        }

        remaining = options.Requests;
        var t0 = Stopwatch.GetTimestamp();
        windowStart = fixedCount ? t0 : t0 + ToTicks(options.Warmup);
        windowEnd = fixedCount ? long.MaxValue : windowStart + ToTicks(options.Duration);

        // Sampled at the window's edges; a fixed-count run's window is the whole run.
        CpuTime? brokerStart = null, workerStart = null;
        double? stealStart = null;
        long sampleStart = 0;
        void SampleStart()
        {
            sampleStart = Stopwatch.GetTimestamp();
            brokerStart = options.BrokerPid is { } b ? ProcStat.ReadProcess(b) : null;
            workerStart = options.WorkerPid is { } w ? ProcStat.ReadProcess(w) : null;
            stealStart = ProcStat.ReadSteal();
        }

        if (fixedCount)
        {
            SampleStart();
        }

        using var stopRegistration = cancellationToken.Register(static s => Volatile.Write(ref ((LoadEngine)s!).stopping, 1), this);
        var tasks = new Task[lanes.Length];
        for (var i = 0; i < lanes.Length; i++)
        {
            tasks[i] = RunLaneAsync(lanes[i]);
        }

        var all = Task.WhenAll(tasks);
        if (!fixedCount)
        {
            await DelayUntilAsync(windowStart, all).ConfigureAwait(false);
            SampleStart();
            await DelayUntilAsync(windowEnd, all).ConfigureAwait(false);
        }
        else
        {
            await all.ConfigureAwait(false);
        }

        var sampleEnd = Stopwatch.GetTimestamp();
        var brokerEnd = options.BrokerPid is { } bp ? ProcStat.ReadProcess(bp) : null;
        var workerEnd = options.WorkerPid is { } wp ? ProcStat.ReadProcess(wp) : null;
        var stealEnd = ProcStat.ReadSteal();

        // No new requests from here on; those in flight end by their deadline, or are counted as unanswered.
        Volatile.Write(ref stopping, 1);
        var drain = options.Timeout + TimeSpan.FromSeconds(2);
        var drained = await Task.WhenAny(all, Task.Delay(drain, CancellationToken.None)).ConfigureAwait(false) == all;

        var result = new LoadResult(options, lanes[0].Payload.Length)
        {
            WindowSeconds = (sampleEnd - sampleStart) / (double)Stopwatch.Frequency,
            Broker = Delta(brokerEnd, brokerStart),
            Worker = Delta(workerEnd, workerStart),
            StealPercent = stealEnd is { } s1 && stealStart is { } s0
                ? (s1 - s0) / ((sampleEnd - sampleStart) / (double)Stopwatch.Frequency * Environment.ProcessorCount) * 100
                : null,
        };
        foreach (var lane in lanes)
        {
            result.Add(lane, stillInFlight: !drained && Volatile.Read(ref lane.InFlight));
        }

        foreach (var histogram in histograms)
        {
            result.Latency.Add(histogram);
        }

        var selfEnd = ProcStat.ReadProcess(Environment.ProcessId);
        result.LoadGenerator = Delta(selfEnd, selfStart);
        return result;
    }

    private async Task RunLaneAsync(Lane lane)
    {
        // Let every lane start before the first one runs its loop synchronously.
        await Task.Yield();
        var fixedCount = options.Requests > 0;
        var timeout = options.Timeout;
        var command = options.Command;
        while (Volatile.Read(ref stopping) == 0)
        {
            if (fixedCount ? Interlocked.Decrement(ref remaining) < 0 : Stopwatch.GetTimestamp() >= windowEnd)
            {
                break;
            }

            lane.Sequence++;
            EchoPayload.Stamp(lane.Payload, lane.Id, lane.Sequence);
            lane.Sent++;
            Volatile.Write(ref lane.InFlight, true);
            var start = Stopwatch.GetTimestamp();
            byte[]? reply = null;
            var status = Status.Ok;
            var clientError = false;
            try
            {
                reply = await lane.Client.RequestRawAsync(lane.Service, command, lane.Payload, timeout, CancellationToken.None).ConfigureAwait(false);
            }
            catch (ZmqGameRequestException ex)
            {
                status = ex.Status;
                if (ex.ConnectionLost)
                {
                    lane.ConnectionLost++;
                }
            }
            catch (Exception ex) when (ex is ObjectDisposedException or OperationCanceledException or ArgumentException)
            {
                clientError = true;
            }

            var end = Stopwatch.GetTimestamp();
            Volatile.Write(ref lane.InFlight, false);
            var inWindow = end >= windowStart && end < windowEnd;
            if (clientError)
            {
                lane.ClientErrors++;
            }
            else if (status != Status.Ok)
            {
                lane.ByStatus[(byte)status]++;
            }
            else if (options.Verify && !reply.AsSpan().SequenceEqual(lane.Payload))
            {
                lane.Mismatched++;
            }
            else
            {
                lane.Ok++;
                if (inWindow)
                {
                    lane.WindowOk++;
                    lane.Histogram.RecordValue(Math.Clamp((long)((end - start) * MicrosPerTick), 1, MaxLatencyMicros));
                }
            }
        }
    }

    private static async Task DelayUntilAsync(long timestamp, Task orEnd)
    {
        var left = timestamp - Stopwatch.GetTimestamp();
        if (left > 0)
        {
            await Task.WhenAny(orEnd, Task.Delay(TimeSpan.FromSeconds(left / (double)Stopwatch.Frequency))).ConfigureAwait(false);
        }
    }

    private static long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    private static CpuTime? Delta(CpuTime? end, CpuTime? start) => end is { } e && start is { } s ? e - s : null;

    /// <summary>One closed-loop request slot. Its counters are written only by its own loop (one continuation at a time).</summary>
    internal sealed class Lane(int id, ZmqGameClient client, string service, LongConcurrentHistogram histogram, byte[] payload)
    {
        public bool InFlight;

        public int Id { get; } = id;

        public ZmqGameClient Client { get; } = client;

        public string Service { get; } = service;

        public LongConcurrentHistogram Histogram { get; } = histogram;

        public byte[] Payload { get; } = payload;

        public long Sequence { get; set; }

        public long Sent { get; set; }

        public long Ok { get; set; }

        public long WindowOk { get; set; }

        public long Mismatched { get; set; }

        public long ClientErrors { get; set; }

        public long ConnectionLost { get; set; }

        public long[] ByStatus { get; } = new long[256];
    }
}
