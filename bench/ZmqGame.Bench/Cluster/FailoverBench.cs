using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using MessagePack;
using ZmqGame.Client;
using ZmqGame.Protocol;

namespace ZmqGame.Bench.Cluster;

/// <summary>
/// <c>cluster failover</c>: how long clients take to be served again after their broker is killed. <c>-c</c> clients,
/// each given the whole broker list, make paced requests to the worker host's typed echo route. Once every client has
/// been served, this process kills the broker it is given (<c>--kill-pid</c>: SIGKILL, whose connections the kernel
/// closes at once; or with <c>--signal stop</c>, SIGSTOP: a broker that falls silent with its connections open, as a
/// host that loses power or its network, which clients notice only by their heartbeat) and measures, for each client,
/// the time from the kill to the end of its next successful request (one sent after the signal, so that the killed
/// broker cannot have served it); clients that were on the killed broker
/// (<c>--kill-frontend</c>, against <see cref="ZmqGameClient.Endpoint"/>) are reported apart from the others. Every
/// request is counted: ok, error by status (<see cref="Status.BrokerLost"/> for those in flight on the lost broker),
/// and unanswered (the client library's deadline passed: <see cref="Status.Timeout"/>).
/// </summary>
internal static class FailoverBench
{
    public const string Usage = "cluster failover --broker EP[,EP...] --kill-pid PID --kill-frontend EP [--signal kill|stop] [-c 100] [--interval-ms 20] [--heartbeat-ms 1000] [--liveness 3] [--settle 2] [--deadline 60] [--after 2] [--request-timeout-ms 5000] [--service game] [--cmd 5] [--size 64]";

    public static async Task<int> RunAsync(ClusterArgs a, TextWriter output, TextWriter log, CancellationToken cancellationToken)
    {
        var brokers = a.Text("--broker");
        a.Endpoints("--broker");
        var killPid = a.Int("--kill-pid", 0);
        var killFrontend = a.Text("--kill-frontend");
        var signal = (a.Optional("--signal") ?? "kill").ToUpperInvariant();
        var clientCount = a.Int("-c", 100);
        var interval = TimeSpan.FromMilliseconds(a.Int("--interval-ms", 20, min: 0));
        var heartbeat = TimeSpan.FromMilliseconds(a.Int("--heartbeat-ms", 1000));
        var liveness = a.Int("--liveness", 3);
        var settle = TimeSpan.FromSeconds(a.Number("--settle", 2));
        var deadline = TimeSpan.FromSeconds(a.Number("--deadline", 60));
        var after = TimeSpan.FromSeconds(a.Number("--after", 2));
        var requestTimeout = TimeSpan.FromMilliseconds(a.Int("--request-timeout-ms", 5000));
        var service = a.Optional("--service") ?? "game";
        var command = a.Int("--cmd", 5, min: 0);
        var size = a.Int("--size", 64, min: 0);
        a.CheckAllRead();
        if (killPid == 0)
        {
            throw new ArgumentException("--kill-pid is required");
        }

        if (signal is not ("KILL" or "STOP"))
        {
            throw new ArgumentException($"--signal must be kill or stop, not '{signal.ToLowerInvariant()}'");
        }

        using var victim = Process.GetProcessById(killPid);
        var options = new ZmqGameClientOptions { HeartbeatInterval = heartbeat, Liveness = liveness, RequestTimeout = requestTimeout };
        var payload = MessagePackSerializer.Serialize(new byte[size], cancellationToken: cancellationToken);
        var tally = new Tally();
        var kill = new KillTimes();
        var lanes = new Lane[clientCount];
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var tasks = new List<Task>();
        try
        {
            var connects = Enumerable.Range(0, clientCount).Select(_ => ZmqGameClient.ConnectAsync(brokers, options, cancellationToken)).ToArray();
            try
            {
                await Task.WhenAll(connects).ConfigureAwait(false);
            }
            catch (Exception ex) when (brokers.Contains(',', StringComparison.Ordinal) && ex is not OperationCanceledException and not TimeoutException)
            {
                throw new ArgumentException($"the client library did not take the broker list '{brokers}' ({ex.GetType().Name}: {ex.Message}); a list needs the multi-broker client library", ex);
            }
            finally
            {
                for (var i = 0; i < clientCount; i++)
                {
                    lanes[i] = new Lane(connects[i].IsCompletedSuccessfully ? connects[i].Result : null);
                }
            }

            tasks.AddRange(lanes.Select(lane => Task.Run(() => LaneAsync(lane, service, command, payload, interval, tally, kill, stop.Token), CancellationToken.None)));
            if (!await lanes.WaitAllAsync(l => l.Served, deadline, cancellationToken).ConfigureAwait(false))
            {
                log.WriteLine($"failover: only {lanes.Count(l => l.Served.Task.IsCompleted)} of {clientCount} clients were served within {deadline.TotalSeconds:0} s; not killing");
                return 1;
            }

            await Task.Delay(settle, cancellationToken).ConfigureAwait(false);
            foreach (var lane in lanes)
            {
                lane.OnVictim = string.Equals(lane.Client!.Endpoint, killFrontend, StringComparison.Ordinal);
            }

            var onVictim = lanes.Count(l => l.OnVictim);
            kill.Before = Stopwatch.GetTimestamp();
            Signal(victim, signal);
            Volatile.Write(ref kill.After, Stopwatch.GetTimestamp());
            log.WriteLine($"failover: killed broker pid {killPid} ({killFrontend}) with SIG{signal}; {onVictim} of {clientCount} clients were on it");
            log.Flush();
            var all = await lanes.WaitAllAsync(l => l.Recovered, deadline, cancellationToken).ConfigureAwait(false);
            await Task.Delay(after, cancellationToken).ConfigureAwait(false);
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(tasks).ConfigureAwait(false);

            // Clients not back by the deadline have no time: the recovered count shows them.
            var victims = lanes.Where(l => l.OnVictim && !double.IsNaN(l.RecoveryMs)).Select(l => l.RecoveryMs).Order().ToList();
            var others = lanes.Where(l => !l.OnVictim && !double.IsNaN(l.RecoveryMs)).Select(l => l.RecoveryMs).Order().ToList();
            log.WriteLine($"failover: ms from the kill to the next ok reply, clients on the killed broker: {string.Join(' ', victims.Select(Ms))}");
            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"signal={signal} clients={clientCount} on_killed={onVictim} heartbeat_ms={heartbeat.TotalMilliseconds:0} liveness={liveness} window_ms={heartbeat.TotalMilliseconds * liveness:0} " +
                $"recovered={lanes.Count(l => l.Recovered.Task.IsCompleted)} recover_ms_p50={Ms(Percentile(victims, 50))} recover_ms_p99={Ms(Percentile(victims, 99))} " +
                $"recover_ms_max={Ms(Percentile(victims, 100))} others_ms_max={Ms(Percentile(others, 100))} {tally.Text()}"));
            return all && tally.Unanswered == 0 ? 0 : 1;
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(tasks).ConfigureAwait(false);
            foreach (var lane in lanes)
            {
                if (lane?.Client is { } client)
                {
                    await client.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }

    private static async Task LaneAsync(Lane lane, string service, int command, byte[] payload, TimeSpan interval, Tally tally, KillTimes kill, CancellationToken cancellationToken)
    {
        var client = lane.Client!;
        while (!cancellationToken.IsCancellationRequested)
        {
            Status? status = null;
            var start = Stopwatch.GetTimestamp();
            try
            {
                await client.RequestRawAsync(service, command, payload, CancellationToken.None).ConfigureAwait(false);
            }
            catch (ZmqGameRequestException ex)
            {
                status = ex.Status;
            }

            var end = Stopwatch.GetTimestamp();
            tally.Add(status);
            if (status is null)
            {
                lane.Served.TrySetResult();
                // A request sent after the signal cannot have been served by the killed broker.
                // Timed from just before the signal, so the time it takes to send it counts against the cluster.
                var after = Volatile.Read(ref kill.After);
                if (after != 0 && start > after && double.IsNaN(lane.RecoveryMs))
                {
                    lane.RecoveryMs = Stopwatch.GetElapsedTime(kill.Before, end).TotalMilliseconds;
                    lane.Recovered.TrySetResult();
                }
            }

            try
            {
                await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>The p-th percentile (nearest rank) of sorted values; NaN when there are none.</summary>
    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];

    /// <summary>SIGKILL or SIGSTOP, through kill(2).</summary>
    private static void Signal(Process victim, string signal)
    {
        if (Posix.Kill(victim.Id, signal == "KILL" ? Posix.SigKill : Posix.SigStop) != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {victim.Id} failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Whole milliseconds, or "-" for none.</summary>
    private static string Ms(double ms) => double.IsNaN(ms) ? "-" : ms.ToString("F0", CultureInfo.InvariantCulture);

    private static async Task<bool> WaitAllAsync(this Lane[] lanes, Func<Lane, TaskCompletionSource> signal, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await Task.WhenAll(lanes.Select(l => signal(l).Task)).WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>
    /// When the broker was signalled (<see cref="Stopwatch.GetTimestamp"/>): <see cref="Before"/> is written first, then
    /// <see cref="After"/> (0 until then) with a volatile write, so a reader that sees <see cref="After"/> sees both.
    /// </summary>
    private sealed class KillTimes
    {
        public long Before;
        public long After;
    }

    /// <summary>One client and what happened to it around the kill.</summary>
    private sealed class Lane(ZmqGameClient? client)
    {
        public ZmqGameClient? Client { get; } = client;

        public TaskCompletionSource Served { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Recovered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool OnVictim { get; set; }

        public double RecoveryMs { get; set; } = double.NaN;
    }

    /// <summary>Every request by outcome: ok, error by status, unanswered (the client's deadline passed).</summary>
    private sealed class Tally
    {
        private readonly ConcurrentDictionary<Status, long> _errors = new();
        private long _ok;

        public long Unanswered => _errors.GetValueOrDefault(Status.Timeout);

        public void Add(Status? status)
        {
            if (status is { } s)
            {
                _errors.AddOrUpdate(s, 1, (_, n) => n + 1);
            }
            else
            {
                Interlocked.Increment(ref _ok);
            }
        }

        public string Text()
        {
            var errors = _errors.Where(e => e.Key != Status.Timeout).OrderBy(e => e.Key).ToList();
            var byStatus = errors.Count == 0 ? "none" : string.Join(',', errors.Select(e => $"{e.Key}:{e.Value}"));
            var sent = _ok + _errors.Values.Sum();
            return string.Create(CultureInfo.InvariantCulture, $"sent={sent} ok={_ok} errors={errors.Sum(e => e.Value)} errors_by_status={byStatus} unanswered={Unanswered}");
        }
    }
}
