using System.Diagnostics;
using NetMQ;
using NetMQ.Monitoring;
using NetMQ.Sockets;

namespace ZmqGame.Transport;

/// <summary>
/// The connection loop on NetMQ: a poller thread, one queue for posted work and wake-ups, an optional timer, a
/// DEALER socket per connection (CURVE when <see cref="DealerOptions.CurveServerKey"/> is set).
/// <list type="bullet">
/// <item>A link is live while its socket is in the loop's set: <see cref="IDealerLink.TrySend"/> and the receive loop
/// check that before touching the socket, so a link closed by a handler halfway through a batch reads no further.</item>
/// <item>Each poller event reads at most <see cref="DealerOptions.Batch"/> messages from a socket, and runs at most as
/// many queued actions, before the other sockets get their turn. A handler that throws goes to the error handler and
/// the batch goes on.</item>
/// <item><see cref="Wake"/> coalesces: one wake-up is queued until the wake handler has started to run.</item>
/// <item><see cref="WakeWithin"/> enables a one-shot <see cref="NetMQTimer"/> of the poller (whose wait it bounds);
/// its expiry runs the wake handler.</item>
/// <item>A connection that was made and then ended (reset, closed by the broker, a failed handshake) is a loss: each
/// socket has a <see cref="NetMQMonitor"/> on the poller that hears NetMQ's <c>Disconnected</c>, and the link is then
/// dropped as by <see cref="IDealerLink.Close"/> (what NetMQ queued for it goes with it) before <c>onLost</c> says why,
/// once. Without it NetMQ would reconnect underneath, and a message written into the old pipe as it died would be
/// gone unsaid. Connect attempts that fail before any connection (refused, retried) are no loss: NetMQ keeps trying
/// and the owner's heartbeats find a broker that never answers. Nothing is added per message.</item>
/// <item><see cref="Dispose"/> stops the poller, then disposes the monitors (no other thread touches them once it has
/// stopped), then the sockets (each may still send what it has queued for <see cref="DealerOptions.FinalLinger"/>),
/// then the queue. <see cref="IDealerLink.Close"/> drops at once, its monitor before its socket.</item>
/// <item><see cref="Post"/> and <see cref="Wake"/> after <see cref="Dispose"/> return at once and nothing runs: they go
/// through a gate that the dispose closes before it disposes the queue. NetMQ's own queue cannot be written once
/// disposed: its closed PAIR socket takes a blocking send as "try again" and spins in it for ever.</item>
/// </list>
/// </summary>
internal sealed class NetMqConnectionLoop : IConnectionLoop
{
    private readonly NetMQPoller _poller = [];
    private readonly NetMQQueue<Action> _queue = new();
    private readonly HashSet<Link> _links = [];
    private readonly DealerOptions _options;
    private readonly NetMQCertificate? _certificate;
    private readonly Action<Exception> _onError;
    private readonly List<byte[]> _frames = [];
    private readonly Action _wakeUp;
    private readonly object _queueGate = new();
    private readonly NetMQTimer _alarm = new(TimeSpan.FromSeconds(1)) { Enable = false };
    private long _alarmAt = long.MaxValue;
    private bool _queueClosed;
    private Action? _onWake;
    private NetMQTimer? _timer;
    private int _wakePending;
    private volatile bool _exited;

    public NetMqConnectionLoop(DealerOptions options, Action<Exception> onError)
    {
        _options = options;
        _certificate = options.CurveServerKey is null ? null : new NetMQCertificate();
        _onError = onError;
        _wakeUp = WakeUp;
        _queue.ReceiveReady += (_, e) =>
        {
            for (var i = 0; i < _options.Batch && e.Queue.TryDequeue(out var action, TimeSpan.Zero); i++)
            {
                Guard(action);
            }
        };
        _poller.Add(_queue);
        _alarm.Elapsed += (_, _) =>
        {
            // NetMQ counts whole milliseconds and may end a poll a little before its timeout, so its timer can go off
            // up to a millisecond or two early: then it is set again for the rest, and the wake waits for its time.
            var left = _alarmAt - Stopwatch.GetTimestamp();
            if (left > 0)
            {
                _alarm.Interval = Math.Max(1, (int)Math.Ceiling(left * 1000.0 / Stopwatch.Frequency));
                return;
            }

            _alarm.Enable = false;
            _alarmAt = long.MaxValue;
            WakeUp();
        };
        _poller.Add(_alarm);
    }

    /// <summary>
    /// Starts the poller on a background thread and returns once it runs (as <see cref="NetMQPoller.RunAsync(string, bool)"/>
    /// does, so that a dispose right after finds it running). A failure of the poller itself goes to the error handler;
    /// the exit handler runs in any case.
    /// </summary>
    public void Start(string name, TimeSpan? tickInterval = null, Action? tick = null, Action? onWake = null, Action? onExit = null)
    {
        _onWake = onWake;
        if (tick is not null && tickInterval is { } interval)
        {
            _timer = new NetMQTimer(interval);
            _timer.Elapsed += (_, _) => Guard(tick);
            _poller.Add(_timer);
        }

        var thread = new Thread(() =>
        {
            try
            {
                _poller.Run();
            }
            catch (Exception ex)
            {
                _onError(ex);
            }
            finally
            {
                _exited = true;
                onExit?.Invoke();
            }
        })
        { IsBackground = true, Name = name };
        thread.Start();
        SpinWait.SpinUntil(() => _poller.IsRunning || _exited);
    }

    public void Post(Action action) => Enqueue(action);

    public void Wake()
    {
        if (Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            Enqueue(_wakeUp);
        }
    }

    public void Stop() => _poller.StopAsync();

    public void WakeWithin(TimeSpan delay)
    {
        var at = Stopwatch.GetTimestamp() + (long)(delay.TotalSeconds * Stopwatch.Frequency);
        if (at >= _alarmAt)
        {
            return;
        }

        _alarmAt = at;

        // Off and on again: enabling is what sets the timer's due time from its interval, whether or not it was armed.
        _alarm.Enable = false;
        _alarm.Interval = Math.Max(1, (int)Math.Ceiling(delay.TotalMilliseconds));
        _alarm.Enable = true;
    }

    public IDealerLink Connect(string endpoint, Action<List<byte[]>> onMessage, Action<string> onLost)
    {
        var socket = new DealerSocket();
        NetMQMonitor? monitor = null;
        try
        {
            socket.Options.Linger = _options.FinalLinger;
            if (_options.CurveServerKey is { } serverKey)
            {
                socket.Options.CurveServerKey = serverKey;
                socket.Options.CurveCertificate = _certificate!;
            }

            // Watched before it connects, so that no Disconnected can come before the monitor listens.
            monitor = new NetMQMonitor(socket, $"inproc://zmqgame-dealer-monitor-{Guid.NewGuid():N}", SocketEvents.Disconnected);
            monitor.AttachToPoller(_poller);
            socket.Connect(endpoint);
        }
        catch
        {
            monitor?.Dispose();
            socket.Dispose();
            throw;
        }

        var link = new Link(this, socket, monitor, onLost);
        monitor.Disconnected += (_, e) => link.Lost(e.Address);
        socket.ReceiveReady += (_, _) => Receive(link, onMessage);
        _poller.Add(socket);
        _links.Add(link);
        return link;
    }

    /// <summary>
    /// Stops the poller, then disposes the monitors (while the poller still takes their removal), then the sockets (each
    /// lingers up to <see cref="DealerOptions.FinalLinger"/>), then closes the queue's gate (a <see cref="Post"/> still
    /// writing finishes first) and disposes the queue.
    /// </summary>
    public void Dispose()
    {
        if (_poller.IsRunning)
        {
            _poller.Stop();
        }

        foreach (var link in _links)
        {
            link.DisposeMonitor();
        }

        _poller.Dispose();
        foreach (var link in _links)
        {
            link.Socket.Dispose();
        }

        _links.Clear();
        _timer = null;
        lock (_queueGate)
        {
            _queueClosed = true;
        }

        _queue.Dispose();
    }

    /// <summary>
    /// Queues <paramref name="action"/> for the poller unless the queue is closed. The gate is held across the write so
    /// that the dispose cannot free the queue under it; NetMQ's queue takes the same kind of lock around the write anyway.
    /// </summary>
    private void Enqueue(Action action)
    {
        lock (_queueGate)
        {
            if (!_queueClosed)
            {
                _queue.Enqueue(action);
            }
        }
    }

    private void WakeUp()
    {
        Volatile.Write(ref _wakePending, 0);
        _onWake?.Invoke();
    }

    private void Receive(Link link, Action<List<byte[]>> onMessage)
    {
        try
        {
            NetMQMessage? message = null;
            for (var i = 0; i < _options.Batch && link.IsOpen && link.Socket.TryReceiveMultipartMessage(TimeSpan.Zero, ref message); i++)
            {
                NetMqFrames.CopyTo(message, _frames);
                message = null;
                try
                {
                    onMessage(_frames);
                }
                catch (Exception ex)
                {
                    _onError(ex);
                }
            }
        }
        catch (Exception ex)
        {
            _onError(ex);
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

    /// <summary>One DEALER connection and the monitor that watches it; open until closed, lost, or the loop disposed.</summary>
    private sealed class Link(NetMqConnectionLoop owner, DealerSocket socket, NetMQMonitor monitor, Action<string> onLost) : IDealerLink
    {
        private bool _monitorDisposed;

        public DealerSocket Socket => socket;

        /// <summary>In the loop's set: it may send, and what it receives is delivered.</summary>
        public bool IsOpen { get; private set; } = true;

        public bool TrySend(IReadOnlyList<byte[]> frames) =>
            IsOpen && socket.TrySendMultipartMessage(TimeSpan.Zero, NetMqFrames.ToMessage(frames));

        public void Close() => Drop();

        /// <summary>
        /// NetMQ's <c>Disconnected</c>, on the poller thread inside the monitor's handler: the link is dropped, then
        /// <c>onLost</c> runs, once. Nothing escapes to NetMQ: a failure goes to the loop's error handler.
        /// </summary>
        public void Lost(string address)
        {
            try
            {
                if (Drop())
                {
                    onLost($"connection lost: {address}");
                }
            }
            catch (Exception ex)
            {
                owner._onError(ex);
            }
        }

        /// <summary>Detaches the monitor from the poller and disposes it (with its PAIR socket); once.</summary>
        public void DisposeMonitor()
        {
            if (_monitorDisposed)
            {
                return;
            }

            _monitorDisposed = true;
            try
            {
                monitor.Dispose();
            }
            catch (Exception ex)
            {
                owner._onError(ex);
            }
        }

        /// <summary>Leaves the loop's set and disposes the monitor, then the socket, dropping what it queued; false when already gone.</summary>
        private bool Drop()
        {
            if (!owner._links.Remove(this))
            {
                return false;
            }

            IsOpen = false;
            DisposeMonitor();
            owner._poller.Remove(socket);
            socket.Options.Linger = TimeSpan.Zero;
            socket.Dispose();
            return true;
        }
    }
}
