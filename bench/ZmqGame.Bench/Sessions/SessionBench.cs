using System.Diagnostics;
using System.Globalization;
using MessagePack;
using NetMQ;
using NetMQ.Sockets;
using ZmqGame.Client.Cli.Load;
using ZmqGame.Protocol;

namespace ZmqGame.Bench.Sessions;

/// <summary>
/// Many idle client sessions against a broker process: what an idle session costs the broker (memory, CPU with
/// heartbeats) and how long one broadcast to all of them takes. Sessions are opened over a few DEALER sockets, each
/// connected many times to the frontend (every connection is its own peer and session in the broker), so one
/// process can hold 10,000 of them without 10,000 sockets.
/// </summary>
internal static class SessionBench
{
    private static readonly byte[] ZgcHeader = ZgClient.Header.ToArray();

    public static int Run(string[] args, TextWriter output)
    {
        string? frontend = null, control = null;
        int? brokerPid = null;
        var sessions = 10_000;
        var perSocket = 100;
        var heartbeat = TimeSpan.FromMilliseconds(2500);
        var idle = TimeSpan.FromSeconds(20);
        var broadcasts = 10;
        var size = 64;
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--frontend": frontend = Next(); break;
                case "--control": control = Next(); break;
                case "--broker-pid": brokerPid = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--sessions": sessions = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--per-socket": perSocket = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--heartbeat": heartbeat = TimeSpan.FromMilliseconds(double.Parse(Next(), CultureInfo.InvariantCulture)); break;
                case "--idle": idle = TimeSpan.FromSeconds(double.Parse(Next(), CultureInfo.InvariantCulture)); break;
                case "--broadcasts": broadcasts = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--size": size = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException("unknown option " + args[i]);
            }
        }

        if (frontend is null || control is null || brokerPid is null)
        {
            throw new ArgumentException("sessions needs --frontend, --control and --broker-pid");
        }

        var stateBytes = SessionStateSize.BytesPerSession(sessions);
        var rssBefore = ProcStatus.RssBytes(brokerPid.Value);
        using var admin = new DealerSocket(control);
        var socketCount = (sessions + perSocket - 1) / perSocket;
        var sockets = new List<DealerSocket>(socketCount);
        try
        {

            // HELLO once per connection: a DEALER sends round-robin over its connected pipes, so wait until every
            // connection is up first. A pipe that was still missing gets its HELLO in a later round (a second HELLO on
            // a pipe just replaces its session) until the broker holds them all.
            var opened = Stopwatch.StartNew();
            var connectSeconds = 0.0;
            var connected = 0;
            using (var monitorPoller = new NetMQPoller())
            {
                monitorPoller.RunAsync();
                var monitors = new List<NetMQ.Monitoring.NetMQMonitor>();
                for (var s = 0; s < socketCount; s++)
                {
                    var socket = new DealerSocket();
                    socket.Options.Linger = TimeSpan.Zero;
                    socket.Options.ReceiveHighWatermark = 0;
                    var monitor = new NetMQ.Monitoring.NetMQMonitor(socket, $"inproc://zmqgame-bench-{Guid.NewGuid():N}", SocketEvents.Connected);
                    monitor.Connected += (_, _) => Interlocked.Increment(ref connected);
                    monitor.AttachToPoller(monitorPoller);
                    monitors.Add(monitor);
                    var connections = Math.Min(perSocket, sessions - (s * perSocket));
                    for (var c = 0; c < connections; c++)
                    {
                        socket.Connect(frontend);
                    }

                    sockets.Add(socket);
                }

                while (Volatile.Read(ref connected) < sessions && opened.Elapsed < TimeSpan.FromSeconds(60))
                {
                    Thread.Sleep(50);
                }

                connectSeconds = opened.Elapsed.TotalSeconds;
                monitorPoller.Stop();
                monitors.ForEach(m => m.Dispose());
            }

            // Another round only once the broker has taken the last one (its session count stopped moving): a round
            // sent while it is still working through the previous one replaces sessions it has just opened.
            SendHellos(sockets, perSocket);
            var last = -1L;
            var still = Stopwatch.StartNew();
            for (var count = Stat(admin, "sessions"); count < sessions; count = Stat(admin, "sessions"))
            {
                if (opened.Elapsed > TimeSpan.FromMinutes(3))
                {
                    throw new TimeoutException($"only {count} of {sessions} sessions after 3 minutes");
                }

                if (count != last)
                {
                    last = count;
                    still.Restart();
                }
                else if (still.Elapsed > TimeSpan.FromSeconds(1))
                {
                    SendHellos(sockets, perSocket);
                    last = -1;
                }

                Drain(sockets, TimeSpan.FromMilliseconds(200));
            }

            var openSeconds = opened.Elapsed.TotalSeconds;
            var rssAfter = ProcStatus.RssBytes(brokerPid.Value);

            // Idle: every connection heartbeats (round-robin again: perSocket heartbeats per socket per interval).
            var cpu0 = ProcStat.ReadProcess(brokerPid.Value);
            var idleClock = Stopwatch.StartNew();
            Console.Error.WriteLine($"idle: {sockets.Count * perSocket} sessions heartbeat every {heartbeat.TotalMilliseconds:F0} ms for {idle.TotalSeconds:F0} s");
            var nextBeat = TimeSpan.Zero;
            while (idleClock.Elapsed < idle)
            {
                if (idleClock.Elapsed >= nextBeat)
                {
                    foreach (var socket in sockets)
                    {
                        for (var c = 0; c < perSocket; c++)
                        {
                            socket.SendMoreFrameEmpty().SendMoreFrame(ZgcHeader).SendFrame([ZgClient.Heartbeat]);
                        }
                    }

                    nextBeat += heartbeat;
                }

                Drain(sockets, TimeSpan.FromMilliseconds(50));
            }

            var cpu1 = ProcStat.ReadProcess(brokerPid.Value);
            var idleCpuPct = cpu0 is { } a && cpu1 is { } b ? (b - a).Total / idleClock.Elapsed.TotalSeconds * 100 : double.NaN;
            var alive = Stat(admin, "sessions");

            // Broadcasts: the control answer comes once the broker has handed the push to every connection; the
            // last copy received here is when it reached them all.
            var payload = MessagePackSerializer.Serialize(new byte[size]);
            Console.Error.WriteLine($"broadcasts: {broadcasts} pushes to every session, one after another");
            var leave = new List<double>();
            var reach = new List<double>();
            var fanOut = new List<double>();
            var written = new List<double>();
            var received = 0L;
            for (var r = 0; r < broadcasts; r++)
            {
                var args1 = new ActionArgs { All = true, Command = 1000 + r }.Serialize();
                var clock = Stopwatch.StartNew();
                admin.SendMoreFrameEmpty().SendMoreFrame(Control.Header.ToArray()).SendMoreFrame(SessionActions.Push).SendMoreFrame(args1).SendFrame(payload);
                var answer = admin.ReceiveMultipartBytes();
                leave.Add(clock.Elapsed.TotalMilliseconds);
                var result = ActionResult.Parse(answer[3]);
                var got = 0;
                while (got < result.Sessions && clock.Elapsed < TimeSpan.FromSeconds(30))
                {
                    got += CountPushes(sockets, 1000 + r);
                }

                reach.Add(clock.Elapsed.TotalMilliseconds);
                received += got;
                fanOut.Add(Stat(admin, "last_push_fanout_us") / 1000.0);
                written.Add(Stat(admin, "last_push_written_us") / 1000.0);
            }

            leave.Sort();
            reach.Sort();
            fanOut.Sort();
            written.Sort();
            var perSessionBytes = (rssAfter - rssBefore) / (double)sessions;
            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"sessions={sessions} alive={alive} connect_s={connectSeconds:F1} open_s={openSeconds:F1} rss_before_mb={rssBefore / 1048576.0:F1} rss_after_mb={rssAfter / 1048576.0:F1} " +
                $"bytes_per_session={perSessionBytes:F0} state_bytes_per_session={stateBytes:F0} heartbeat_ms={heartbeat.TotalMilliseconds:F0} idle_s={idle.TotalSeconds:F0} idle_cpu_pct={idleCpuPct:F2} " +
                $"broadcasts={broadcasts} received={received} fanout_ms_p50={fanOut[fanOut.Count / 2]:F1} fanout_ms_max={fanOut[^1]:F1} written_ms_p50={written[written.Count / 2]:F1} written_ms_max={written[^1]:F1} leave_ms_p50={leave[leave.Count / 2]:F1} leave_ms_max={leave[^1]:F1} " +
                $"reach_ms_p50={reach[reach.Count / 2]:F1} reach_ms_max={reach[^1]:F1}"));
            return received == (long)broadcasts * alive ? 0 : 1;
        }
        finally
        {
            foreach (var socket in sockets)
            {
                socket.Dispose();
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

    private static long Stat(DealerSocket admin, string key)
    {
        admin.SendMoreFrameEmpty().SendMoreFrame(Control.Header.ToArray()).SendFrame(Control.Stats);
        var answer = admin.ReceiveMultipartBytes();
        var map = MessagePackSerializer.Deserialize<Dictionary<string, object>>(answer[3], Payload.Options);
        return Convert.ToInt64(map[key], CultureInfo.InvariantCulture);
    }

    private static void Drain(List<DealerSocket> sockets, TimeSpan wait)
    {
        var until = Stopwatch.StartNew();
        var msg = default(Msg);
        msg.InitEmpty();
        do
        {
            var any = false;
            foreach (var socket in sockets)
            {
                while (socket.TryReceive(ref msg, TimeSpan.Zero))
                {
                    any = true;
                }
            }

            if (!any)
            {
                Thread.Sleep(1);
            }
        }
        while (until.Elapsed < wait);
        msg.Close();
    }

    /// <summary>
    /// Reads what is there on <paramref name="sockets"/>; returns how many were PUSH messages with
    /// <paramref name="command"/>, and (<paramref name="any"/>) whether anything came at all.
    /// </summary>
    internal static int CountPushes(List<DealerSocket> sockets, int command, out bool any)
    {
        var count = 0;
        any = false;
        var frames = new List<byte[]>();
        foreach (var socket in sockets)
        {
            while (socket.TryReceiveMultipartBytes(TimeSpan.Zero, ref frames))
            {
                any = true;
                if (frames.Count >= 4 && frames[2].Length == 1 && frames[2][0] == ZgClient.Push
                    && PushHeader.TryRead(frames[3], out var header) && header.Command == command)
                {
                    count++;
                }
            }
        }

        return count;
    }

    /// <summary>Like <see cref="CountPushes(List{DealerSocket}, int, out bool)"/>, yielding the processor when nothing came.</summary>
    private static int CountPushes(List<DealerSocket> sockets, int command)
    {
        var count = CountPushes(sockets, command, out var any);
        if (!any)
        {
            Thread.Sleep(0);
        }

        return count;
    }
}

/// <summary>Resident memory of a process, from /proc/PID/status.</summary>
internal static class ProcStatus
{
    public static long RssBytes(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return long.Parse(parts[1], CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }
}
