using System.Diagnostics;
using System.Globalization;
using MessagePack;
using NetMQ;
using NetMQ.Monitoring;
using NetMQ.Sockets;
using ZmqGame.Bench.Sessions;
using ZmqGame.Protocol;

namespace ZmqGame.Bench.Cluster;

/// <summary>
/// <c>cluster broadcast</c>: one push to every session of a cluster, sessions spread evenly over its brokers
/// (<c>--frontend A,B</c>), sent through the first broker's control endpoint (<c>--control A,B</c>, same order): the
/// time until the last copy arrived, in all and apart for the sessions on the first broker ("local") and on the
/// others ("remote"). Sessions are opened as in the <c>sessions</c> bench: a few DEALER sockets, each connected
/// <c>--per-socket</c> times to one broker (every connection is its own session), so 10,000 sessions take 10,000
/// descriptors here and not 10,000 sockets. Each broker's own control endpoint says when it holds its share.
/// </summary>
internal static class ClusterBroadcastBench
{
    public const string Usage = "cluster broadcast --frontend EP[,EP...] --control EP[,EP...] [--sessions 10000] [--per-socket 100] [--broadcasts 10] [--size 64]";

    private const int WarmupCommand = 7800;
    private static readonly byte[] ZgcHeader = ZgClient.Header.ToArray();
    private static readonly TimeSpan OpenTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan ReachTimeout = TimeSpan.FromSeconds(10);

    public static int Run(ClusterArgs a, TextWriter output, TextWriter log)
    {
        var frontends = a.Endpoints("--frontend");
        var controlEndpoints = a.Endpoints("--control");
        var sessions = a.Int("--sessions", 10_000);
        var perSocket = a.Int("--per-socket", 100);
        var broadcasts = a.Int("--broadcasts", 10);
        var size = a.Int("--size", 64, min: 0);
        a.CheckAllRead();
        if (frontends.Count != controlEndpoints.Count)
        {
            throw new ArgumentException($"--frontend names {frontends.Count} brokers and --control {controlEndpoints.Count}: give one control endpoint per frontend, in the same order");
        }

        var controls = controlEndpoints.Select(e => new ControlChannel(e)).ToList();
        var groups = frontends.Select(_ => new List<DealerSocket>()).ToList();
        var shares = new int[frontends.Count];
        try
        {
            var opened = Stopwatch.StartNew();
            var connectSeconds = Connect(frontends, sessions, perSocket, groups, shares);
            log.WriteLine($"broadcast: {sessions} connections up in {connectSeconds:F1} s ({string.Join(" + ", shares)} over {frontends.Count} broker(s))");
            OpenSessions(groups, controls, shares, perSocket, opened);
            var openSeconds = opened.Elapsed.TotalSeconds;

            var payload = MessagePackSerializer.Serialize(new byte[size]);
            var everyone = new ActionArgs { All = true, Command = WarmupCommand }.Serialize();
            var warm = Broadcast(controls[0], groups, everyone, payload, WarmupCommand, sessions);
            log.WriteLine($"broadcast: sessions open in {openSeconds:F1} s; warm-up broadcast reached {warm.Received} of {sessions}; {broadcasts} measured broadcasts through {controls[0].Endpoint}");
            var results = new List<Reach>();
            for (var r = 0; r < broadcasts; r++)
            {
                var command = WarmupCommand + 1 + r;
                results.Add(Broadcast(controls[0], groups, new ActionArgs { All = true, Command = command }.Serialize(), payload, command, sessions));
            }

            var received = results.Sum(x => (long)x.Received);
            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"sessions={sessions} brokers={frontends.Count} per_broker={string.Join('+', shares)} connect_s={connectSeconds:F1} open_s={openSeconds:F1} broadcasts={broadcasts} " +
                $"received={received} expected={(long)broadcasts * sessions} {Stats("answer_ms", results.Select(x => x.AnswerMs))} {Stats("reach_ms", results.Select(x => x.AllMs))} " +
                $"{Stats("reach_local_ms", results.Select(x => x.LocalMs))} {Stats("reach_remote_ms", results.Select(x => x.RemoteMs))}"));
            return received == (long)broadcasts * sessions ? 0 : 1;
        }
        finally
        {
            groups.SelectMany(g => g).ToList().ForEach(s => s.Dispose());
            controls.ForEach(c => c.Dispose());
        }
    }

    /// <summary>Connects the sockets (round-robin over the brokers) and waits until every connection is up; returns the seconds it took.</summary>
    private static double Connect(IReadOnlyList<string> frontends, int sessions, int perSocket, List<List<DealerSocket>> groups, int[] shares)
    {
        var clock = Stopwatch.StartNew();
        var connected = 0;
        using var monitorPoller = new NetMQPoller();
        monitorPoller.RunAsync();
        var monitors = new List<NetMQMonitor>();
        try
        {
            for (int s = 0, left = sessions; left > 0; s++)
            {
                var broker = s % frontends.Count;
                var socket = new DealerSocket();
                socket.Options.Linger = TimeSpan.Zero;
                socket.Options.ReceiveHighWatermark = 0;
                groups[broker].Add(socket);
                var monitor = new NetMQMonitor(socket, $"inproc://zmqgame-cluster-bench-{Guid.NewGuid():N}", SocketEvents.Connected);
                monitor.Connected += (_, _) => Interlocked.Increment(ref connected);
                monitor.AttachToPoller(monitorPoller);
                monitors.Add(monitor);
                var connections = Math.Min(perSocket, left);
                for (var c = 0; c < connections; c++)
                {
                    socket.Connect(frontends[broker]);
                }

                shares[broker] += connections;
                left -= connections;
            }

            while (Volatile.Read(ref connected) < sessions)
            {
                if (clock.Elapsed > OpenTimeout)
                {
                    throw new TimeoutException($"only {connected} of {sessions} connections up after {OpenTimeout.TotalMinutes:0} minutes");
                }

                Thread.Sleep(50);
            }

            return clock.Elapsed.TotalSeconds;
        }
        finally
        {
            monitorPoller.Stop();
            monitors.ForEach(m => m.Dispose());
        }
    }

    /// <summary>
    /// HELLO on every connection, until each broker's own stats count its share of sessions. A DEALER sends round-robin
    /// over its connections, so a round reaches each once; another round (a second HELLO on a connection just replaces
    /// its session) goes out only when a broker's count stood still for a second.
    /// </summary>
    private static void OpenSessions(List<List<DealerSocket>> groups, List<ControlChannel> controls, int[] shares, int perSocket, Stopwatch opened)
    {
        for (var b = 0; b < groups.Count; b++)
        {
            SendHellos(groups[b], perSocket);
            var last = -1L;
            var still = Stopwatch.StartNew();
            for (var count = controls[b].Stat("sessions"); count < shares[b]; count = controls[b].Stat("sessions"))
            {
                if (opened.Elapsed > OpenTimeout)
                {
                    throw new TimeoutException($"{controls[b].Endpoint}: only {count} of {shares[b]} sessions after {OpenTimeout.TotalMinutes:0} minutes");
                }

                if (count != last)
                {
                    last = count;
                    still.Restart();
                }
                else if (still.Elapsed > TimeSpan.FromSeconds(1))
                {
                    SendHellos(groups[b], perSocket);
                    last = -1;
                }

                foreach (var group in groups)
                {
                    SessionBench.CountPushes(group, 0, out _);
                }

                Thread.Sleep(100);
            }
        }
    }

    private static void SendHellos(List<DealerSocket> sockets, int perSocket)
    {
        foreach (var socket in sockets)
        {
            for (var c = 0; c < perSocket; c++)
            {
                socket.SendMoreFrameEmpty().SendMoreFrame(ZgcHeader).SendMoreFrame([ZgClient.Hello]).SendMoreFrame([]).SendFrame([]);
            }
        }
    }

    /// <summary>One push to everyone through <paramref name="control"/>; waits until <paramref name="expected"/> copies arrived or 10 s passed.</summary>
    private static Reach Broadcast(ControlChannel control, List<List<DealerSocket>> groups, byte[] args, byte[] payload, int command, int expected)
    {
        var clock = Stopwatch.StartNew();
        var reach = new Reach();
        var gotPerGroup = new int[groups.Count];
        var lastPerGroup = new double[groups.Count];
        control.PushRaw(args, payload);
        reach.AnswerMs = clock.Elapsed.TotalMilliseconds;
        while (gotPerGroup.Sum() < expected && clock.Elapsed < ReachTimeout)
        {
            var any = false;
            for (var g = 0; g < groups.Count; g++)
            {
                var got = SessionBench.CountPushes(groups[g], command, out var seen);
                any |= seen;
                if (got > 0)
                {
                    gotPerGroup[g] += got;
                    lastPerGroup[g] = clock.Elapsed.TotalMilliseconds;
                }
            }

            if (!any)
            {
                Thread.Sleep(0);
            }
        }

        reach.Received = gotPerGroup.Sum();
        reach.AllMs = lastPerGroup.Max();
        reach.LocalMs = lastPerGroup[0];
        reach.RemoteMs = groups.Count > 1 ? lastPerGroup.Skip(1).Max() : double.NaN;
        return reach;
    }

    private static string Stats(string name, IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToList();
        return sorted.Count == 0
            ? $"{name}_p50=- {name}_max=-"
            : string.Create(CultureInfo.InvariantCulture, $"{name}_p50={sorted[sorted.Count / 2]:F1} {name}_max={sorted[^1]:F1}");
    }

    /// <summary>One broadcast: the control answer, and the last copy on every broker, on the first one, on the others (ms after sending).</summary>
    private sealed class Reach
    {
        public int Received { get; set; }

        public double AnswerMs { get; set; }

        public double AllMs { get; set; }

        public double LocalMs { get; set; }

        public double RemoteMs { get; set; }
    }
}
