namespace ZmqGame.Worker.Internal;

/// <summary>
/// Paranoid Pirate bookkeeping of one slot: when it last sent and last heard, whether a HEARTBEAT is due and
/// whether the broker has been silent too long. Pure time logic on an injected <see cref="TimeProvider"/>.
/// </summary>
internal sealed class SlotLiveness
{
    private readonly TimeProvider _time;
    private readonly TimeSpan _heartbeat;
    private readonly TimeSpan _silenceLimit;
    private long _lastSent;
    private long _lastHeard;

    public SlotLiveness(TimeProvider time, TimeSpan heartbeatInterval, int liveness)
    {
        _time = time;
        _heartbeat = heartbeatInterval;
        _silenceLimit = heartbeatInterval * liveness;
        Reset();
    }

    /// <summary>The silence after which the broker counts as gone.</summary>
    public TimeSpan SilenceLimit => _silenceLimit;

    /// <summary>A new connection: counts as having just sent and heard.</summary>
    public void Reset() => _lastSent = _lastHeard = _time.GetTimestamp();

    public void Sent() => _lastSent = _time.GetTimestamp();

    public void Heard() => _lastHeard = _time.GetTimestamp();

    /// <summary>True when the slot has sent nothing for a heartbeat interval.</summary>
    public bool HeartbeatDue() => _time.GetElapsedTime(_lastSent) >= _heartbeat;

    /// <summary>True when the broker has been silent for heartbeat interval × liveness.</summary>
    public bool BrokerSilent() => _time.GetElapsedTime(_lastHeard) >= _silenceLimit;
}
