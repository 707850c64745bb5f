using System.Diagnostics;
using System.Globalization;
using HdrHistogram;
using MessagePack;
using ZmqGame.Client;
using ZmqGame.Protocol;

namespace ZmqGame.Bench.Cluster;

/// <summary>
/// <c>cluster push</c>: cross-broker push latency. Client sessions connect to one broker (B: <c>--frontend</c>) and log
/// in there through a worker (the sample <c>lobby</c> service's login binds the session to a user); this process then
/// pushes to those users through another broker's control endpoint (A: <c>--control</c>), paced, round-robin over the
/// users. Each push carries the time it was sent (<see cref="Stopwatch.GetTimestamp"/>: same process, same clock), and
/// its latency is taken when the client library hands it to the push handler. Every push is counted: sent, reached
/// (A's answer: sessions it was queued for) and received. With <c>ZMQGAME_PUSH_TRACE=PREFIX</c> set, each measured
/// push's send and arrival times go to <c>PREFIX.bench.&lt;pid&gt;.tsv</c>, to be matched with the brokers' traces
/// (<c>ZMQGAME_CLUSTER_TRACE</c>, run-cluster.sh's <c>TRACE=1</c>).
/// </summary>
internal static class PushLatencyBench
{
    public const string Usage = "cluster push --frontend EP --control EP [--users 8] [--pushes 2000] [--rate 500] [--warmup 200] [--service lobby] [--login-cmd 1]";

    private const int WarmupCommand = 7700;
    private const int MeasuredCommand = 7701;
    private static readonly TimeSpan ArrivalTimeout = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(ClusterArgs a, TextWriter output, TextWriter log, CancellationToken cancellationToken)
    {
        var frontend = a.Text("--frontend");
        var control = a.Text("--control");
        var userCount = a.Int("--users", 8);
        var pushes = a.Int("--pushes", 2000);
        var rate = a.Number("--rate", 500);
        var warmup = a.Int("--warmup", 200, min: 0);
        var service = a.Optional("--service") ?? "lobby";
        var loginCommand = a.Int("--login-cmd", 1, min: 0);
        a.CheckAllRead();
        foreach (var (name, endpoint) in new[] { ("--frontend", frontend), ("--control", control) })
        {
            if (EndpointSyntax.Problem(endpoint, bind: false) is { } problem)
            {
                throw new ArgumentException($"{name} '{endpoint}' {problem}");
            }
        }

        var histogram = new LongConcurrentHistogram(1, 60_000_000, 3);
        var tracePath = Environment.GetEnvironmentVariable("ZMQGAME_PUSH_TRACE");
        var trace = string.IsNullOrEmpty(tracePath) ? null : new (long SentAt, long ArrivedAt)[pushes];
        var traced = 0;
        var warm = new Arrivals(warmup);
        var measured = new Arrivals(pushes);
        var tag = Guid.NewGuid().ToString("N")[..8];
        var users = Enumerable.Range(0, userCount).Select(i => $"bench-{tag}-{i}").ToArray();
        var clients = new List<ZmqGameClient>();
        try
        {
            foreach (var user in users)
            {
                var client = await ZmqGameClient.ConnectAsync(frontend, cancellationToken: cancellationToken).ConfigureAwait(false);
                clients.Add(client);
                client.OnPush<long>(WarmupCommand, _ => warm.Add());
                client.OnPush<long>(MeasuredCommand, sentAt =>
                {
                    var arrivedAt = Stopwatch.GetTimestamp();
                    histogram.RecordValue(Math.Max(1, (long)Stopwatch.GetElapsedTime(sentAt, arrivedAt).TotalMicroseconds));
                    if (trace is not null)
                    {
                        var slot = Interlocked.Increment(ref traced) - 1;
                        if (slot < trace.Length)
                        {
                            trace[slot] = (sentAt, arrivedAt);
                        }
                    }

                    measured.Add();
                });
                var login = MessagePackSerializer.Serialize(new Dictionary<string, string> { ["Name"] = user }, cancellationToken: cancellationToken);
                await client.RequestRawAsync(service, loginCommand, login, cancellationToken).ConfigureAwait(false);
            }

            log.WriteLine($"push: {users.Length} users logged in on {frontend}; pushing through {control}: {warmup} warm-up, then {pushes} at {rate:0}/s");
            using var channel = new ControlChannel(control);
            PushPaced(channel, users, WarmupCommand, warmup, rate, cancellationToken);
            await warm.WaitAsync(ArrivalTimeout, cancellationToken).ConfigureAwait(false);
            var reached = PushPaced(channel, users, MeasuredCommand, pushes, rate, cancellationToken);
            await measured.WaitAsync(ArrivalTimeout, cancellationToken).ConfigureAwait(false);

            if (trace is not null)
            {
                var lines = trace.Take(Math.Min(Volatile.Read(ref traced), trace.Length))
                    .Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.SentAt}\t{t.ArrivedAt}"));
                await File.WriteAllLinesAsync($"{tracePath}.bench.{Environment.ProcessId}.tsv", lines, cancellationToken).ConfigureAwait(false);
            }

            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"users={users.Length} pushes={pushes} rate={rate:0} reached={reached} received={measured.Count} warmup_received={warm.Count} " +
                $"push_p50_us={histogram.GetValueAtPercentile(50)} push_p99_us={histogram.GetValueAtPercentile(99)} " +
                $"push_p999_us={histogram.GetValueAtPercentile(99.9)} push_max_us={histogram.GetMaxValue()}"));
            return measured.Count == pushes ? 0 : 1;
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Sends <paramref name="count"/> pushes at <paramref name="rate"/> per second, each to the next user; returns the sessions reached.</summary>
    private static long PushPaced(ControlChannel channel, string[] users, int command, int count, double rate, CancellationToken cancellationToken)
    {
        var step = (long)(Stopwatch.Frequency / rate);
        var next = Stopwatch.GetTimestamp();
        var reached = 0L;
        for (var k = 0; k < count && !cancellationToken.IsCancellationRequested; k++)
        {
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
            if (wait > TimeSpan.Zero)
            {
                Thread.Sleep(wait);
            }

            next += step;
            var args = new ActionArgs { Users = [users[k % users.Length]], Command = command };
            reached += channel.Push(args, MessagePackSerializer.Serialize(Stopwatch.GetTimestamp(), cancellationToken: cancellationToken));
        }

        return reached;
    }

    /// <summary>Counts pushes as they arrive and lets the sender wait for all it expects.</summary>
    private sealed class Arrivals(int expected)
    {
        private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Add()
        {
            if (Interlocked.Increment(ref _count) >= expected)
            {
                _all.TrySetResult();
            }
        }

        /// <summary>Waits until every expected push arrived or <paramref name="timeout"/> passed (then the count tells).</summary>
        public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
        {
            if (expected == 0)
            {
                return;
            }

            try
            {
                await _all.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Reported by the counts.
            }
        }
    }
}
