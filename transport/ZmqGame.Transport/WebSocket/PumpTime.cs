using System.Diagnostics;

namespace ZmqGame.Transport.WebSocket;

/// <summary>
/// The clock of a pumped client (<see cref="ZmqGameWebSocket.Pumped"/>): the system's timestamps, and timers that fire
/// in <see cref="ZmqGameWebSocket.Pump"/> on the pumping thread instead of on the thread pool (a WebGL player has
/// none). A timer due between two pumps fires in the later one; a periodic timer fires once per pump at most.
/// </summary>
internal sealed class PumpTime : TimeProvider
{
    /// <summary>The one pumped clock; <see cref="ZmqGameWebSocket.Pump"/> fires its timers.</summary>
    public static readonly PumpTime Instance = new();

    private readonly object gate = new();
    private readonly List<Timer> armed = [];

    private PumpTime()
    {
    }

    /// <summary>Timers armed now: created or changed with a due time, not fired (one-shot) nor disposed.</summary>
    public int ArmedCount
    {
        get
        {
            lock (gate)
            {
                return armed.Count;
            }
        }
    }

    /// <inheritdoc/>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new Timer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Runs the callback of every timer due, on the calling thread (the pump).</summary>
    internal void FireDue()
    {
        Timer[] due;
        var now = GetTimestamp();
        lock (gate)
        {
            if (armed.Count == 0)
            {
                return;
            }

            due = armed.FindAll(t => t.Due <= now).ToArray();
            foreach (var timer in due)
            {
                if (timer.Period > 0)
                {
                    timer.Due = now + timer.Period;
                }
                else
                {
                    armed.Remove(timer);
                }
            }
        }

        foreach (var timer in due)
        {
            timer.Fire();
        }
    }

    private static long ToTicks(TimeSpan span) => span <= TimeSpan.Zero ? 0 : (long)(span.TotalSeconds * Stopwatch.Frequency);

    /// <summary>One timer; its fields are guarded by its clock's lock.</summary>
    private sealed class Timer(PumpTime owner, TimerCallback callback, object? state) : ITimer
    {
        private bool disposed;

        public long Due { get; set; }

        public long Period { get; set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (owner.gate)
            {
                if (disposed)
                {
                    return false;
                }

                owner.armed.Remove(this);
                if (dueTime == Timeout.InfiniteTimeSpan)
                {
                    return true;
                }

                Due = owner.GetTimestamp() + ToTicks(dueTime);
                Period = period == Timeout.InfiniteTimeSpan || period <= TimeSpan.Zero ? 0 : Math.Max(1, ToTicks(period));
                owner.armed.Add(this);
                return true;
            }
        }

        public void Fire()
        {
            if (!Volatile.Read(ref disposed))
            {
                callback(state);
            }
        }

        public void Dispose()
        {
            lock (owner.gate)
            {
                disposed = true;
                owner.armed.Remove(this);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return default;
        }
    }
}
