namespace ZmqGame.Client.Cli.Load;

/// <summary>
/// Settings of one closed-loop load run: <see cref="Clients"/> connections (one <see cref="ZmqGameClient"/> each), each
/// keeping exactly <see cref="Depth"/> requests in flight. Either a timed run (<see cref="Warmup"/> then
/// <see cref="Duration"/> measured) or a fixed number of requests (<see cref="Requests"/> &gt; 0).
/// </summary>
internal sealed class LoadOptions
{
    /// <summary>The sample worker host's typed echo route (<c>game</c> service, command 5).</summary>
    public const int EchoCommand = 5;

    /// <summary>The service that hosts <see cref="EchoCommand"/>.</summary>
    public const string EchoService = "game";

    /// <summary>Broker frontend. Default tcp://localhost:5555.</summary>
    public string Broker { get; set; } = CliApp.DefaultBroker;

    /// <summary>Connections, each a <see cref="ZmqGameClient"/> with its own socket. Default 8.</summary>
    public int Clients { get; set; } = 8;

    /// <summary>Requests each client keeps in flight (closed loop: a reply sends the next one). Default 1.</summary>
    public int Depth { get; set; } = 1;

    /// <summary>Bytes of the payload frame (a MessagePack bin, header included). Default 64.</summary>
    public int PayloadSize { get; set; } = 64;

    /// <summary>Measured window of a timed run. Default 5 s.</summary>
    public TimeSpan Duration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Load before the measured window, not counted. Default 1 s.</summary>
    public TimeSpan Warmup { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>When &gt; 0: send exactly this many requests in all, count every one, no warm-up. Default 0 (timed run).</summary>
    public long Requests { get; set; }

    /// <summary>Services to call; client i uses <c>Services[i % Count]</c>. Default <c>game</c>.</summary>
    public IReadOnlyList<string> Services { get; set; } = [EchoService];

    /// <summary>Command id of every request. Default 5, the echo route of the sample <c>game</c> service.</summary>
    public int Command { get; set; } = EchoCommand;

    /// <summary>Deadline of each request (also sent to the broker as its queue deadline). Default 5 s.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long each client waits for the broker to answer its first heartbeat. Default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The clients share the process's loops (<see cref="ZmqGameClientOptions.SharedLoops"/>) instead of a thread each. Default false.</summary>
    public bool SharedLoops { get; set; }

    /// <summary>Check that each reply equals the request payload (an echo route). Default true.</summary>
    public bool Verify { get; set; } = true;

    /// <summary>Broker process whose CPU (/proc/PID/stat utime+stime) is measured over the window; none when null.</summary>
    public int? BrokerPid { get; set; }

    /// <summary>Worker process whose CPU is measured over the window; none when null.</summary>
    public int? WorkerPid { get; set; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> or <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Broker))
        {
            throw new ArgumentException("the broker endpoint must not be empty", nameof(Broker));
        }

        Check(Clients, 1, 10_000, nameof(Clients));
        Check(Depth, 1, 10_000, nameof(Depth));
        Check(PayloadSize, EchoPayload.MinSize, 1 << 20, nameof(PayloadSize));
        if (Requests < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Requests), Requests, "Requests must not be negative.");
        }

        if (Requests == 0 && Duration <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(Duration), Duration, "Duration must be positive.");
        }

        if (Warmup < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(Warmup), Warmup, "Warmup must not be negative.");
        }

        if (Services.Count == 0)
        {
            throw new ArgumentException("at least one service is needed", nameof(Services));
        }

        foreach (var service in Services)
        {
            ZmqGame.Client.Internal.ClientCore.ValidateService(service);
        }

        if (Timeout < TimeSpan.FromMilliseconds(1) || ConnectTimeout < TimeSpan.FromMilliseconds(1))
        {
            throw new ArgumentOutOfRangeException(nameof(Timeout), Timeout, "Timeout and ConnectTimeout must be at least 1 ms.");
        }
    }

    private static void Check(int value, int min, int max, string name)
    {
        if (value < min || value > max)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be between {min} and {max}.");
        }
    }
}
