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
    private long heartbeatsSent;

    public ClientLiveness(TimeProvider time, TimeSpan heartbeatInterval, int liveness)
    {
        this.time = time;
        link = new Liveness(time, heartbeatInterval, liveness);
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
    /// <see cref="TimeProvider.GetTimestamp"/> value), null when none is waiting.
    /// </summary>
    public LivenessVerdict Check(long? helloSentAt)
    {
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
