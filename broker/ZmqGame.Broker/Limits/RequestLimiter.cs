using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ZmqGame.Broker.Sessions;
using ZmqGame.Transport;

namespace ZmqGame.Broker.Limits;

/// <summary>
/// The per-session request rate limit (<see cref="LimitsOptions.SessionRequestsPerSecond"/>): one token bucket in each
/// <see cref="Session"/>, and, for a client without a session (a stock MDP client), one per connection, kept here by
/// routing identity until the connection goes (or its bucket is full again: a full bucket is the same as none).
/// Admitting a request allocates nothing (a connection's first request adds its entry) and takes no lock. Counts and
/// logs (rate-limited) every refusal. Loop thread only.
/// </summary>
internal sealed class RequestLimiter
{
    /// <summary>Entries kept before full buckets are swept out.</summary>
    private const int SweepFloor = 1024;

    private readonly RateLimit _limit;
    private readonly BrokerStats _stats;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly LogThrottle _throttle;
    private readonly Dictionary<byte[], TokenBucket> _connections = new(ByteKeyComparer.Instance);
    private readonly Dictionary<byte[], TokenBucket>.AlternateLookup<ReadOnlySpan<byte>> _connectionsBySpan;
    private int _sweepAt = SweepFloor;

    public RequestLimiter(LimitsOptions options, BrokerStats stats, ILogger logger, TimeProvider time, TimeSpan logInterval)
    {
        _limit = new RateLimit(options.SessionRequestsPerSecond, options.EffectiveBurst, time.TimestampFrequency);
        _stats = stats;
        _logger = logger;
        _time = time;
        _throttle = new LogThrottle(time, logInterval);
        _connectionsBySpan = _connections.GetAlternateLookup<ReadOnlySpan<byte>>();
        SessionRefusal = Encoding.UTF8.GetBytes(Text("session"));
        ConnectionRefusal = Encoding.UTF8.GetBytes(Text("connection"));
    }

    /// <summary>No limit: every request is admitted.</summary>
    public static RequestLimiter Off { get; } = new(new LimitsOptions(), new BrokerStats(), NullLogger.Instance, TimeProvider.System, TimeSpan.FromSeconds(10));

    /// <summary>True when requests are limited.</summary>
    public bool IsOn => _limit.IsOn;

    /// <summary>The status text of a request refused for its session (<c>more than … from this session</c>).</summary>
    public byte[] SessionRefusal { get; }

    /// <summary>The status text of a request refused for its connection (a client without a session).</summary>
    public byte[] ConnectionRefusal { get; }

    /// <summary>Connections with a bucket held here (clients without a session).</summary>
    public int ConnectionBuckets => _connections.Count;

    /// <summary>
    /// Takes a token for one request of <paramref name="session"/> (or, without one, of the connection
    /// <paramref name="identity"/>). Null when admitted; else the refusal's status text, the refusal counted and logged.
    /// </summary>
    /// <param name="session">The client's session, or null.</param>
    /// <param name="identity">The client's routing identity.</param>
    /// <param name="answered">True for a ZmqGame client (answered <c>rate limited</c>); false for a stock MDP client (dropped).</param>
    /// <param name="retryAt">When refused: the timestamp (of the limiter's clock) at which the bucket holds a token again.</param>
    public byte[]? Admit(Session? session, ReadOnlySpan<byte> identity, bool answered, out long retryAt)
    {
        retryAt = 0;
        if (!_limit.IsOn)
        {
            return null;
        }

        var now = _time.GetTimestamp();
        if (session is not null)
        {
            if (_limit.TryTake(ref session.RequestBucket, now))
            {
                return null;
            }

            retryAt = _limit.NextTokenAt(session.RequestBucket);
            _stats.RateLimitedSession++;
            Log(identity, "session", _stats.RateLimitedSession, now);
            return SessionRefusal;
        }

        ref var bucket = ref CollectionsMarshal.GetValueRefOrAddDefault(_connectionsBySpan, identity, out var existed);
        var admitted = _limit.TryTake(ref bucket, now);
        retryAt = _limit.NextTokenAt(bucket);
        if (!existed && _connections.Count >= _sweepAt)
        {
            Sweep(now);
        }

        if (admitted)
        {
            return null;
        }

        long count;
        if (answered)
        {
            count = ++_stats.RateLimitedConnection;
        }
        else
        {
            count = ++_stats.RateLimitedMdp;
        }

        Log(identity, "connection", count, now);
        return ConnectionRefusal;
    }

    /// <summary>The client's connection has closed: its bucket goes with it.</summary>
    public void PeerGone(ReadOnlySpan<byte> identity)
    {
        if (_connections.Count > 0)
        {
            _connectionsBySpan.Remove(identity);
        }
    }

    /// <summary>Removes connections whose bucket is full again (the same as having none); the next sweep waits until the map doubles.</summary>
    private void Sweep(long now)
    {
        foreach (var (identity, bucket) in _connections)
        {
            if (RateLimit.IsFull(bucket, now))
            {
                _connections.Remove(identity);
            }
        }

        _sweepAt = Math.Max(SweepFloor, _connections.Count * 2);
    }

    private void Log(ReadOnlySpan<byte> identity, string scope, long count, long now)
    {
        if (_throttle.ShouldLog(now, out var suppressed))
        {
            LimitsLog.RequestRefused(_logger, Convert.ToHexString(identity), _limit.PerSecond, _limit.Burst, scope, count, suppressed);
        }
    }

    private string Text(string scope) =>
        $"more than {_limit.PerSecond} requests/s (burst {_limit.Burst}) from this {scope}";
}
