using System.Collections.Concurrent;
using System.Diagnostics;

namespace ZmqGame.Transport.WebSocket;

/// <summary>
/// The connection loop for <c>ws://</c> and <c>wss://</c> endpoints: each connection a <see cref="ZwsDealer"/> (ZWS 2.0
/// over a WebSocket that <see cref="ZmqGameWebSocket.Bridge"/> opens). One queue carries posted work and the bridge's
/// socket events, so that everything of a connection runs in the loop's turns, in order.
/// <list type="bullet">
/// <item>A turn runs at most <see cref="Batch"/> queued items, then the wake handler when a wake-up is pending or the
/// time <see cref="WakeWithin"/> set has come, then the tick when due. What is left waits for the next turn.</item>
/// <item>Threaded (default): a thread of its own runs turns whenever work or a wake-up arrives, and at each tick.
/// Pumped (<see cref="ZmqGameWebSocket.Pumped"/>, WebGL): no thread; <see cref="ZmqGameWebSocket.Pump"/> runs a turn on
/// the caller's thread. A stop is carried out by the next turn: the exit handler runs there.</item>
/// <item>A connection that ends (refused upgrade, closed by the broker, broken ZWS) is told to <c>onLost</c> at once.</item>
/// <item><see cref="Post"/> and <see cref="Wake"/> after <see cref="Dispose"/> do nothing.</item>
/// </list>
/// </summary>
internal sealed class WebSocketConnectionLoop : IConnectionLoop, IPumped
{
    /// <summary>Queued items run per turn before the wake handler and the tick get theirs.</summary>
    public const int Batch = 256;

    private readonly ConcurrentQueue<Action> _work = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly Action<Exception> _onError;
    private readonly IWebSocketBridge _bridge;
    private readonly bool _pumped;
    private readonly HashSet<ZwsDealer> _links = [];
    private Action? _onWake;
    private Action? _tick;
    private Action? _onExit;
    private long _tickTicks;
    private long _nextTick;
    private long _alarmAt = long.MaxValue; // loop thread (the pumping thread when pumped)
    private int _wakePending;
    private int _signaled;
    private int _exited;
    private volatile bool _stopping;
    private volatile bool _disposed;
    private Thread? _thread;

    /// <param name="bridge">Opens the sockets.</param>
    /// <param name="pumped">No thread: <see cref="PumpTurn"/> runs the turns.</param>
    /// <param name="onError">Gets what a handler threw; the loop goes on.</param>
    public WebSocketConnectionLoop(IWebSocketBridge bridge, bool pumped, Action<Exception> onError)
    {
        _bridge = bridge;
        _pumped = pumped;
        _onError = onError;
    }

    /// <summary>The loop from <see cref="ZmqGameWebSocket"/>'s settings.</summary>
    public WebSocketConnectionLoop(Action<Exception> onError)
        : this(ZmqGameWebSocket.Bridge, ZmqGameWebSocket.Pumped, onError)
    {
    }

    /// <summary>True when the turns run in <see cref="ZmqGameWebSocket.Pump"/>, not on a thread of the loop's own.</summary>
    public bool IsPumped => _pumped;

    public void Start(string name, TimeSpan? tickInterval = null, Action? tick = null, Action? onWake = null, Action? onExit = null)
    {
        _onWake = onWake;
        _onExit = onExit;
        if (tick is not null && tickInterval is { } interval && interval > TimeSpan.Zero)
        {
            _tick = tick;
            _tickTicks = (long)(interval.TotalSeconds * Stopwatch.Frequency);
            _nextTick = Stopwatch.GetTimestamp() + _tickTicks;
        }

        if (_pumped)
        {
            ZmqGameWebSocket.AddPumped(this);
            return;
        }

        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    public void Post(Action action)
    {
        if (_disposed)
        {
            return;
        }

        _work.Enqueue(action);
        Signal();
    }

    public void Wake()
    {
        if (Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            Signal();
        }
    }

    public void Stop()
    {
        _stopping = true;
        Signal();
    }

    /// <summary>Threaded, the wait ends by then; pumped, the first turn from then on runs the wake handler.</summary>
    public void WakeWithin(TimeSpan delay)
    {
        var at = Stopwatch.GetTimestamp() + (long)(delay.TotalSeconds * Stopwatch.Frequency);
        if (at < _alarmAt)
        {
            _alarmAt = at;
        }
    }

    public IDealerLink Connect(string endpoint, Action<List<byte[]>> onMessage, Action<string> onLost)
    {
        var url = WebSocketEndpoint.Parse(endpoint);
        ZwsDealer? link = null;
        link = new ZwsDealer(this, onMessage, reason =>
        {
            _links.Remove(link!);
            onLost(reason);
        });
        link.Open(_bridge, url.AbsoluteUri);
        _links.Add(link);
        return link;
    }

    /// <summary>Ends the loop (a thread's last turn runs first), then closes every connection still open, quietly.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        Stop();
        if (_thread is { } thread && thread != Thread.CurrentThread)
        {
            thread.Join(TimeSpan.FromSeconds(5));
        }

        if (_pumped)
        {
            ZmqGameWebSocket.RemovePumped(this);
        }

        _disposed = true;
        foreach (var link in _links.ToArray())
        {
            link.CloseQuietly();
        }

        _links.Clear();
    }

    /// <summary>One turn, from <see cref="ZmqGameWebSocket.Pump"/>; after a stop, the exit instead (once).</summary>
    public void PumpTurn()
    {
        if (_stopping)
        {
            Exit();
            ZmqGameWebSocket.RemovePumped(this);
            return;
        }

        Turn();
    }

    /// <summary>A link's closing, from the loop's turn: it leaves the set.</summary>
    internal void Forget(ZwsDealer link) => _links.Remove(link);

    private void Run()
    {
        try
        {
            while (!_stopping)
            {
                Volatile.Write(ref _signaled, 0);
                Turn();
                if (_stopping)
                {
                    break;
                }

                if (!_work.IsEmpty || Volatile.Read(ref _wakePending) != 0)
                {
                    continue;
                }

                _signal.Wait(UntilDue());
            }
        }
        catch (Exception ex)
        {
            _onError(ex);
        }
        finally
        {
            Exit();
        }
    }

    private void Turn()
    {
        for (var i = 0; i < Batch && _work.TryDequeue(out var action); i++)
        {
            Guard(action);
        }

        var alarm = _alarmAt != long.MaxValue && Stopwatch.GetTimestamp() >= _alarmAt;
        if (alarm)
        {
            _alarmAt = long.MaxValue;
        }

        if ((Interlocked.Exchange(ref _wakePending, 0) == 1 || alarm) && _onWake is { } onWake)
        {
            Guard(onWake);
        }

        if (_tick is { } tick && Stopwatch.GetTimestamp() >= _nextTick)
        {
            _nextTick = Stopwatch.GetTimestamp() + _tickTicks;
            Guard(tick);
        }
    }

    /// <summary>How long the thread may wait: until the tick or the alarm, whichever comes first; for ever without either.</summary>
    private TimeSpan UntilDue()
    {
        var due = Math.Min(_tick is null ? long.MaxValue : _nextTick, _alarmAt);
        if (due == long.MaxValue)
        {
            return Timeout.InfiniteTimeSpan;
        }

        var left = due - Stopwatch.GetTimestamp();
        return left <= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds((double)left / Stopwatch.Frequency);
    }

    private void Exit()
    {
        if (Interlocked.Exchange(ref _exited, 1) == 0 && _onExit is { } onExit)
        {
            Guard(onExit);
        }
    }

    private void Signal()
    {
        if (!_pumped && Interlocked.Exchange(ref _signaled, 1) == 0)
        {
            _signal.Release();
        }
    }

    private void Guard(Action action)
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
