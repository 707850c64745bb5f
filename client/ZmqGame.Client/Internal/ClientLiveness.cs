using ZmqGame.Transport;

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

    /// <summary>A new connection has heard nothing from its broker for a heartbeat interval, and other brokers are listed: try the next.</summary>
    NeverAnswered,
}

/// <summary>
/// Heartbeats both ways (docs/protocol.md, "Heartbeats"), as the client applies them: the shared
/// <see cref="Liveness"/> bookkeeping (when the client last sent, sent a heartbeat and heard anything), plus what
/// only the client has: a HELLO the broker leaves unanswered ends the connection too, a silent broker is probed even
/// while requests go (<see cref="Liveness.HeartbeatOrProbeDue"/>), the send times carry over from one connection to
/// the next, and a count of heartbeats sent. I/O thread, except <see cref="HeartbeatsSent"/>.
/// </summary>
internal sealed class ClientLiveness
{
    private readonly TimeProvider time;
    private readonly Liveness link;
    private readonly TimeSpan unansweredLimit;
    private long heartbeatsSent;

    /// <summary>The least time a new connection waits for its broker's first word before trying another listed broker.</summary>
    public static readonly TimeSpan MinUnansweredLimit = TimeSpan.FromSeconds(1);

    public ClientLiveness(TimeProvider time, TimeSpan heartbeatInterval, int liveness)
    {
        this.time = time;
        link = new Liveness(time, heartbeatInterval, liveness);
        unansweredLimit = heartbeatInterval > MinUnansweredLimit ? heartbeatInterval : MinUnansweredLimit;
        link.NothingSent();
    }

    /// <summary>Heartbeats sent so far. Any thread.</summary>
    public long HeartbeatsSent => Interlocked.Read(ref heartbeatsSent);

    /// <summary>How long the broker has been silent.</summary>
    public TimeSpan Silence => link.Silence;

    /// <summary>How often the I/O thread checks: a quarter of the heartbeat interval, at least a millisecond.</summary>
    public static TimeSpan TickInterval(TimeSpan heartbeatInterval) =>
        TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, heartbeatInterval.Ticks / 4));

    /// <summary>A connection opened: its silence counts from now (the send times go on).</summary>
    public void Opened() => link.Heard();

    /// <summary>The broker sent something.</summary>
    public void Received() => link.Heard();

    /// <summary>The client sent something other than a heartbeat.</summary>
    public void Sent() => link.Sent();

    /// <summary>The client sent a heartbeat.</summary>
    public void HeartbeatSent()
    {
        link.HeartbeatSent();
        Interlocked.Increment(ref heartbeatsSent);
    }

    /// <summary>
    /// What to do now; <paramref name="helloSentAt"/> is when the unanswered HELLO went (a
    /// <see cref="TimeProvider.GetTimestamp"/> value), null when none is waiting. <paramref name="tryAnother"/>: the
    /// connection has heard nothing yet and another broker is listed, so a broker that is not there (which NetMQ never
    /// reports: it retries the TCP connect quietly) costs one heartbeat interval (at least <see cref="MinUnansweredLimit"/>,
    /// so that a live broker that is busy, say taking over a restarted broker's clients, is not left for being slow),
    /// not the whole silence window.
    /// </summary>
    public LivenessVerdict Check(long? helloSentAt, bool tryAnother)
    {
        // A stalled I/O thread (no CPU, a GC pause) is not a silent broker: its stall is skipped (Liveness.Check).
        link.Check();
        if (tryAnother)
        {
            // Nothing heard yet: the silence window is not the measure (a broker just started may take a moment to
            // answer its first connection, even when heartbeats are fast), the first-answer limit is.
            return link.Silence >= unansweredLimit ? LivenessVerdict.NeverAnswered
                : link.HeartbeatOrProbeDue() ? LivenessVerdict.Heartbeat
                : LivenessVerdict.Alive;
        }

        if (link.BrokerSilent())
        {
            return LivenessVerdict.Silent;
        }

        if (helloSentAt is { } sentAt && time.GetElapsedTime(sentAt) >= link.SilenceLimit)
        {
            return LivenessVerdict.HelloUnanswered;
        }

        if (link.HeartbeatOrProbeDue())
        {
            return LivenessVerdict.Heartbeat;
        }

        return LivenessVerdict.Alive;
    }
}
