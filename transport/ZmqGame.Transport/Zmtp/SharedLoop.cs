using System.Collections.Concurrent;
using System.Diagnostics;

namespace ZmqGame.Transport;

/// <summary>
/// One of the process-wide loops of <see cref="SharedLoopGroup"/>: one <see cref="EventLoop"/> (one thread, one epoll
/// set) that many <see cref="SharedConnectionLoop"/>s run on, each with its own connections, wake handler and tick.
/// <list type="bullet">
/// <item>A member's <see cref="SharedConnectionLoop.Wake"/> queues that member once (until its handler ran) and wakes
/// the loop: a turn runs the wake handlers of the members that asked, not of all of them.</item>
/// <item>Member ticks are kept in a queue ordered by when each is due, checked every <see cref="TickResolution"/>;
/// a member's tick runs at its own interval, to within that resolution.</item>
/// <item>A member's <see cref="SharedConnectionLoop.WakeWithin"/> alarm is kept in a queue ordered by time, with one
/// timerfd armed for the soonest: its wake handler runs then, as on a loop of its own.</item>
/// <item>Errors a member's handlers throw go to that member's error handler; the rest (the loop's own) to the error
/// handler of one of the members.</item>
/// </list>
/// Everything but <see cref="Enqueue"/>, <see cref="Join"/>, <see cref="Leave"/> and <see cref="Dispose"/> runs on the
/// loop's thread.
/// </summary>
internal sealed class SharedLoop : IDisposable
{
    /// <summary>How often the loop looks for due member ticks.</summary>
    public static readonly TimeSpan TickResolution = TimeSpan.FromMilliseconds(10);

    private readonly ConcurrentQueue<SharedConnectionLoop> _woken = new();
    private readonly PriorityQueue<SharedConnectionLoop, long> _ticks = new();
    private readonly PriorityQueue<SharedConnectionLoop, long> _alarms = new();
    private LoopAlarm? _alarm;
    private readonly List<Action<Exception>> _errorHandlers = [];

    public SharedLoop(int index)
    {
        Index = index;
        Loop = new EventLoop(ReportError) { TickInterval = TickResolution };
        Loop.AddSource(RunWoken);
        Loop.AddSource(RunDueAlarms);
        Loop.AddTick(RunDueTicks);
        Loop.Start("ZmqGame shared loop " + index);
    }

    /// <summary>Its place in the group.</summary>
    public int Index { get; }

    /// <summary>Members using it; changed under the group's lock only.</summary>
    public int Members { get; set; }

    public EventLoop Loop { get; }

    /// <summary>Read scratch of all the loop's connections.</summary>
    public byte[] ReadBuffer { get; } = new byte[64 * 1024];

    /// <summary>A member joined: its error handler may get the loop's own errors. Any thread.</summary>
    public void Join(Action<Exception> onError)
    {
        lock (_errorHandlers)
        {
            _errorHandlers.Add(onError);
        }
    }

    /// <summary>A member left. Any thread.</summary>
    public void Leave(Action<Exception> onError)
    {
        lock (_errorHandlers)
        {
            _errorHandlers.Remove(onError);
        }
    }

    /// <summary>Has <paramref name="member"/>'s wake handler run on the next turn (the member queues itself once). Any thread.</summary>
    public void Enqueue(SharedConnectionLoop member)
    {
        _woken.Enqueue(member);
        Loop.Wake();
    }

    /// <summary>Runs <paramref name="member"/>'s tick at <paramref name="dueTimestamp"/> (<see cref="Stopwatch"/> ticks) and every interval after.</summary>
    public void ScheduleTick(SharedConnectionLoop member, long dueTimestamp) => _ticks.Enqueue(member, dueTimestamp);

    /// <summary>
    /// Has <paramref name="member"/>'s wake handler run at <paramref name="at"/> (<see cref="Stopwatch"/> ticks), to the
    /// timerfd's precision: one timerfd for the loop, armed for the soonest member alarm. Loop thread.
    /// </summary>
    public void ScheduleAlarm(SharedConnectionLoop member, long at)
    {
        _alarms.Enqueue(member, at);
        (_alarm ??= new LoopAlarm(Loop)).ArmAt(at);
    }

    /// <summary>Stops the loop and frees it. Not on the loop's own thread.</summary>
    public void Dispose()
    {
        Loop.Dispose();
        _alarm?.Dispose();
    }

    private void RunWoken()
    {
        // Those queued now: a member that wakes itself again from its handler runs next turn, after the sockets.
        for (var n = _woken.Count; n > 0 && _woken.TryDequeue(out var member); n--)
        {
            member.RunWake();
        }
    }

    private void RunDueAlarms()
    {
        if (_alarms.Count == 0)
        {
            return;
        }

        var now = Stopwatch.GetTimestamp();
        while (_alarms.TryPeek(out var member, out var at) && at <= now)
        {
            _alarms.Dequeue();
            member.RunAlarm(at);
        }

        if (_alarms.TryPeek(out _, out var next))
        {
            _alarm!.ArmAt(next);
        }
    }

    private void RunDueTicks()
    {
        var now = Stopwatch.GetTimestamp();
        while (_ticks.TryPeek(out var member, out var due) && due <= now)
        {
            _ticks.Dequeue();
            if (member.RunTick() is { } interval)
            {
                _ticks.Enqueue(member, now + interval);
            }
        }
    }

    private void ReportError(Exception exception)
    {
        Action<Exception>? handler;
        lock (_errorHandlers)
        {
            handler = _errorHandlers.Count > 0 ? _errorHandlers[0] : null;
        }

        handler?.Invoke(exception);
    }
}
