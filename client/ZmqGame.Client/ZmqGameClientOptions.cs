using System.Text;
using MessagePack;
using Microsoft.Extensions.Logging;
using NetMQ;

namespace ZmqGame.Client;

/// <summary>
/// Settings of a <see cref="ZmqGameClient"/>. Every duration is a <see cref="TimeSpan"/>; the defaults
/// match the broker's (heartbeat 2.5 s, liveness 3, request timeout 10 s).
/// </summary>
public sealed class ZmqGameClientOptions
{
    /// <summary>Longest duration accepted anywhere (the request header carries milliseconds as u32; timers cap at ~49 days).</summary>
    internal static readonly TimeSpan MaxDuration = TimeSpan.FromDays(1);

    /// <summary>
    /// The brokers of a cluster (frontend endpoints) the client may use, when <see cref="ZmqGameClient.ConnectAsync(string, ZmqGameClientOptions?, CancellationToken)"/>
    /// is given none. The client starts at one chosen at random and moves to another when it loses it or is asked to
    /// move. Default empty.
    /// </summary>
    public IList<string> Brokers { get; set; } = new List<string>();

    /// <summary>
    /// Deadline of a request when the call does not give one. Default 10 s. The deadline is also sent to the
    /// broker (request header timeout field) so a request that waits in its queue expires there too.
    /// A request that gets no reply by its deadline fails with <c>Status.Timeout</c>.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The client sends a ZGC01 HEARTBEAT when it has sent nothing for this long, or has heard nothing for
    /// this long and sent no heartbeat for this long. The broker answers each one. Default 2.5 s.
    /// </summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromMilliseconds(2500);

    /// <summary>
    /// Heartbeat intervals of silence from the broker after which the connection is declared dead, its socket
    /// closed and a new one opened. Default 3 (7.5 s with the default interval). At least 1.
    /// </summary>
    public int Liveness { get; set; } = 3;

    /// <summary>
    /// How long <see cref="ZmqGameClient.ConnectAsync(string, ZmqGameClientOptions?, CancellationToken)"/> waits for the broker to open the client's session (HELLO
    /// answered by WELCOME) before it throws <see cref="TimeoutException"/>. Default 5 s.
    /// </summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// First delay before reopening the connection after a failed attempt; it grows exponentially with jitter
    /// up to <see cref="ReconnectDelayMax"/>. The first reopen after a working connection died is immediate,
    /// since the client already waited its liveness. Default 250 ms.
    /// </summary>
    public TimeSpan ReconnectDelayMin { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Upper bound of the reconnect backoff. Default 10 s.</summary>
    public TimeSpan ReconnectDelayMax { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The service whose workers get this client's session events (<c>client connected</c>, <c>client closed</c>),
    /// sent in HELLO. Null or empty (the default): no events. At most 255 UTF-8 bytes, not <c>mmi.*</c>.
    /// </summary>
    public string? SessionService { get; set; }

    /// <summary>
    /// Pushes each subscriber (<see cref="ZmqGameClient.PushesAsync"/>, <see cref="ZmqGameClient.OnPush{T}(int, Action{T})"/>)
    /// may have waiting before the oldest is dropped and counted in <see cref="ZmqGameClient.DroppedPushes"/>. Default 1024;
    /// 1 to 1,000,000.
    /// </summary>
    public int PushBufferSize { get; set; } = 1024;

    /// <summary>
    /// The broker frontend's CURVE public key (Z85, 40 characters). When set, the connection is encrypted and the
    /// broker authenticated (the client uses a throw-away key pair of its own); the broker must have CURVE on.
    /// Default null: plain TCP.
    /// </summary>
    public string? ServerPublicKey { get; set; }

    /// <summary>
    /// The most bytes a request may hold (its frames together, as the broker counts them) until the broker says its
    /// own limit: the broker announces its <c>MaxMessageSize</c> when it opens the session, and that is used from then
    /// on. A larger request fails at once with <see cref="Protocol.Status.TooLarge"/>, without being sent. Default
    /// 1 MiB (the broker's default); at least 1024.
    /// </summary>
    public int MaxMessageSize { get; set; } = 1 << 20;

    /// <summary>
    /// How request, reply and push payloads are read and written. Null (the default): MessagePack's standard resolver
    /// where the runtime can make code at run time, and <see cref="ZmqGameResolver"/> alone where it cannot (Unity
    /// IL2CPP). A game built ahead of time composes its own payloads' formatters with <see cref="ZmqGameResolver"/>
    /// (e.g. in a <c>StaticCompositeResolver</c>) and sets the result here, with
    /// <c>MessagePackSecurity.UntrustedData</c>.
    /// </summary>
    public MessagePackSerializerOptions? SerializerOptions { get; set; }

    /// <summary>
    /// Runs the client on a loop shared with the other clients of the process that set it, instead of a thread of its
    /// own: for a bot farm or a load test with thousands of clients in one process. The process keeps at most one such
    /// loop per core (a thread and an epoll set each), started with the first client that needs it and stopped when
    /// its last client is disposed; each new client goes to the loop with the fewest. A client on a shared loop behaves
    /// as one alone: its own heartbeats and liveness, session, pushes, reconnects and disposal (which closes only its
    /// connection). It is a switch rather than a loop object to pass around because the group has nothing to
    /// configure and no lifetime of its own to manage: it lives exactly as long as its clients. Applies on ZmqGame's
    /// own transport (Linux, .NET 10, <c>tcp://</c> without CURVE); elsewhere (NetMQ, WebSocket, Unity) each client
    /// keeps its own loop. Default false: one loop thread per client, the lowest latency for a single client.
    /// </summary>
    public bool SharedLoops { get; set; }

    /// <summary>Logging; none when null.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Clock and timers for heartbeats, liveness, deadlines and backoff; <see cref="TimeProvider.System"/> when null.</summary>
    public TimeProvider? TimeProvider { get; set; }

    /// <summary>
    /// Throws <see cref="ArgumentException"/> naming the first invalid setting (<see cref="ArgumentOutOfRangeException"/>
    /// for numbers and durations).
    /// </summary>
    public void Validate()
    {
        CheckDuration(RequestTimeout, nameof(RequestTimeout), TimeSpan.FromMilliseconds(1));
        CheckDuration(HeartbeatInterval, nameof(HeartbeatInterval), TimeSpan.FromMilliseconds(1));
        CheckDuration(ConnectTimeout, nameof(ConnectTimeout), TimeSpan.FromMilliseconds(1));
        CheckDuration(ReconnectDelayMin, nameof(ReconnectDelayMin), TimeSpan.FromMilliseconds(1));
        CheckDuration(ReconnectDelayMax, nameof(ReconnectDelayMax), TimeSpan.FromMilliseconds(1));
        if (Liveness < 1 || Liveness > 1000)
        {
            throw new ArgumentOutOfRangeException(nameof(Liveness), Liveness, "Liveness must be between 1 and 1000.");
        }

        if (ReconnectDelayMax < ReconnectDelayMin)
        {
            throw new ArgumentOutOfRangeException(
                nameof(ReconnectDelayMax), ReconnectDelayMax, $"ReconnectDelayMax must not be less than ReconnectDelayMin ({ReconnectDelayMin}).");
        }

        if (TimeSpan.FromTicks(HeartbeatInterval.Ticks * Liveness) > MaxDuration)
        {
            throw new ArgumentOutOfRangeException(nameof(HeartbeatInterval), HeartbeatInterval, "HeartbeatInterval × Liveness must not exceed one day.");
        }

        if (MaxMessageSize < 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxMessageSize), MaxMessageSize, "MaxMessageSize must be at least 1024.");
        }

        if (PushBufferSize < 1 || PushBufferSize > 1_000_000)
        {
            throw new ArgumentOutOfRangeException(nameof(PushBufferSize), PushBufferSize, "PushBufferSize must be between 1 and 1000000.");
        }

        _ = SessionServiceBytes();
        _ = ServerKey();
    }

    /// <summary>The HELLO service frame: empty when <see cref="SessionService"/> is null or empty.</summary>
    internal byte[] SessionServiceBytes()
    {
        if (string.IsNullOrEmpty(SessionService))
        {
            return [];
        }

        var bytes = Encoding.UTF8.GetBytes(SessionService);
        if (bytes.Length > 255)
        {
            throw new ArgumentException("SessionService must be at most 255 UTF-8 bytes.", nameof(SessionService));
        }

        if (SessionService!.StartsWith("mmi.", StringComparison.Ordinal))
        {
            throw new ArgumentException("SessionService must not be an mmi.* service.", nameof(SessionService));
        }

        return bytes;
    }

    /// <summary>The 32-byte CURVE server key, or null when <see cref="ServerPublicKey"/> is not set.</summary>
    internal byte[]? ServerKey()
    {
        if (ServerPublicKey is null)
        {
            return null;
        }

        const string Z85 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
        if (ServerPublicKey.Length != 40 || ServerPublicKey.Any(c => Z85.IndexOf(c) < 0))
        {
            throw new ArgumentException("ServerPublicKey must be a Z85 CURVE public key: 40 characters of the Z85 alphabet.", nameof(ServerPublicKey));
        }

        try
        {
            return NetMQCertificate.FromPublicKey(ServerPublicKey).PublicKey;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new ArgumentException($"ServerPublicKey is not a valid Z85 CURVE public key: {ex.Message}", nameof(ServerPublicKey), ex);
        }
    }

    internal ZmqGameClientOptions Clone()
    {
        var copy = (ZmqGameClientOptions)MemberwiseClone();
        copy.Brokers = new List<string>(Brokers ?? []);
        return copy;
    }

    internal static void CheckDuration(TimeSpan value, string name, TimeSpan min)
    {
        if (value < min || value > MaxDuration)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be between {min} and {MaxDuration}.");
        }
    }
}
