using System.Diagnostics;

namespace ZmqGame.Transport;

/// <summary>
/// A one-shot timerfd watched by an <see cref="EventLoop"/>: when it goes off, the loop's wait ends and the turn runs
/// (its sources, such as a connection loop's wake handler). No timer thread is involved. Loop thread only.
/// </summary>
internal sealed class LoopAlarm : IPollable, IDisposable
{
    private readonly int _fd = Native.TimerCreate();

    /// <summary>The time (<see cref="Stopwatch"/> ticks) it is armed for; <see cref="long.MaxValue"/> when it is not.</summary>
    private long _armedAt = long.MaxValue;

    public LoopAlarm(EventLoop loop) => loop.Add(_fd, Native.EPOLLIN, this);

    /// <summary>Goes off within <paramref name="delay"/>, unless it is armed for sooner already.</summary>
    public void Arm(TimeSpan delay) => ArmAt(Stopwatch.GetTimestamp() + (long)(delay.TotalSeconds * Stopwatch.Frequency));

    /// <summary>Goes off at <paramref name="at"/> (<see cref="Stopwatch"/> ticks), unless it is armed for sooner already.</summary>
    public void ArmAt(long at)
    {
        if (at >= _armedAt)
        {
            return;
        }

        _armedAt = at;
        var now = Stopwatch.GetTimestamp();
        _ = Native.TimerArm(_fd, Math.Max(1, (long)((at - now) * (1_000_000_000.0 / Stopwatch.Frequency))));
    }

    public void OnEvents(uint events)
    {
        Native.Drain(_fd);
        _armedAt = long.MaxValue;
    }

    public void Dispose() => Native.Close(_fd);
}
