using System.Diagnostics;

namespace ZmqGame.Transport;

/// <summary>
/// A connection loop on one of the process-wide <see cref="SharedLoopGroup"/> loops instead of a thread of its own:
/// what many clients of one process (a bot farm, a load test) use so that thousands of them need a few threads, not
/// thousands. To its owner it is a loop like <see cref="ZmtpConnectionLoop"/>:
/// <list type="bullet">
/// <item>its handlers, posted work and connections run on the shared loop's thread, and only its own: its wake handler
/// runs after its <see cref="Wake"/>, its tick at its own interval (to within <see cref="SharedLoop.TickResolution"/>),
/// what its handlers throw goes to its own error handler;</item>
/// <item>a connection that ends is noticed at once, as on <see cref="ZmtpConnectionLoop"/>;</item>
/// <item><see cref="Stop"/> ends only its work: its exit handler runs on the shared thread, its connections still open
/// are closed quietly, and no handler of it runs after that; <see cref="Dispose"/> waits for that and gives its place
/// back: the shared loop stops when its last member leaves.</item>
/// </list>
/// </summary>
internal sealed class SharedConnectionLoop : IConnectionLoop
{
    private readonly Action<Exception> _onError;
    private readonly SharedLoop _shared;
    private readonly HashSet<ZmtpLink> _links = [];
    private readonly ManualResetEventSlim _exited = new();
    private Action? _onWake;
    private Action? _tick;
    private Action? _onExit;
    private long _tickInterval;
    private long _alarmAt = long.MaxValue;
    private int _wakePending;
    private int _stopRequested;
    private int _disposed;
    private volatile bool _stopped;

    public SharedConnectionLoop(Action<Exception> onError)
    {
        _onError = onError;
        _shared = SharedLoopGroup.Acquire();
        _shared.Join(onError);
    }

    /// <summary>The shared loop's thread is the current one.</summary>
    public bool IsLoopThread => _shared.Loop.IsLoopThread;

    public void Start(string name, TimeSpan? tickInterval = null, Action? tick = null, Action? onWake = null, Action? onExit = null)
    {
        // The name is the shared thread's already ("ZmqGame shared loop N").
        _ = name;
        _onWake = onWake;
        _onExit = onExit;
        if (tick is not null && tickInterval is { } interval && interval > TimeSpan.Zero)
        {
            _tick = tick;
            _tickInterval = Math.Max(1, (long)(interval.TotalSeconds * Stopwatch.Frequency));
            Post(() => _shared.ScheduleTick(this, Stopwatch.GetTimestamp() + _tickInterval));
        }
    }

    public void Post(Action action)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        _shared.Loop.Post(() =>
        {
            if (!_stopped)
            {
                Run(action);
            }
        });
    }

    public void Wake()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (!_stopped && Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            _shared.Enqueue(this);
        }
    }

    /// <summary>The shared loop's alarm queue and timerfd run the wake handler by then (see <see cref="SharedLoop.ScheduleAlarm"/>).</summary>
    public void WakeWithin(TimeSpan delay)
    {
        var at = Stopwatch.GetTimestamp() + (long)(delay.TotalSeconds * Stopwatch.Frequency);
        if (_stopped || at >= _alarmAt)
        {
            return;
        }

        _alarmAt = at;
        _shared.ScheduleAlarm(this, at);
    }

    public void Stop()
    {
        if (Interlocked.Exchange(ref _stopRequested, 1) == 0)
        {
            _shared.Loop.Post(Finish);
        }
    }

    public IDealerLink Connect(string endpoint, Action<List<byte[]>> onMessage, Action<string> onLost)
    {
        ObjectDisposedException.ThrowIf(_stopped, this);
        var link = new ZmtpLink(_links);
        link.Dealer = ZmtpDealer.Connect(_shared.Loop, _shared.ReadBuffer, endpoint, 0,
            frames =>
            {
                try
                {
                    onMessage(frames);
                }
                catch (Exception ex)
                {
                    _onError(ex);
                }
            },
            reason =>
            {
                _links.Remove(link);
                try
                {
                    onLost(reason);
                }
                catch (Exception ex)
                {
                    _onError(ex);
                }
            });
        _links.Add(link);
        return link;
    }

    /// <summary>Stops (see <see cref="Stop"/>), waits until its exit handler ran and its connections are closed, then leaves the shared loop.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Stop();
        if (IsLoopThread)
        {
            Finish();
        }
        else
        {
            _exited.Wait();
        }

        _shared.Leave(_onError);
        SharedLoopGroup.Release(_shared);
        _exited.Dispose();
    }

    /// <summary>The shared loop runs the wake handler it was asked for. Shared loop thread.</summary>
    internal void RunWake()
    {
        Volatile.Write(ref _wakePending, 0);
        if (!_stopped && _onWake is { } onWake)
        {
            Run(onWake);
        }
    }

    /// <summary>The alarm set for <paramref name="at"/> went off: runs the wake handler, unless a sooner alarm replaced it. Shared loop thread.</summary>
    internal void RunAlarm(long at)
    {
        if (at != _alarmAt || _stopped)
        {
            return;
        }

        _alarmAt = long.MaxValue;
        if (_onWake is { } onWake)
        {
            Run(onWake);
        }
    }

    /// <summary>The tick is due: runs it; the interval to the next one, or null when this loop has stopped. Shared loop thread.</summary>
    internal long? RunTick()
    {
        if (_stopped || _tick is not { } tick)
        {
            return null;
        }

        Run(tick);
        return _tickInterval;
    }

    /// <summary>Ends this loop's work: its exit handler, then its connections. Shared loop thread; once.</summary>
    private void Finish()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        if (_onExit is { } onExit)
        {
            Run(onExit);
        }

        foreach (var link in _links.ToArray())
        {
            link.Dealer?.Close(quiet: true);
        }

        _links.Clear();
        _exited.Set();
    }

    private void Run(Action action)
    {
        try
        {
            action();
        }
        catch (Exception ex)
        {
            _onError(ex);
        }
    }
}
