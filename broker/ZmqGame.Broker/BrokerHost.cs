using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetMQ;
using NetMQ.Sockets;
using ZmqGame.Broker.Cluster;
using ZmqGame.Broker.Endpoints;
using ZmqGame.Broker.Limits;
using ZmqGame.Broker.Sessions;
using ZmqGame.Broker.WebSocket;
using ZmqGame.Protocol;
using ZmqGame.Transport;

namespace ZmqGame.Broker;

/// <summary>
/// The ZmqGame broker: three ROUTER endpoints (frontend for clients, backend for workers, control for the trigger and
/// admin tools) served by one loop thread that owns all broker state. The host wires them: it binds the endpoints
/// (<see cref="Routers"/>), runs the loop and the side NetMQ poller, and ticks the routing core. Each endpoint decodes
/// its protocols and calls the <see cref="Dispatcher"/> or the sessions; they answer one way through the endpoints.
/// With <c>Broker:WebSocket</c> set, the frontend also takes clients over WebSocket (<see cref="WebSocketRouter"/>, served
/// in the loop for <c>ws://</c> on the own transport (<see cref="WebSocketLoopServer"/>), else by Kestrel:
/// <see cref="StartAsync"/> starts it, <see cref="DisposeAsync"/> stops it).
/// </summary>
internal sealed class BrokerHost : IDisposable, IAsyncDisposable
{
    private readonly BrokerOptions _options;
    private readonly ILogger _logger;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _time;
    private readonly BadInputLog _badInput;
    private readonly Dispatcher _dispatcher;
    private readonly SessionManager _sessions;
    private readonly FrontendEndpoint _frontend;
    private readonly BackendEndpoint _backend;
    private readonly ControlEndpoint _control;
    private readonly ConnectionLimiter _connectionLimits;
    private readonly NetMQCertificate? _certificate;
    private readonly FrameBuffer _in = new();
    private readonly ClusterSessions? _cluster;
    private NetMQ.Monitoring.NetMQMonitor? _frontendMonitor;
    private NetMQ.Monitoring.NetMQMonitor? _controlMonitor;
    private long _frontendClosed;
    private long _controlClosed;
    private long _pushWrittenFor;
    private TimeSpan _lastPushWritten;
    private IRouter? _frontendRouter;
    private IRouter? _backendRouter;
    private IRouter? _controlRouter;
    private WebSocketRouter? _webSocketRouter;
    private WebSocketListener? _webSocketListener;
    private WebSocketLoopServer? _webSocketServer;
    private IRouter? _frontendForEndpoint;
    private EventLoop? _loop;
    private NetMQPoller? _side;
    private LameDuck? _lameDuck;
    private int _disposed;

    /// <param name="options">The broker's settings.</param>
    /// <param name="loggerFactory">Where it logs.</param>
    /// <param name="timeProvider">Its clock.</param>
    /// <param name="cluster">The link to the broker cluster, joined (<see cref="ClusterLink.JoinAsync"/>) and not yet started; null: no cluster.</param>
    /// <param name="sessionKey">The key that signs resume tickets, from the cluster; null: from <see cref="BrokerOptions.SessionKeyFile"/>.</param>
    public BrokerHost(BrokerOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null, ClusterLink? cluster = null, byte[]? sessionKey = null)
    {
        options.Validate();
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger("ZmqGame.Broker");
        _badInput = new BadInputLog(_logger, Stats, _time, options.BadInputLogInterval);
        if (options.Security.Enabled)
        {
            _certificate = NetMQCertificate.CreateFromSecretKey(options.Security.ServerSecretKey);
        }

        var pool = new RequestPool();
        _frontend = new FrontendEndpoint(Stats, _badInput, _logger, pool) { MaxMessageSize = options.MaxMessageSize };
        _frontend.Limits = new RequestLimiter(options.Limits, Stats, _logger, _time, options.BadInputLogInterval);
        _connectionLimits = new ConnectionLimiter(options.Limits, Stats, _logger, _time, options.BadInputLogInterval);
        _backend = new BackendEndpoint(Stats, _badInput, _logger);
        _dispatcher = new Dispatcher(options, _backend, _frontend, pool, Stats, _badInput, _logger, _time);
        if (options.Http.Enabled)
        {
            _dispatcher.QueueWait = new Metrics.QueueWaitSamples();
        }
        _sessions = new SessionManager(options, _frontend, _dispatcher, pool, Stats, _badInput, _logger, _time,
            sessionKey ?? SessionKey.Load(options.SessionKeyFile, _logger));
        pool.EventDone = _sessions.EventDone;
        _frontend.Connect(_dispatcher, _sessions);
        _backend.Connect(_dispatcher, _sessions);
        if (cluster is not null)
        {
            _cluster = new ClusterSessions(cluster, _sessions, _logger, _time, BuildStats);
            _sessions.Cluster = _cluster;
        }

        _control = new ControlEndpoint(Stats, _badInput, _logger, _time, _sessions, _certificate, options.Security.TriggerKeys, BuildStats)
        {
            MaxMessageSize = options.MaxMessageSize,
            Cluster = _cluster,
        };
    }

    /// <summary>What NATS delivers to this broker (null without a cluster); its calls belong on the loop (<see cref="PostToLoop"/>).</summary>
    internal IClusterInbox? ClusterInbox => _cluster;

    /// <summary>The cluster side of the sessions (null without a cluster); loop thread only.</summary>
    internal ClusterSessions? ClusterSessions => _cluster;

    /// <summary>The broker's CURVE public key (Z85) when security is on; clients and triggers need it.</summary>
    public string? PublicKey => _certificate?.PublicKeyZ85;

    public BrokerStats Stats { get; } = new();

    /// <summary>The frontend endpoint as bound (a chosen port filled in), connectable from this host.</summary>
    public string FrontendEndpoint { get; private set; } = string.Empty;

    public string BackendEndpoint { get; private set; } = string.Empty;

    public string ControlEndpoint { get; private set; } = string.Empty;

    /// <summary>The WebSocket frontend's URL as bound (a chosen port filled in), once <see cref="StartAsync"/> is done; empty without one.</summary>
    public string WebSocketEndpoint { get; private set; } = string.Empty;

    /// <summary>Each dispatched request's queue wait, for the metrics of the HTTP endpoint; null when it is off.</summary>
    internal Metrics.QueueWaitSamples? QueueWait => _dispatcher.QueueWait;

    /// <summary>Ticks per second of the broker's clock (queue waits are in its ticks).</summary>
    internal long TimestampFrequency => _time.TimestampFrequency;

    /// <summary>The routing state; touch it on the loop thread only (see <see cref="InvokeAsync{T}"/>).</summary>
    internal Dispatcher Dispatcher => _dispatcher;

    /// <summary>The client sessions; touch them on the loop thread only (see <see cref="InvokeAsync{T}"/>).</summary>
    internal SessionManager Sessions => _sessions;

    /// <summary>Binds the three endpoints and starts the loop thread. A broker with a WebSocket frontend starts with <see cref="StartAsync"/>.</summary>
    public void Start()
    {
        if (_options.WebSocketEnabled)
        {
            throw new InvalidOperationException("a broker with a WebSocket frontend starts with StartAsync");
        }

        StartCore();
    }

    /// <summary>
    /// Binds the three endpoints, starts the loop thread and, with <c>Broker:WebSocket</c>, the WebSocket frontend. Throws
    /// <see cref="BrokerBindException"/> when an endpoint cannot be bound or the WebSocket certificate cannot be used.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        StartCore();
        if (_webSocketRouter is null)
        {
            return;
        }

        var url = WebSocketUrl.TryParse(_options.WebSocket, out _);
        if (url is not null && WebSocketLoopServer.Serves(url))
        {
            await StartWebSocketLoopAsync(url).ConfigureAwait(false);
            return;
        }

        try
        {
            _webSocketListener = WebSocketListener.Build(_options, _webSocketRouter, _loggerFactory);
            await _webSocketListener.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await DisposeAsync().ConfigureAwait(false);
            if (ex is InvalidOperationException)
            {
                throw new BrokerBindException(ex.Message);
            }

            throw;
        }

        WebSocketEndpoint = _webSocketRouter.Endpoint = _webSocketListener.Endpoint;
        WebSocketLog.Listening(_logger, _webSocketListener.Endpoint);
    }

    /// <summary>The WebSocket frontend on the broker's loop (<c>ws://</c> on the own transport): bound there, served there.</summary>
    private async Task StartWebSocketLoopAsync(WebSocketUrl url)
    {
        var router = _webSocketRouter!;
        var bound = new TaskCompletionSource<WebSocketLoopServer>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(() =>
        {
            try
            {
                bound.SetResult(new WebSocketLoopServer(_loop!, url, router, _options.ListenBacklog, errno => BrokerLog.AcceptFailed(_logger, "websocket", errno)));
            }
            catch (Exception ex)
            {
                bound.SetException(ex);
            }
        });
        try
        {
            _webSocketServer = await bound.Task.ConfigureAwait(false);
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            await DisposeAsync().ConfigureAwait(false);
            throw new BrokerBindException($"cannot bind the websocket endpoint {_options.WebSocket}: {ex.Message}");
        }

        WebSocketEndpoint = router.Endpoint = _webSocketServer.Endpoint;
        WebSocketLog.Listening(_logger, _webSocketServer.Endpoint);
    }

    private void StartCore()
    {
        if (_loop is not null)
        {
            throw new InvalidOperationException("the broker is already started");
        }

        _loop = new EventLoop(ex => BrokerLog.LoopError(_logger, ex))
        {
            TickInterval = TimeSpan.FromTicks(Math.Clamp(_options.HeartbeatInterval.Ticks / 4, TimeSpan.FromMilliseconds(5).Ticks, TimeSpan.FromMilliseconds(100).Ticks)),
            Tick = () =>
            {
                Guard(_dispatcher.Tick);
                Guard(_sessions.Tick);
                if (_cluster is not null)
                {
                    Guard(_cluster.Tick);
                }

                Guard(_sessions.FlushEvents);
                Guard(_sessions.RefreshIdempotentRoutes);
                Guard(() => _lameDuck?.Tick());
            },

            // Session events queued while handling the turn (a HELLO's connected event, a kick's closed event).
            AfterTurn = () =>
            {
                if (_sessions.HasPendingEvents)
                {
                    Guard(_sessions.FlushEvents);
                }
            },
        };
        _loop.AfterFlush = () =>
        {
            var started = _sessions.LastPushStartedAt;
            if (started != _pushWrittenFor)
            {
                // The turn that fanned the push out has written it to every socket that had room for it.
                _pushWrittenFor = started;
                _lastPushWritten = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            }
        };
        _side = new NetMQPoller();
        RouterSocket? frontendSocket;
        RouterSocket? controlSocket;
        try
        {
            var frontendCurve = _options.Security.FrontendCurve ? _certificate : null;
            _frontendRouter = Bind("frontend", _options.Frontend, frontendCurve, _frontend, out frontendSocket);
            _backendRouter = Bind("backend", _options.Backend, curve: null, _backend, out _);
            _controlRouter = Bind("control", _options.Control, _certificate, _control, out controlSocket);
        }
        catch
        {
            // The side poller first: NetMQ refuses to dispose a poller that holds disposed sockets.
            _side.Dispose();
            _frontendRouter?.Dispose();
            _backendRouter?.Dispose();
            _loop.Dispose();
            _side = null;
            _loop = null;
            _frontendRouter = null;
            _backendRouter = null;
            throw;
        }

        IRouter frontend = _frontendRouter;
        if (_options.WebSocketEnabled)
        {
            _webSocketRouter = new WebSocketRouter(_loop, _options.MaxMessageSize, _options.SendHighWatermark, _options.HandshakeTimeout, _in, _frontend,
                (peer, why) => _badInput.Report(BadInput.ConnectionDropped, peer, why), _time);
            frontend = new FrontendRouters(_frontendRouter, _webSocketRouter);
            if (_options.Limits.LimitsConnections)
            {
                _webSocketRouter.AcceptFilter = _connectionLimits;
            }

        }

        _frontendForEndpoint = frontend;
        _frontend.Attach(frontend);
        _connectionLimits.Attach(_frontendRouter);
        _backend.Attach(_backendRouter);
        _control.Attach(_controlRouter);
        FrontendEndpoint = _frontendRouter.Endpoint;
        BackendEndpoint = _backendRouter.Endpoint;
        ControlEndpoint = _controlRouter.Endpoint;
        _side.RunAsync("zmqgame-broker-netmq");
        if (_certificate is not null)
        {
            // NetMQ reports no failed CURVE handshake; a connection that closes without ever having been a peer
            // (no peer-gone notice) is one. Counted as connections closed minus peers gone.
            _controlMonitor = Monitor(controlSocket!, () => Interlocked.Increment(ref _controlClosed));
            if (frontendSocket is not null)
            {
                _frontendMonitor = Monitor(frontendSocket, () => Interlocked.Increment(ref _frontendClosed));
            }
        }

        _loop.Start("zmqgame-broker");
        BrokerLog.Listening(
            _logger,
            BoundEndpoint.Describe(_options.Frontend, FrontendEndpoint),
            BoundEndpoint.Describe(_options.Backend, BackendEndpoint),
            BoundEndpoint.Describe(_options.Control, ControlEndpoint));
    }

    /// <summary>Completes when the service has at least <paramref name="count"/> idle workers.</summary>
    public Task WaitForIdleWorkersAsync(string service, int count, CancellationToken cancellationToken = default)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(() => _dispatcher.AddIdleWaiter(service, count, done));
        return done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Becomes a lame duck (<see cref="Broker.LameDuck"/>) and completes when it is done: true when every request was
    /// answered and every ZmqGame client moved, false when <c>LameDuckTimeout</c> cut it short. Dispose afterwards.
    /// </summary>
    public Task<bool> RunLameDuckAsync(CancellationToken cancellationToken = default)
    {
        var duck = new LameDuck(_options, _dispatcher, _sessions, _frontendForEndpoint!, _logger, _time);
        Post(() =>
        {
            _lameDuck = duck;
            duck.Begin();
        });
        return duck.Finished.WaitAsync(cancellationToken);
    }

    /// <summary>Runs <paramref name="func"/> on the loop thread (which owns all broker state) and returns its result.</summary>
    public Task<T> InvokeAsync<T>(Func<T> func)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(() =>
        {
            try
            {
                done.TrySetResult(func());
            }
            catch (Exception ex)
            {
                done.TrySetException(ex);
            }
        });
        return done.Task;
    }

    /// <summary>Stops the WebSocket frontend's server (its connections end), then the broker (<see cref="Dispose"/>).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _webSocketListener, null) is { } listener)
        {
            _webSocketRouter?.StopAccepting();
            await listener.DisposeAsync().ConfigureAwait(false);
        }

        Dispose();
    }

    /// <summary>
    /// Stops the broker. A WebSocket frontend's connections are aborted; its server stops in the background unless
    /// <see cref="DisposeAsync"/> was used.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _webSocketListener, null) is { } listener)
        {
            _ = listener.DisposeAsync().AsTask();
        }

        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Monitors detach from the side poller while it still runs; then the side poller stops, then the loop.
        _frontendMonitor?.Dispose();
        _controlMonitor?.Dispose();
        if (_side is not null)
        {
            if (_side.IsRunning)
            {
                _side.Stop();
            }

            _side.Dispose();
        }

        _loop?.Dispose();
        _frontendRouter?.Dispose();
        _webSocketRouter?.Dispose();
        _webSocketServer?.Dispose();
        _backendRouter?.Dispose();
        _controlRouter?.Dispose();
        if (_loop is not null)
        {
            BrokerLog.Stopped(_logger);
        }
    }

    private IRouter Bind(string name, string endpoint, NetMQCertificate? curve, IRouterHandler handler, out RouterSocket? netMqSocket) =>
        Routers.Bind(name, endpoint, curve, _options, _loop!, _side!, _in, handler, _badInput,
            errno => BrokerLog.AcceptFailed(_logger, name, errno), _time, out netMqSocket);

    /// <summary>The control endpoint's <c>stats</c>, with what the host counts itself (CURVE rejections, the last push's write).</summary>
    private StatsReport BuildStats() =>
        StatsReportBuilder.Build(_dispatcher, _sessions, Stats, _time, new TransportFigures(
            CurveRejectedControl: _controlMonitor is null ? 0 : Math.Max(0, Interlocked.Read(ref _controlClosed) - _control.PeersGone),
            CurveRejectedFrontend: _frontendMonitor is null ? 0 : Math.Max(0, Interlocked.Read(ref _frontendClosed) - Stats.ClientDisconnects),
            FrontendDropped: _frontendRouter is NetMqRouter proxied ? proxied.Dropped : 0,
            LastPushWritten: _lastPushWritten,
            Cluster: _cluster));

    private NetMQ.Monitoring.NetMQMonitor Monitor(RouterSocket socket, Action onClosed)
    {
        var monitor = new NetMQ.Monitoring.NetMQMonitor(socket, $"inproc://zmqgame-monitor-{Guid.NewGuid():N}", SocketEvents.Disconnected);
        monitor.Disconnected += (_, _) => onClosed();
        monitor.AttachToPoller(_side!);
        return monitor;
    }

    private void Guard(Action action)
    {
        try
        {
            action();
        }
        catch (Exception ex)
        {
            BrokerLog.LoopError(_logger, ex);
        }
    }

    /// <summary>Runs <paramref name="action"/> on the loop thread (errors logged, the loop goes on).</summary>
    internal void PostToLoop(Action action) => Post(() => Guard(action));

    private void Post(Action action)
    {
        if (_loop is null)
        {
            throw new InvalidOperationException("the broker is not started");
        }

        _loop.Post(action);
    }
}
