namespace ZmqGame.Client.Internal;

/// <summary>What a liveness tick found.</summary>
internal enum LivenessVerdict
{
    /// <summary>Nothing to do.</summary>
    Alive,

    /// <summary>Time for a heartbeat: the client sent nothing for an interval, or heard nothing and did not ask.</summary>
    Heartbeat,

    /// <summary>The broker sent nothing for <c>Liveness</c> intervals: the connection is dead.</summary>
    Silent,

    /// <summary>The broker talks but did not answer HELLO for <c>Liveness</c> intervals: the connection is useless.</summary>
    HelloUnanswered,
}

/// <summary>
/// Heartbeats both ways (docs/protocol.md, "Heartbeats"): when the client last sent and heard anything on the
/// connection, when a heartbeat is due, and when the broker's silence ends the connection. Times are
/// <see cref="TimeProvider.GetTimestamp"/> values. I/O thread, except <see cref="HeartbeatsSent"/>.
/// </summary>
internal sealed class ClientLiveness
{
    private readonly long heartbeatTicks;
    private readonly long livenessTicks;
    private long lastSent;
    private long lastReceived;
    private long lastHeartbeatSent;
    private long heartbeatsSent;

    public ClientLiveness(TimeProvider time, TimeSpan heartbeatInterval, int liveness)
    {
        heartbeatTicks = time.ToTimestampTicks(heartbeatInterval);
        livenessTicks = heartbeatTicks * liveness;
    }

    /// <summary>Heartbeats sent so far. Any thread.</summary>
    public long HeartbeatsSent => Interlocked.Read(ref heartbeatsSent);

    /// <summary>How often the I/O thread checks: a quarter of the heartbeat interval, at least a millisecond.</summary>
    public static TimeSpan TickInterval(TimeSpan heartbeatInterval) =>
        TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, heartbeatInterval.Ticks / 4));

    /// <summary>A connection opened: its silence counts from now.</summary>
    public void Opened(long now) => lastReceived = now;

    /// <summary>The broker sent something.</summary>
    public void Received(long now) => lastReceived = now;

    /// <summary>The client sent something other than a heartbeat.</summary>
    public void Sent(long now) => lastSent = now;

    /// <summary>The client sent a heartbeat.</summary>
    public void HeartbeatSent(long now)
    {
        lastSent = now;
        lastHeartbeatSent = now;
        Interlocked.Increment(ref heartbeatsSent);
    }

    /// <summary>How long the broker has been silent.</summary>
    public long SilentTicks(long now) => now - lastReceived;

    /// <summary>
    /// What to do at <paramref name="now"/>; <paramref name="helloSentAt"/> is when the unanswered HELLO went, null
    /// when none is waiting.
    /// </summary>
    public LivenessVerdict Check(long now, long? helloSentAt)
    {
        var silent = now - lastReceived;
        if (silent >= livenessTicks)
        {
            return LivenessVerdict.Silent;
        }

        if (helloSentAt is { } sentAt && now - sentAt >= livenessTicks)
        {
            return LivenessVerdict.HelloUnanswered;
        }

        if (now - lastSent >= heartbeatTicks || (silent >= heartbeatTicks && now - lastHeartbeatSent >= heartbeatTicks))
        {
            return LivenessVerdict.Heartbeat;
        }

        return LivenessVerdict.Alive;
    }
}
