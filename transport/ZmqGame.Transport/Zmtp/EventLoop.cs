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
/// <para>
/// User code may run on the loop thread too (<see cref="RunInline"/>): queued items run at the safe point of the turn,
/// after its I/O and posted work, before output is written, never inside a read. An item that holds the thread past
/// <see cref="InlineBudget"/> is left behind: the <see cref="LoopWatchdog"/> hands the loop to a fresh thread, which goes
/// on with the rest of the turn and the turns after it; the old thread, once its user code returns, posts the item's
/// <see cref="IInlineWork.AfterRun"/> to the new one and ends.
/// </para>
/// </summary>
internal sealed class EventLoop : IDisposable
{
    private const int MaxEvents = 256;
    private const ulong WakeToken = ulong.MaxValue;

    [ThreadStatic]
    private static EventLoop? t_userCodeOf;

    [ThreadStatic]
    private static long t_userSequence;

    private readonly ConcurrentQueue<Action> _posted = new();
    private readonly Queue<IInlineWork> _inline = new();
    private readonly ManualResetEventSlim _exited = new(false);
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
    private volatile Thread? _thread;
    private string _name = "";
    private bool _ticking;
    private long _tickTicks;
    private long _nextTick;
    private long _userSequence;
    private IInlineWork? _running;
    private long _takeovers;
    private LoopWatchdog? _watchdog;

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

    /// <summary>
    /// How long an item queued with <see cref="RunInline"/> may hold the loop thread before the loop moves to a fresh
    /// thread (it happens between one and two budgets after the item started). Set before the first item.
    /// </summary>
    public TimeSpan InlineBudget { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Times the loop was handed to a fresh thread because inline user code held it past <see cref="InlineBudget"/>.</summary>
    public long Takeovers => Interlocked.Read(ref _takeovers);

    /// <summary>True on the thread that runs the loop's turns, outside inline user code.</summary>
    public bool IsLoopThread => Thread.CurrentThread == _thread && t_userCodeOf is null;

    /// <summary>
    /// Runs <paramref name="work"/> on the loop thread at the safe point of this turn (or of the next one, without
    /// waiting for I/O), in order; see <see cref="IInlineWork"/>. Loop thread only.
    /// </summary>
    public void RunInline(IInlineWork work)
    {
        Debug.Assert(IsLoopThread, "RunInline is for the loop thread");
        if (_watchdog is null)
        {
            _watchdog = new LoopWatchdog(() => Interlocked.Read(ref _userSequence), TryTakeOver, InlineBudget);
            _watchdog.Start(_name);
        }

        _inline.Enqueue(work);
    }

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
            if (t_userCodeOf == this && Interlocked.Read(ref _userSequence) == t_userSequence)
            {
                // Inline user code of this loop, still holding it: the same thread runs the next turn at once and sees
                // the pending flag. (If the watchdog takes the loop first, the new thread sees the flag as well.)
                ObjectDisposedException.ThrowIf(_disposed, this);
                return;
            }

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
        _name = name;
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
        if (_thread is { } thread && thread != Thread.CurrentThread)
        {
            // Whichever thread holds the loop by then (a takeover may move it) says when it has ended.
            Wake();
            _exited.Wait();
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
        _ticking = TickInterval > TimeSpan.Zero;
        _tickTicks = _ticking ? (long)(TickInterval.TotalSeconds * Stopwatch.Frequency) : long.MaxValue / 2;
        _nextTick = Stopwatch.GetTimestamp() + _tickTicks;
        RunAndExit(resume: false);
    }

    /// <summary>A thread that took the loop over: finishes the turn the old thread was in, then goes on.</summary>
    private void Resume(IInlineWork left)
    {
        try
        {
            left.TakenOver();
        }
        catch (Exception ex)
        {
            _onError(ex);
        }

        RunAndExit(resume: true);
    }

    private void RunAndExit(bool resume)
    {
        var lost = false;
        try
        {
            lost = !RunTurns(resume);
        }
        finally
        {
            if (!lost)
            {
                Exit();
            }
        }
    }

    private void Exit()
    {
        try
        {
            OnExit?.Invoke();
        }
        catch (Exception ex)
        {
            _onError(ex);
        }
        finally
        {
            _watchdog?.Stop();
            _exited.Set();
        }
    }

    /// <summary>The turns; false when this thread lost the loop to a takeover (the new thread goes on).</summary>
    private bool RunTurns(bool resume)
    {
        if (resume && !FinishTurn())
        {
            return false;
        }

        while (!_stopping)
        {
            var now = Stopwatch.GetTimestamp();
            var waitMs = !_ticking ? -1 : now >= _nextTick ? 0 : (int)Math.Ceiling((_nextTick - now) * 1000.0 / Stopwatch.Frequency);
            if (Volatile.Read(ref _wakePending) != 0 || _inline.Count > 0)
            {
                waitMs = 0;
            }

            try
            {
                Wait(waitMs);
                Volatile.Write(ref _wakePending, 0);
                RunPosted();

                for (var i = 0; i < _sources.Count; i++)
                {
                    _sources[i]();
                }

                if (_ticking && Stopwatch.GetTimestamp() >= _nextTick)
                {
                    _nextTick = Stopwatch.GetTimestamp() + _tickTicks;
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

            if (!FinishTurn())
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The end of a turn: inline work, then output; false when this thread lost the loop meanwhile.</summary>
    private bool FinishTurn()
    {
        if (_inline.Count > 0 && !RunInlineWork())
        {
            return false;
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

        return true;
    }

    /// <summary>Runs the queued inline items (and any their <see cref="IInlineWork.AfterRun"/> queues); false when taken over.</summary>
    private bool RunInlineWork()
    {
        while (_inline.TryDequeue(out var work))
        {
            _running = work;
            var sequence = Interlocked.Increment(ref _userSequence);
            _watchdog!.OnUserCode();
            t_userCodeOf = this;
            t_userSequence = sequence;
            try
            {
                work.Run();
            }
            catch (Exception ex)
            {
                _onError(ex);
            }

            if (Interlocked.CompareExchange(ref _userSequence, sequence + 1, sequence) != sequence)
            {
                // The watchdog gave the loop to another thread: it gets the result, this thread ends.
                try
                {
                    Post(() => AfterRun(work, takenOver: true));
                }
                catch (ObjectDisposedException)
                {
                    // The loop is gone: nobody takes the result.
                }

                return false;
            }

            t_userCodeOf = null;

            // What the user code posted (and whatever else is queued) goes first, as it would after a takeover.
            RunPosted();
            AfterRun(work, takenOver: false);
        }

        return true;
    }

    private void RunPosted()
    {
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
    }

    private void AfterRun(IInlineWork work, bool takenOver)
    {
        try
        {
            work.AfterRun(takenOver);
        }
        catch (Exception ex)
        {
            _onError(ex);
        }
    }

    /// <summary>The watchdog: hands the loop to a fresh thread if the inline item <paramref name="sequence"/> still runs.</summary>
    private bool TryTakeOver(long sequence)
    {
        if (Interlocked.CompareExchange(ref _userSequence, sequence + 1, sequence) != sequence)
        {
            return false;
        }

        // The old thread is inside this item's Run, and will not touch the loop's fields again.
        var left = _running;

        Interlocked.Increment(ref _takeovers);
        var thread = new Thread(() => Resume(left!)) { IsBackground = true, Name = _name };
        _thread = thread;
        thread.Start();
        return true;
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
