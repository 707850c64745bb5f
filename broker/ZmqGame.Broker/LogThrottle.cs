namespace ZmqGame.Broker;

/// <summary>
/// Says whether one kind of event (a kind of bad input, of refusal) may be logged now: at most once per interval,
/// counting what it held back. Loop thread only.
/// </summary>
internal sealed class LogThrottle(TimeProvider time, TimeSpan interval)
{
    private readonly long _intervalTicks = (long)(interval.TotalSeconds * time.TimestampFrequency);
    private long _nextLogAt;
    private long _suppressed;

    /// <summary>True when this occurrence is to be logged, with how many were not since the last line.</summary>
    public bool ShouldLog(long now, out long suppressed)
    {
        if (_nextLogAt != 0 && now < _nextLogAt)
        {
            _suppressed++;
            suppressed = 0;
            return false;
        }

        _nextLogAt = now + _intervalTicks;
        suppressed = _suppressed;
        _suppressed = 0;
        return true;
    }
}
