namespace ZmqGame.Transport;

/// <summary>
/// Paranoid Pirate bookkeeping of one connection to the broker: when it last sent, last sent a HEARTBEAT and last
/// heard, whether a HEARTBEAT is due and whether the broker has been silent too long. Pure time logic on an injected
/// <see cref="TimeProvider"/>; used on the connection's loop thread only.
/// <para>
/// The worker asks <see cref="HeartbeatDue"/> (nothing sent for an interval). The client also probes a silent broker:
/// <see cref="HeartbeatOrProbeDue"/> adds "silent for an interval and no HEARTBEAT for one", which needs
/// <see cref="HeartbeatSent"/> after each HEARTBEAT.
/// </para>
/// <para>
/// The silence is the broker's only while the loop runs. The owner checks every quarter of a heartbeat interval; when
/// a check comes more than an interval after the previous one, the loop itself was stalled (starved of CPU, paused by
/// the GC) and what the broker sent meanwhile still waits unread in the socket, so that stall does not count as
/// silence (<see cref="Check"/>). A dead broker is still found: its silence grows with every interval the loop runs.
/// </para>
/// </summary>
internal sealed class Liveness
{
    private readonly TimeProvider _time;
    private readonly TimeSpan _heartbeat;
    private readonly TimeSpan _silenceLimit;
    private long _lastSent;
    private long _lastHeartbeat;
    private long _lastHeard;
    private long _lastCheck;
    private bool _checked;

    /// <param name="time">The clock.</param>
    /// <param name="heartbeatInterval">How often a HEARTBEAT goes when nothing else does.</param>
    /// <param name="liveness">How many heartbeat intervals of silence mean the broker is gone.</param>
    public Liveness(TimeProvider time, TimeSpan heartbeatInterval, int liveness)
    {
        _time = time;
        _heartbeat = heartbeatInterval;
        _silenceLimit = TimeSpan.FromTicks(heartbeatInterval.Ticks * liveness);
        Reset();
    }

    /// <summary>The silence after which the broker counts as gone (heartbeat interval × liveness).</summary>
    public TimeSpan SilenceLimit => _silenceLimit;

    /// <summary>How long the broker has been silent (since <see cref="Heard"/> or <see cref="Reset"/>).</summary>
    public TimeSpan Silence => _time.GetElapsedTime(_lastHeard);

    /// <summary>A new connection: counts as having just sent, sent a HEARTBEAT and heard.</summary>
    public void Reset() => _lastSent = _lastHeartbeat = _lastHeard = _time.GetTimestamp();

    /// <summary>
    /// Counts as never having sent anything, nor a HEARTBEAT (timestamp 0): until something goes, a HEARTBEAT is due.
    /// The client starts so. It keeps its send times across connections: when one opens it calls <see cref="Heard"/>,
    /// not <see cref="Reset"/>.
    /// </summary>
    public void NothingSent() => _lastSent = _lastHeartbeat = 0;

    /// <summary>Something went to the broker.</summary>
    public void Sent() => _lastSent = _time.GetTimestamp();

    /// <summary>A HEARTBEAT went to the broker (counts as <see cref="Sent"/> too).</summary>
    public void HeartbeatSent() => _lastSent = _lastHeartbeat = _time.GetTimestamp();

    /// <summary>Something came from the broker.</summary>
    public void Heard() => _lastHeard = _time.GetTimestamp();

    /// <summary>True when nothing was sent for a heartbeat interval.</summary>
    public bool HeartbeatDue() => _time.GetElapsedTime(_lastSent) >= _heartbeat;

    /// <summary>
    /// True when <see cref="HeartbeatDue"/>, or when the broker has been silent for a heartbeat interval and no
    /// HEARTBEAT went for one (a probe, so that a connection busy sending still hears whether the broker is there).
    /// </summary>
    public bool HeartbeatOrProbeDue() =>
        HeartbeatDue() || (Silence >= _heartbeat && _time.GetElapsedTime(_lastHeartbeat) >= _heartbeat);

    /// <summary>True when the broker has been silent for heartbeat interval × liveness (a <see cref="Check"/> first).</summary>
    public bool BrokerSilent()
    {
        Check();
        return Silence >= _silenceLimit;
    }

    /// <summary>
    /// The loop looks at this connection now (every quarter of a heartbeat interval). A check more than an interval
    /// after the previous one means the loop was stalled: the silence clock skips the stall, less the quarter interval
    /// a check may normally wait.
    /// </summary>
    public void Check()
    {
        var now = _time.GetTimestamp();
        if (_checked)
        {
            var gap = _time.GetElapsedTime(_lastCheck, now);
            if (gap > _heartbeat)
            {
                var stalled = gap - TimeSpan.FromTicks(_heartbeat.Ticks / 4);
                _lastHeard = Math.Min(now, _lastHeard + (long)(stalled.TotalSeconds * _time.TimestampFrequency));
            }
        }

        _lastCheck = now;
        _checked = true;
    }
}
