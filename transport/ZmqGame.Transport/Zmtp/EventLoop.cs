using System.Collections.Concurrent;
using System.Diagnostics;

namespace ZmqGame.Transport;

/// <summary>Something registered with the loop's epoll set.</summary>
internal interface IPollable
{
    void OnEvents(uint events);
}

/// <summary>Something with bytes to write at the end of the loop's turn.</summary>
internal interface IFlushable
{
    void Flush();
}

/// <summary>
/// The broker's one thread. Each turn: wait for sockets (epoll) or a wake-up, handle what is ready, run posted
/// work and drained sources, tick the timer, then write every connection's queued output in one go. All broker
/// state is touched on this thread only. Where epoll is missing, the loop waits on an event instead and every
/// endpoint is a NetMQ socket drained as a source.
/// </summary>
internal sealed class EventLoop : IDisposable
{
    private const int MaxEvents = 256;
    private const ulong WakeToken = ulong.MaxValue;

    private readonly ConcurrentQueue<Action> _posted = new();
    private readonly List<Action> _sources = [];
    private readonly List<IFlushable> _dirty = [];
    private readonly List<Action> _ticks = [];
    private readonly Action<Exception> _onError;
    private readonly byte[] _events = new byte[MaxEvents * 16];
    private readonly int _epoll = -1;
    private readonly int _wakeFd = -1;
    private readonly AutoResetEvent? _wakeEvent;
    private Slot[] _slots = new Slot[64];
    private readonly Stack<int> _freeSlots = new();
    private int _slotCount;
    private readonly Lock _wakeLock = new();
    private int _wakePending;
    private volatile bool _disposed;
    private volatile bool _stopping;
    private Thread? _thread;

    public EventLoop(Action<Exception> onError)
    {
        _onError = onError;
        if (Native.Supported)
        {
            _epoll = Native.EpollCreate();
            _wakeFd = Native.EventFd();
            _ = Native.EpollAdd(_epoll, _wakeFd, Native.EPOLLIN, WakeToken);
        }
        else
        {
            _wakeEvent = new AutoResetEvent(false);
        }
    }

    /// <summary>Interval of <see cref="Tick"/>; <see cref="Timeout.InfiniteTimeSpan"/> for none.</summary>
    public TimeSpan TickInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Runs every <see cref="TickInterval"/> (real time) on the loop thread, after those added with <see cref="AddTick"/>.</summary>
    public Action? Tick { get; set; }

    /// <summary>Runs at the end of every turn, before output is written.</summary>
    public Action? AfterTurn { get; set; }

    /// <summary>Runs on the loop thread once the loop has stopped, before the thread ends.</summary>
    public Action? OnExit { get; set; }

    /// <summary>Runs at the end of every turn, after output was written.</summary>
    public Action? AfterFlush { get; set; }

    public bool IsLoopThread => Thread.CurrentThread == _thread;

    /// <summary>Watches <paramref name="fd"/>; returns the token for <see cref="Modify"/> and <see cref="Remove"/>.</summary>
    public ulong Add(int fd, uint events, IPollable target)
    {
        if (_epoll < 0)
        {
            throw new PlatformNotSupportedException("the broker's own transport needs epoll (Linux)");
        }

        var slot = _freeSlots.Count > 0 ? _freeSlots.Pop() : _slotCount++;
        if (slot == _slots.Length)
        {
            Array.Resize(ref _slots, _slots.Length * 2);
        }

        var generation = _slots[slot].Generation + 1;
        _slots[slot] = new Slot(target, generation);
        var token = ((ulong)generation << 32) | (uint)slot;
        var result = Native.EpollAdd(_epoll, fd, events, token);
        if (result < 0)
        {
            _slots[slot] = new Slot(null, generation);
            _freeSlots.Push(slot);
            throw new IOException($"epoll_ctl ADD failed: errno {-result}");
        }

        return token;
    }

    public void Modify(int fd, uint events, ulong token)
    {
        if (!_disposed)
        {
            _ = Native.EpollModify(_epoll, fd, events, token);
        }
    }

    /// <summary>Stops watching; call before closing the fd. Events already returned for it are ignored.</summary>
    public void Remove(int fd, ulong token)
    {
        if (_disposed)
        {
            // The epoll descriptor is closed (its number may belong to something else by now).
            return;
        }

        _ = Native.EpollDelete(_epoll, fd);
        var slot = (int)(uint)token;
        _slots[slot] = new Slot(null, _slots[slot].Generation);
        _freeSlots.Push(slot);
    }

    /// <summary>Asks for <see cref="IFlushable.Flush"/> at the end of this turn (the caller asks once per turn).</summary>
    public void RequestFlush(IFlushable target) => _dirty.Add(target);

    /// <summary>Also runs every <see cref="TickInterval"/> (a transport's housekeeping).</summary>
    public void AddTick(Action tick) => _ticks.Add(tick);

    /// <summary>Called every turn on the loop thread (a queue other threads fill, then <see cref="Wake"/>).</summary>
    public void AddSource(Action drain) => _sources.Add(drain);

    /// <summary>Reports an error caught on the loop thread to the loop's error handler.</summary>
    public void ReportError(Exception exception) => _onError(exception);

    /// <summary>Runs <paramref name="action"/> on the loop thread. Any thread.</summary>
    public void Post(Action action)
    {
        _posted.Enqueue(action);
        Wake();
    }

    /// <summary>Ends the current or next wait. Any thread; after <see cref="Dispose"/> it throws <see cref="ObjectDisposedException"/>.</summary>
    public void Wake()
    {
        if (Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            // The lock keeps a wake-up from writing to a descriptor number that Dispose closed (and the OS reused).
            lock (_wakeLock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_wakeFd >= 0)
                {
                    Native.Signal(_wakeFd);
                }
                else
                {
                    _wakeEvent!.Set();
                }
            }
        }
        else
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
        }
    }

    /// <summary>Ends the loop after its current turn (<see cref="OnExit"/> runs then); <see cref="Dispose"/> still frees it. Any thread.</summary>
    public void RequestStop()
    {
        _stopping = true;
        Wake();
    }

    public void Start(string name)
    {
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _stopping = true;
        if (_thread is not null && _thread != Thread.CurrentThread)
        {
            Wake();
            _thread.Join();
        }

        lock (_wakeLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (_epoll >= 0)
            {
                Native.Close(_wakeFd);
                Native.Close(_epoll);
            }

            _wakeEvent?.Dispose();
        }
    }

    private void Run()
    {
        try
        {
            RunTurns();
        }
        finally
        {
            try
            {
                OnExit?.Invoke();
            }
            catch (Exception ex)
            {
                _onError(ex);
            }
        }
    }

    private void RunTurns()
    {
        var ticking = TickInterval > TimeSpan.Zero;
        var tickTicks = ticking ? (long)(TickInterval.TotalSeconds * Stopwatch.Frequency) : long.MaxValue / 2;
        var nextTick = Stopwatch.GetTimestamp() + tickTicks;
        while (!_stopping)
        {
            var now = Stopwatch.GetTimestamp();
            var waitMs = !ticking ? -1 : now >= nextTick ? 0 : (int)Math.Ceiling((nextTick - now) * 1000.0 / Stopwatch.Frequency);
            if (Volatile.Read(ref _wakePending) != 0)
            {
                waitMs = 0;
            }

            try
            {
                Wait(waitMs);
                Volatile.Write(ref _wakePending, 0);
                while (_posted.TryDequeue(out var action))
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

                for (var i = 0; i < _sources.Count; i++)
                {
                    _sources[i]();
                }

                if (ticking && Stopwatch.GetTimestamp() >= nextTick)
                {
                    nextTick = Stopwatch.GetTimestamp() + tickTicks;
                    foreach (var tick in _ticks)
                    {
                        tick();
                    }

                    Tick?.Invoke();
                }

                AfterTurn?.Invoke();
            }
            catch (Exception ex)
            {
                _onError(ex);
            }

            FlushAll();
            try
            {
                AfterFlush?.Invoke();
            }
            catch (Exception ex)
            {
                _onError(ex);
            }
        }
    }

    private void Wait(int waitMs)
    {
        if (_epoll < 0)
        {
            _wakeEvent!.WaitOne(waitMs);
            return;
        }

        var n = Native.EpollWait(_epoll, _events, waitMs);
        for (var i = 0; i < n; i++)
        {
            var token = Native.EventData(_events, i);
            if (token == WakeToken)
            {
                Native.Drain(_wakeFd);
                continue;
            }

            var slot = (int)(uint)token;
            var target = _slots[slot];
            if (target.Target is null || target.Generation != (uint)(token >> 32))
            {
                continue;
            }

            try
            {
                target.Target.OnEvents(Native.EventFlags(_events, i));
            }
            catch (Exception ex)
            {
                _onError(ex);
            }
        }
    }

    private void FlushAll()
    {
        // A flush may close a connection, and its peer-gone notice may queue more output: index, not foreach.
        for (var i = 0; i < _dirty.Count; i++)
        {
            try
            {
                _dirty[i].Flush();
            }
            catch (Exception ex)
            {
                _onError(ex);
            }
        }

        _dirty.Clear();
    }

    private readonly record struct Slot(IPollable? Target, uint Generation);
}
