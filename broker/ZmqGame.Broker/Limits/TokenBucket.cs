namespace ZmqGame.Broker.Limits;

/// <summary>
/// The state of one token bucket, kept in what it limits (a session, a connection, an IP address): the timestamp at
/// which the bucket is full again. A bucket that was never used (0) or whose time has passed is full. A
/// <see cref="RateLimit"/> takes tokens from it; nothing refills it but the clock.
/// </summary>
internal struct TokenBucket
{
    /// <summary>Timestamp (<see cref="TimeProvider"/> ticks) at which the bucket holds its whole burst again.</summary>
    public long FullAt;
}

/// <summary>
/// A token bucket's rule: <see cref="Burst"/> tokens at most, refilled at <see cref="PerSecond"/> tokens a second,
/// one token per admitted event. Kept in its time form (the generic cell rate algorithm): a bucket holds
/// <c>Burst - (FullAt - now) / interval</c> tokens, so taking one is a comparison and an addition on one long, refilled
/// lazily from the caller's clock: no timer, no allocation, no lock (the caller's thread owns the buckets).
/// </summary>
internal sealed class RateLimit
{
    private readonly long _interval;
    private readonly long _tolerance;

    /// <param name="perSecond">Tokens a second; 0 turns the limit off (every take succeeds).</param>
    /// <param name="burst">Tokens the bucket holds (at least 1).</param>
    /// <param name="timestampFrequency">Ticks per second of the clock whose timestamps are passed in.</param>
    public RateLimit(int perSecond, int burst, long timestampFrequency)
    {
        PerSecond = Math.Max(0, perSecond);
        Burst = Math.Max(1, burst);
        _interval = PerSecond == 0 ? 0 : Math.Max(1, (long)Math.Round((double)timestampFrequency / PerSecond));
        _tolerance = (Burst - 1) * _interval;
    }

    /// <summary>Tokens refilled per second; 0 when off.</summary>
    public int PerSecond { get; }

    /// <summary>The bucket's size.</summary>
    public int Burst { get; }

    /// <summary>True when the limit applies.</summary>
    public bool IsOn => PerSecond > 0;

    /// <summary>Takes one token at <paramref name="now"/>; false, leaving the bucket as it was, when it is empty.</summary>
    public bool TryTake(ref TokenBucket bucket, long now)
    {
        if (!IsOn)
        {
            return true;
        }

        var fullAt = bucket.FullAt > now ? bucket.FullAt : now;
        if (fullAt - now > _tolerance)
        {
            return false;
        }

        bucket.FullAt = fullAt + _interval;
        return true;
    }

    /// <summary>When the bucket holds a token again (a timestamp; at or before now if it holds one already).</summary>
    public long NextTokenAt(in TokenBucket bucket) => bucket.FullAt - _tolerance;

    /// <summary>True when the bucket holds its whole burst at <paramref name="now"/> (the same as a bucket never used).</summary>
    public static bool IsFull(in TokenBucket bucket, long now) => bucket.FullAt <= now;
}
