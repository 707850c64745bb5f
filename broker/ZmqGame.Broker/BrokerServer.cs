using System.Text;
using MessagePack;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetMQ;
using NetMQ.Sockets;
using ZmqGame.Broker.Sessions;
using ZmqGame.Broker.Transport;
using ZmqGame.Transport;
using ZmqGame.Protocol;

namespace ZmqGame.Broker;

/// <summary>
/// The ZmqGame broker: three ROUTER endpoints (frontend for clients, backend for workers, control for
/// the trigger and admin tools) served by one loop thread that owns all broker state. TCP endpoints
/// run on the broker's own ZMTP transport over epoll (<see cref="ZmtpRouter"/>); the control endpoint,
/// a CURVE frontend and other transports run on NetMQ (<see cref="NetMqRouter"/>). This class parses
/// frames, moves them between endpoints, and leaves routing to <see cref="Dispatcher"/>.
/// </summary>
internal sealed class BrokerServer : IBrokerOutput, ISessionOutput, IDisposable
{
    /// <summary>What the ROUTERs report, as [identity][this], when a peer's connection closes.</summary>
    internal static readonly byte[] PeerGoneMarker = "\0ZG-PEER-GONE"u8.ToArray();

    private const int PoolLimit = 4096;

    private static readonly byte[] MdpClientHeader = Mdp.ClientHeader.ToArray();
    private static readonly byte[] MdpWorkerHeader = Mdp.WorkerHeader.ToArray();
    private static readonly byte[] ZgClientHeader = ZgClient.Header.ToArray();
    private static readonly byte[] ControlHeaderBytes = Control.Header.ToArray();
    private static readonly byte[] RequestCommand = [Mdp.Request];
    private static readonly byte[] ZgReplyCommand = [ZgClient.Reply];
    private static readonly byte[][] ZgCommands = [[0], [1], [2], [3], [4], [5], [6], [7], [8]];
    private static readonly byte[] NotAuthorised = MessagePackSerializer.Serialize(new Dictionary<string, string> { ["error"] = "not authorised" });
    private static readonly byte[] AuthOk = MessagePackSerializer.Serialize(new Dictionary<string, bool> { ["ok"] = true });
    private static readonly byte[][] WorkerCommands = [[0], [Mdp.Ready], [Mdp.Request], [Mdp.Reply], [Mdp.Heartbeat], [Mdp.Disconnect]];
    private static readonly byte[] Mmi200 = "200"u8.ToArray();
    private static readonly byte[] Mmi404 = "404"u8.ToArray();
    private static readonly byte[] Mmi501 = "501"u8.ToArray();

    private readonly BrokerOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly BadInputLog _badInput;
    private readonly Dispatcher _dispatcher;
    private readonly SessionManager _sessions;
    private readonly NetMQCertificate? _certificate;
    private readonly HashSet<string> _triggerKeys = new(StringComparer.Ordinal);
    private readonly HashSet<byte[]> _authenticated = new(ByteKeyComparer.Instance);
    private ulong _eventIds;
    private NetMQ.Monitoring.NetMQMonitor? _frontendMonitor;
    private NetMQ.Monitoring.NetMQMonitor? _controlMonitor;
    private long _frontendClosed;
    private long _controlClosed;
    private long _pushWrittenFor;
    private TimeSpan _lastPushWritten;
    private RouterSocket? _frontendSocket;
    private RouterSocket? _controlSocket;
    private long _controlPeerGone;
    private readonly FrameBuffer _in = new();
    private readonly Stack<PendingRequest> _pool = new();
    private readonly byte[] _replyHeader = new byte[ReplyHeader.Size];
    private IRouter? _frontend;
    private IRouter? _backend;
    private IRouter? _control;
    private EventLoop? _loop;
    private NetMQPoller? _side;
    private int _disposed;

    public BrokerServer(BrokerOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        options.Validate();
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("ZmqGame.Broker");
        _badInput = new BadInputLog(_logger, Stats, _time, options.BadInputLogInterval);
        _dispatcher = new Dispatcher(options, this, Stats, _badInput, _logger, _time);
        _sessions = new SessionManager(options, this, Stats, _badInput, _logger, _time, SessionKey.Load(options.SessionKeyFile, _logger));
        if (options.Security.Enabled)
        {
            _certificate = NetMQCertificate.CreateFromSecretKey(options.Security.ServerSecretKey);
            foreach (var key in options.Security.TriggerKeys)
            {
                _triggerKeys.Add(Convert.ToHexString(NetMQCertificate.FromPublicKey(key).PublicKey));
            }
        }
    }

    /// <summary>The broker's CURVE public key (Z85) when security is on; clients and triggers need it.</summary>
    public string? PublicKey => _certificate?.PublicKeyZ85;

    public BrokerStats Stats { get; } = new();

    /// <summary>The frontend endpoint as bound (a chosen port filled in), connectable from this host.</summary>
    public string FrontendEndpoint { get; private set; } = string.Empty;

    public string BackendEndpoint { get; private set; } = string.Empty;

    public string ControlEndpoint { get; private set; } = string.Empty;

    /// <summary>Binds the three endpoints and starts the loop thread.</summary>
    public void Start()
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
                Guard(_sessions.FlushEvents);
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
        try
        {
            var frontendCurve = _certificate is not null && _options.Security.FrontendCurve;
            _frontend = Open("frontend", _options.Frontend, curve: frontendCurve, () => Deliver(HandleFrontend), out _frontendSocket);
            _backend = Open("backend", _options.Backend, curve: false, () => Deliver(HandleBackend), out _);
            _control = Open("control", _options.Control, curve: _certificate is not null, () => Deliver(HandleControl), out _controlSocket);
        }
        catch
        {
            // The side poller first: NetMQ refuses to dispose a poller that holds disposed sockets.
            _side.Dispose();
            _frontend?.Dispose();
            _backend?.Dispose();
            _loop.Dispose();
            _side = null;
            _loop = null;
            _frontend = null;
            _backend = null;
            throw;
        }

        FrontendEndpoint = _frontend.Endpoint;
        BackendEndpoint = _backend.Endpoint;
        ControlEndpoint = _control.Endpoint;
        _side.RunAsync("zmqgame-broker-netmq");
        if (_certificate is not null)
        {
            // NetMQ reports no failed CURVE handshake; a connection that closes without ever having been a peer
            // (no peer-gone notice) is one. Counted as connections closed minus peers gone.
            _controlMonitor = Monitor(_controlSocket!, () => Interlocked.Increment(ref _controlClosed));
            if (_frontendSocket is not null)
            {
                _frontendMonitor = Monitor(_frontendSocket, () => Interlocked.Increment(ref _frontendClosed));
            }
        }

        _loop.Start("zmqgame-broker");
        BrokerLog.Listening(_logger, FrontendEndpoint, BackendEndpoint, ControlEndpoint);
    }

    /// <summary>
    /// A ROUTER endpoint: the broker's own transport for plain TCP where epoll exists, else a NetMQ socket (CURVE,
    /// inproc, ipc, or no epoll) on the side poller.
    /// </summary>
    private IRouter Open(string name, string endpoint, bool curve, Action onMessage, out RouterSocket? netMqSocket)
    {
        netMqSocket = null;
        if (!curve && Native.Supported && ZmtpRouter.Serves(endpoint) && !TransportChoice.NetMqForced)
        {
            try
            {
                return new ZmtpRouter(_loop!, endpoint, _options.MaxMessageSize, _options.SendHighWatermark, _options.ListenBacklog,
                    _options.HandshakeTimeout, _in, onMessage, (peer, why) => _badInput.Report(BadInput.ConnectionDropped, peer, $"{name} connection closed: {why}"),
                    errno => BrokerLog.AcceptFailed(_logger, name, errno));
            }
            catch (System.Net.Sockets.SocketException ex) when (ex.SocketErrorCode == System.Net.Sockets.SocketError.AddressAlreadyInUse)
            {
                throw BindError(name, endpoint, "address already in use");
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException or ArgumentException or FormatException)
            {
                throw BindError(name, endpoint, ex.Message);
            }
        }

        var socket = CreateRouter(disconnectNotice: true);
        if (curve)
        {
            socket.Options.CurveServer = true;
            socket.Options.CurveCertificate = _certificate!;
        }

        try
        {
            var bound = Bind(socket, name, endpoint);
            netMqSocket = socket;
            return new NetMqRouter(_loop!, _side!, socket, bound, _in, onMessage);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Completes when the service has at least <paramref name="count"/> idle workers.</summary>
    public Task WaitForIdleWorkersAsync(string service, int count, CancellationToken cancellationToken = default)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(() => _dispatcher.AddIdleWaiter(service, count, done));
        return done.Task.WaitAsync(cancellationToken);
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

    /// <summary>The routing state; touch it on the loop thread only (see <see cref="InvokeAsync{T}"/>).</summary>
    internal Dispatcher Dispatcher => _dispatcher;

    /// <summary>The client sessions; touch them on the loop thread only (see <see cref="InvokeAsync{T}"/>).</summary>
    internal SessionManager Sessions => _sessions;

    public void Dispose()
    {
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
        _frontend?.Dispose();
        _backend?.Dispose();
        _control?.Dispose();
        if (_loop is not null)
        {
            BrokerLog.Stopped(_logger);
        }
    }

    // ------------------------------------------------------------------ IBrokerOutput

    bool IBrokerOutput.SendRequest(Worker worker, PendingRequest request)
    {
        var socket = _backend!;
        if (!TrySendIdentity(socket, worker.Identity))
        {
            return false;
        }

        SendEmpty(socket, more: true);
        SendConstant(socket, MdpWorkerHeader, more: true);
        SendConstant(socket, RequestCommand, more: true);
        SendCopy(socket, request.ClientId, more: true);
        SendEmpty(socket, more: request.BodyCount > 0);

        // The request keeps its frames until the reply (a departing worker may hand it back); the
        // transport copies their bytes into the worker's connection buffer.
        var body = request.Body;
        var last = request.BodyCount - 1;
        var withSession = request.Kind == ClientKind.ZmqGame && worker.Info is not null;
        for (var i = 0; i <= last; i++)
        {
            SendCopy(socket, body[i].Slice(), more: i < last || (i == 0 && withSession));
            if (i == 0 && withSession)
            {
                // A ZmqGame worker learns who asks: the session frame goes right after the request header.
                SendSessionFrame(socket, request.Session, more: last > 0);
            }
        }

        return true;
    }

    private static void SendSessionFrame(IRouter socket, Session? session, bool more)
    {
        // At most FixedSize + 255 bytes (user ids are bounded): built on the stack, copied by the transport.
        var user = session is null ? ReadOnlySpan<byte>.Empty : session.UserIdUtf8;
        Span<byte> frame = stackalloc byte[SessionContext.SizeOf(user)];
        SessionContext.Write(frame, session?.Id ?? 0, session?.Flags ?? 0, user);
        SendCopy(socket, frame, more);
    }

    // ------------------------------------------------------------------ ISessionOutput

    bool ISessionOutput.TrySendToClient(byte[] identity, OutboundMessage message)
    {
        var socket = _frontend!;
        if (!TrySendIdentity(socket, identity))
        {
            return false;
        }

        var frames = message.Frames;
        SendEmpty(socket, more: true);
        SendConstant(socket, ZgClientHeader, more: true);
        SendConstant(socket, ZgCommands[message.Command], more: frames.Length > 0);
        for (var i = 0; i < frames.Length; i++)
        {
            SendConstant(socket, frames[i], more: i < frames.Length - 1);
        }

        return true;
    }

    void ISessionOutput.SubmitEvent(byte[] service, in EventHeader header, byte[] sessionFrame, byte[] payload, Session? session)
    {
        var request = Rent();
        Span<byte> id = stackalloc byte[9];
        id[0] = 0;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(id[1..], ++_eventIds);
        request.SetClientId(id);
        request.Kind = ClientKind.Event;
        request.EventType = header.Type;
        request.Session = session;
        request.Command = header.Command;
        request.Body[0].InitGC(header.ToArray(), EventHeader.Size);
        request.Body[1].InitGC(sessionFrame, sessionFrame.Length);
        request.Body[2].InitGC(payload, payload.Length);
        request.BodyCount = 3;
        _dispatcher.SubmitEvent(service, request);
    }

    void IBrokerOutput.SendStatus(PendingRequest request, Status status, string message) =>
        SendStatus(request.Kind, request.ClientId, request.RequestId, status, message);

    void IBrokerOutput.SendWorkerCommand(ReadOnlySpan<byte> workerIdentity, byte command)
    {
        var socket = _backend!;
        if (!TrySendIdentity(socket, workerIdentity))
        {
            Stats.UnroutableWorker++;
            return;
        }

        SendEmpty(socket, more: true);
        SendConstant(socket, MdpWorkerHeader, more: true);
        SendConstant(socket, WorkerCommands[command], more: false);
    }

    void IBrokerOutput.Release(PendingRequest request)
    {
        if (request.Kind == ClientKind.Event && request.Session is { } session)
        {
            _sessions.EventDone(session, request.EventType);
        }

        var body = request.Body;
        for (var i = 0; i < request.BodyCount; i++)
        {
            body[i].Close();
            body[i].InitEmpty();
        }

        request.Reset();
        if (_pool.Count < PoolLimit)
        {
            _pool.Push(request);
        }
    }

    // ------------------------------------------------------------------ frontend

    private void HandleFrontend()
    {
        var f = _in;
        if (f.Overflow)
        {
            _badInput.Report(BadInput.FrontendTooManyFrames, f.Span(0), $"more than {FrameBuffer.MaxFrames} frames");
            return;
        }

        if (f.Count == 2 && f.Span(1).SequenceEqual(PeerGoneMarker))
        {
            Stats.ClientDisconnects++;
            _sessions.PeerGone(f.Span(0));
            return;
        }

        if (f.Count < 4 || f.Size(1) != 0)
        {
            _badInput.Report(BadInput.FrontendMalformed, f.Span(0), $"{f.Count} frames, expected [\"\"][protocol][…]");
            return;
        }

        var header = f.Span(2);
        if (header.SequenceEqual(Mdp.ClientHeader))
        {
            HandleMdpClient();
        }
        else if (header.SequenceEqual(ZgClient.Header))
        {
            HandleZgClient();
        }
        else
        {
            _badInput.Report(BadInput.FrontendUnknownHeader, f.Span(0), "unknown protocol header " + Printable(header));
        }
    }

    private void HandleMdpClient()
    {
        // [client][""]["MDPC01"][service][body…]
        var f = _in;
        var service = f.Span(3);
        if (service.StartsWith(Mdp.MmiPrefix))
        {
            HandleMmi();
            return;
        }

        if (!Dispatcher.IsValidServiceName(service))
        {
            _badInput.Report(BadInput.FrontendBadService, f.Span(0), "MDP request with an empty or too long service name");
            return;
        }

        var request = Rent();
        request.SetClientId(f.Span(0));
        request.Kind = ClientKind.Mdp;
        request.BodyCount = f.MoveTo(4, request.Body);
        _dispatcher.ClientRequest(service, request, 0);
    }

    private void HandleZgClient()
    {
        // [client][""]["ZGC01"][command][…]
        var f = _in;
        if (f.Size(3) != 1)
        {
            _badInput.Report(BadInput.FrontendUnknownCommand, f.Span(0), "ZGC01 command frame is not one byte");
            return;
        }

        switch (f.Span(3)[0])
        {
            case ZgClient.Request:
                HandleZgRequest(sessionBound: false);
                break;
            case ZgClient.SessionRequest:
                HandleZgRequest(sessionBound: true);
                break;
            case ZgClient.Heartbeat:
                Stats.ClientHeartbeats++;
                var answer = _sessions.Heartbeat(f.Span(0), f.Count > 4 ? f.Span(4) : ReadOnlySpan<byte>.Empty);
                SendZgCommand(f.Span(0), answer == HeartbeatAnswer.Heartbeat ? ZgClient.Heartbeat : ZgClient.NoSession);
                break;
            case ZgClient.Hello when f.Count >= 5:
                _sessions.Hello(f.Span(0), f.Span(4), f.Count > 5 ? f.Span(5) : ReadOnlySpan<byte>.Empty);
                break;
            case ZgClient.Close:
                _sessions.Close(f.Span(0));
                break;
            default:
                _badInput.Report(BadInput.FrontendUnknownCommand, f.Span(0), $"unknown ZGC01 command 0x{f.Span(3)[0]:X2}");
                break;
        }
    }

    private void SendNoSession(ReadOnlySpan<byte> client) => SendZgCommand(client, ZgClient.NoSession);

    /// <summary>A ZGC01 message without a body: [client][""]["ZGC01"][command].</summary>
    private void SendZgCommand(ReadOnlySpan<byte> client, byte command)
    {
        if (!TrySendIdentity(_frontend!, client))
        {
            Stats.UnroutableClient++;
            return;
        }

        SendEmpty(_frontend!, more: true);
        SendConstant(_frontend!, ZgClientHeader, more: true);
        SendConstant(_frontend!, ZgCommands[command], more: false);
    }

    private void HandleZgRequest(bool sessionBound)
    {
        // [client][""]["ZGC01"][0x01][service][request header][payload…]
        // [client][""]["ZGC01"][0x08][session id][service][request header][payload…]
        var f = _in;
        var at = sessionBound ? 5 : 4;
        if (f.Count < at + 2 || !RequestHeader.TryRead(f.Span(at + 1), out var header) || (sessionBound && f.Size(4) != 8))
        {
            _badInput.Report(BadInput.FrontendBadRequestHeader, f.Span(0), "ZGC01 REQUEST without a valid request header (or session id)");
            return;
        }

        var session = _sessions.Touch(f.Span(0));
        if (sessionBound && (session is null || session.Id != System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(f.Span(4))))
        {
            // Not the session the client believes it has (the broker restarted, or the connection changed): the
            // request does not run; the client resumes its session and sends it again.
            Stats.NoSessionRequests++;
            SendStatus(ClientKind.ZmqGame, f.Span(0), header.RequestId, Status.NoSession, "no session: this connection does not have the session the request names");
            SendNoSession(f.Span(0));
            return;
        }

        var service = f.Span(at);
        if (!Dispatcher.IsValidServiceName(service))
        {
            _badInput.Report(BadInput.FrontendBadService, f.Span(0), "request with an empty, too long or mmi.* service name");
            SendStatus(ClientKind.ZmqGame, f.Span(0), header.RequestId, Status.BadRequest, "service name must be 1-255 bytes and not start with mmi.");
            return;
        }

        var request = Rent();
        request.SetClientId(f.Span(0));
        request.Kind = ClientKind.ZmqGame;
        request.Session = session;
        request.RequestId = header.RequestId;
        request.Command = header.Command;
        request.BodyCount = f.MoveTo(at + 1, request.Body);
        _dispatcher.ClientRequest(service, request, header.TimeoutMs);
    }

    private void HandleMmi()
    {
        // RFC 8: [client][""]["MDPC01"]["mmi.service"][name] → [client][""]["MDPC01"]["mmi.service"]["200"|"404"]
        var f = _in;
        Stats.MmiRequests++;
        byte[] code;
        if (f.Span(3).SequenceEqual(Mdp.MmiService))
        {
            code = f.Count > 4 && _dispatcher.WorkersOf(f.Span(4)) > 0 ? Mmi200 : Mmi404;
        }
        else
        {
            code = Mmi501;
        }

        var socket = _frontend!;
        if (!TrySendIdentity(socket, f.Span(0)))
        {
            Stats.UnroutableClient++;
            return;
        }

        SendEmpty(socket, more: true);
        SendConstant(socket, MdpClientHeader, more: true);
        SendFrame(socket, ref f[3], more: true);
        SendConstant(socket, code, more: false);
    }

    // ------------------------------------------------------------------ backend

    private void HandleBackend()
    {
        var f = _in;
        var identity = f.Span(0);
        if (f.Overflow)
        {
            _dispatcher.WorkerProtocolError(identity, BadInput.BackendTooManyFrames, $"more than {FrameBuffer.MaxFrames} frames");
            return;
        }

        if (f.Count == 2 && f.Span(1).SequenceEqual(PeerGoneMarker))
        {
            _dispatcher.WorkerGone(identity, "connection closed");
            return;
        }

        if (f.Count >= 4 && f.Size(1) == 0 && f.Span(2).SequenceEqual(ZgWorker.Header))
        {
            HandleWorkerAction(identity);
            return;
        }

        if (f.Count < 4 || f.Size(1) != 0 || f.Size(3) != 1)
        {
            _dispatcher.WorkerProtocolError(identity, BadInput.BackendMalformed, $"{f.Count} frames, expected [\"\"][\"MDPW01\"][command][…]");
            return;
        }

        if (!f.Span(2).SequenceEqual(Mdp.WorkerHeader))
        {
            _dispatcher.WorkerProtocolError(identity, BadInput.BackendUnknownHeader, "unknown protocol header " + Printable(f.Span(2)));
            return;
        }

        var command = f.Span(3)[0];
        switch (command)
        {
            case Mdp.Reply when f.Count >= 6 && f.Size(5) == 0:
                var worker = _dispatcher.BeginReply(identity, f.Span(4));
                if (worker is not null)
                {
                    ForwardReply(worker);
                    _dispatcher.CompleteReply(worker);
                }

                break;
            case Mdp.Heartbeat when f.Count >= 5 && f.Span(4).SequenceEqual(Mdp.DrainingFlag):
                _dispatcher.WorkerDraining(identity);
                break;
            case Mdp.Heartbeat:
                _dispatcher.WorkerHeartbeat(identity);
                break;
            case Mdp.Ready when f.Count >= 5:
                _dispatcher.WorkerReady(identity, f.Span(4), ReadWorkerInfo(identity));
                break;
            case Mdp.Disconnect:
                _dispatcher.WorkerGone(identity, "worker sent DISCONNECT", said: true);
                break;
            case Mdp.Ready or Mdp.Reply:
                _dispatcher.WorkerProtocolError(identity, BadInput.BackendMalformed, Mdp.CommandName(command) + " with missing frames");
                break;
            default:
                _dispatcher.WorkerProtocolError(identity, BadInput.BackendUnknownCommand, "unexpected command " + Mdp.CommandName(command));
                break;
        }
    }

    /// <summary>A ZmqGame worker's session action: [worker][""]["ZGW01"][action][arguments][payload…]. Never answered.</summary>
    private void HandleWorkerAction(ReadOnlySpan<byte> identity)
    {
        var f = _in;
        if (_dispatcher.FindWorker(identity) is not { Info: not null } worker)
        {
            _badInput.Report(BadInput.BackendBadAction, identity, "ZGW01 session action from a worker that is not a registered ZmqGame worker");
            return;
        }

        var result = ExecuteAction(fromControl: false);
        if (result.Error is { } error)
        {
            _badInput.Report(BadInput.BackendBadAction, identity, $"session action {Printable(f.Span(3))}: {error}");
        }
    }

    /// <summary>Runs the session action in <see cref="_in"/>: [..][header][action][arguments][payload…].</summary>
    private ActionResult ExecuteAction(bool fromControl)
    {
        var f = _in;
        var action = Encoding.ASCII.GetString(f.Span(3));
        if (f.Count < 5)
        {
            return new ActionResult { Error = "missing arguments frame" };
        }

        if (!ActionArgs.TryParse(f.Span(4).ToArray(), out var args, out var error))
        {
            return new ActionResult { Error = error };
        }

        var payload = new byte[f.Count - 5][];
        for (var i = 5; i < f.Count; i++)
        {
            payload[i - 5] = f.Span(i).ToArray();
        }

        return _sessions.Execute(action, args, payload, fromControl);
    }

    /// <summary>READY's optional ZmqGame frame after the service name; null (counted if present) when there is none.</summary>
    private WorkerInfo? ReadWorkerInfo(ReadOnlySpan<byte> identity)
    {
        var f = _in;
        if (f.Count < 6)
        {
            return null;
        }

        if (WorkerInfo.TryParse(f.Span(5).ToArray(), out var info))
        {
            return info;
        }

        _badInput.Report(BadInput.BackendBadWorkerInfo, identity, "READY with an unreadable ZmqGame worker frame: taken as a stock MDP worker");
        return null;
    }

    /// <summary>Moves a worker's REPLY body to the client that asked, framed for that client's protocol.</summary>
    private void ForwardReply(Worker worker)
    {
        // [worker][""]["MDPW01"][0x03][client][""][body…]
        var f = _in;
        var request = worker.Current!;
        var socket = _frontend!;
        if (request.Kind == ClientKind.Event)
        {
            // The worker has handled the event; there is nobody to forward its answer to.
            return;
        }

        if (request.Kind == ClientKind.ZmqGame
            && (f.Count < 7 || !ReplyHeader.TryRead(f.Span(6), out var reply) || reply.RequestId != request.RequestId))
        {
            _badInput.Report(BadInput.BackendMalformedReply, f.Span(0), $"reply to request {request.RequestId} without its reply header");
            SendStatus(ClientKind.ZmqGame, request.ClientId, request.RequestId, Status.HandlerFailed, "malformed reply from worker");
            return;
        }

        if (!TrySendIdentity(socket, f.Span(4)))
        {
            Stats.UnroutableClient++;
            return;
        }

        SendEmpty(socket, more: true);
        if (request.Kind == ClientKind.ZmqGame)
        {
            SendConstant(socket, ZgClientHeader, more: true);
            SendConstant(socket, ZgReplyCommand, more: true);
        }
        else
        {
            SendConstant(socket, MdpClientHeader, more: true);
            SendConstant(socket, worker.Service.Name, more: f.Count > 6);
        }

        var last = f.Count - 1;
        for (var i = 6; i <= last; i++)
        {
            SendFrame(socket, ref f[i], more: i < last);
        }
    }

    // ------------------------------------------------------------------ control

    private void HandleControl()
    {
        // [peer][""]["ZGT01"][command][…] → [peer][""]["ZGT01"][command][result]
        var f = _in;
        if (f.Count == 2 && f.Span(1).SequenceEqual(PeerGoneMarker))
        {
            _controlPeerGone++;
            _authenticated.Remove(f.Span(0).ToArray());
            return;
        }

        if (f.Count < 4 || f.Size(1) != 0 || !f.Span(2).SequenceEqual(Control.Header))
        {
            _badInput.Report(BadInput.ControlMalformed, f.Span(0), "expected [\"\"][\"ZGT01\"][command][…]");
            return;
        }

        var command = Encoding.UTF8.GetString(f.Span(3));
        byte[] result;
        if (command == Control.Auth)
        {
            result = Authenticate();
        }
        else if (_certificate is not null && !_authenticated.Contains(f.Span(0).ToArray()))
        {
            Stats.ControlRefused++;
            _badInput.Report(BadInput.ControlMalformed, f.Span(0), $"control command {Printable(f.Span(3))} before a successful auth");
            result = NotAuthorised;
        }
        else
        {
            result = RunControlCommand(command);
        }

        var socket = _control!;
        if (!TrySendIdentity(socket, f.Span(0)))
        {
            return;
        }

        SendEmpty(socket, more: true);
        SendConstant(socket, ControlHeaderBytes, more: true);
        SendFrame(socket, ref f[3], more: true);
        SendCopy(socket, result, more: false);
    }

    private byte[] RunControlCommand(string command)
    {
        var f = _in;
        switch (command)
        {
            case Control.Stats:
                return MessagePackSerializer.Serialize(BuildStats(), Payload.Options);
            case SessionActions.Push or SessionActions.Kick or SessionActions.Bind or SessionActions.Unbind
                or SessionActions.Join or SessionActions.Leave or SessionActions.WorkerEvent:
                var result = ExecuteAction(fromControl: true);
                if (result.Error is { } error)
                {
                    _badInput.Report(BadInput.ControlBadAction, f.Span(0), $"control action {command}: {error}");
                }

                return result.Serialize();
            default:
                _badInput.Report(BadInput.ControlMalformed, f.Span(0), "unknown control command " + Printable(f.Span(3)));
                return MessagePackSerializer.Serialize(new Dictionary<string, string> { ["error"] = "unknown command " + command }, Payload.Options);
        }
    }

    /// <summary>auth [proof]: the peer proves it holds a trigger key on the allow-list (see <see cref="TriggerAuth"/>).</summary>
    private byte[] Authenticate()
    {
        var f = _in;
        if (_certificate is null)
        {
            return AuthOk;
        }

        var maxSkewMs = (long)TimeSpan.FromMinutes(5).TotalMilliseconds;
        if (f.Count >= 5
            && TriggerAuth.TryOpen(f.Span(4), _certificate.SecretKey!, out var key, out var unixMs)
            && _triggerKeys.Contains(Convert.ToHexString(key))
            && Math.Abs(_time.GetUtcNow().ToUnixTimeMilliseconds() - unixMs) <= maxSkewMs)
        {
            _authenticated.Add(f.Span(0).ToArray());
            BrokerLog.TriggerAuthenticated(_logger, NetMQCertificate.FromPublicKey(key).PublicKeyZ85);
            return AuthOk;
        }

        Stats.ControlRefused++;
        _badInput.Report(BadInput.ControlMalformed, f.Span(0), "auth refused: a key not on the allow-list, a proof that does not open, or a clock more than 5 minutes off");
        return NotAuthorised;
    }

    private Dictionary<string, object> BuildStats()
    {
        var now = _time.GetTimestamp();
        var services = new Dictionary<string, object>();
        var workers = new Dictionary<Service, List<object>>();
        foreach (var worker in _dispatcher.Workers)
        {
            if (!workers.TryGetValue(worker.Service, out var list))
            {
                workers[worker.Service] = list = [];
            }

            list.Add(new Dictionary<string, object>
            {
                ["id"] = Convert.ToHexString(worker.Identity),
                ["version"] = worker.Info?.Version ?? "(stock MDP worker)",
                ["state"] = worker.Draining ? "draining" : worker.State == WorkerState.Busy ? "busy" : "idle",
                ["uptime_s"] = Math.Round(_time.GetElapsedTime(worker.RegisteredAt, now).TotalSeconds, 1),
                ["served"] = worker.RequestsServed,
            });
        }

        foreach (var service in _dispatcher.Services)
        {
            services[service.NameText] = new Dictionary<string, object>
            {
                ["workers"] = service.WorkerCount,
                ["idle"] = service.Idle.Count,
                ["waiting"] = service.WaitingCount,
                ["worker_list"] = workers.TryGetValue(service, out var list) ? list : [],
            };
        }

        var counters = Stats.Snapshot();
        counters["curve_rejected.control"] = _controlMonitor is null ? 0 : Math.Max(0, Interlocked.Read(ref _controlClosed) - _controlPeerGone);
        counters["curve_rejected.frontend"] = _frontendMonitor is null ? 0 : Math.Max(0, Interlocked.Read(ref _frontendClosed) - Stats.ClientDisconnects);
        if (_frontend is NetMqRouter proxied)
        {
            counters["unroutable_client"] += proxied.Dropped;
        }
        return new Dictionary<string, object>
        {
            ["counters"] = counters,
            ["services"] = services,
            ["workers"] = _dispatcher.WorkerCount,
            ["sessions"] = _sessions.Count,
            ["sessions_logged_in"] = _sessions.LoggedIn,
            ["sessions_detached"] = _sessions.Detached,
            ["sessions_backlogged"] = _sessions.Backlogged,
            ["groups"] = _sessions.GroupCount,
            ["last_push_fanout_us"] = (long)_sessions.LastPushFanOut.TotalMicroseconds,
            ["last_push_written_us"] = (long)_lastPushWritten.TotalMicroseconds,
        };
    }

    // ------------------------------------------------------------------ sockets

    private NetMQ.Monitoring.NetMQMonitor Monitor(RouterSocket socket, Action onClosed)
    {
        var monitor = new NetMQ.Monitoring.NetMQMonitor(socket, $"inproc://zmqgame-monitor-{Guid.NewGuid():N}", SocketEvents.Disconnected);
        monitor.Disconnected += (_, _) => onClosed();
        monitor.AttachToPoller(_side!);
        return monitor;
    }

    private RouterSocket CreateRouter(bool disconnectNotice)
    {
        var socket = new RouterSocket();
        socket.Options.Linger = TimeSpan.Zero;
        socket.Options.RouterMandatory = true;
        socket.Options.MaxMsgSize = _options.MaxMessageSize;
        socket.Options.SendHighWatermark = _options.SendHighWatermark;
        socket.Options.ReceiveHighWatermark = _options.SendHighWatermark;
        socket.Options.Backlog = _options.ListenBacklog;
        if (disconnectNotice)
        {
            socket.Options.DisconnectMessage = PeerGoneMarker;
        }

        return socket;
    }

    /// <summary>Binds; a tcp port of 0 or * picks a free port. Returns an endpoint peers on this host can connect to.</summary>
    private static string Bind(RouterSocket socket, string name, string endpoint)
    {
        try
        {
            return BindEndpoint(socket, endpoint);
        }
        catch (AddressAlreadyInUseException)
        {
            throw BindError(name, endpoint, "address already in use");
        }
        catch (Exception ex) when (ex is NetMQException or ArgumentException or FormatException)
        {
            throw BindError(name, endpoint, ex.Message);
        }
    }

    private static BrokerBindException BindError(string name, string endpoint, string why) =>
        new($"cannot bind the {name} endpoint {endpoint}: {why}");

    private static string BindEndpoint(RouterSocket socket, string endpoint)
    {
        if (endpoint.StartsWith("tcp://", StringComparison.Ordinal) && (endpoint.EndsWith(":0", StringComparison.Ordinal) || endpoint.EndsWith(":*", StringComparison.Ordinal)))
        {
            var address = endpoint[..endpoint.LastIndexOf(':')];
            var port = socket.BindRandomPort(address);
            return Connectable(address) + ":" + port;
        }

        socket.Bind(endpoint);
        return endpoint.StartsWith("tcp://", StringComparison.Ordinal)
            ? Connectable(endpoint[..endpoint.LastIndexOf(':')]) + endpoint[endpoint.LastIndexOf(':')..]
            : endpoint;
    }

    private static string Connectable(string address) =>
        address is "tcp://*" or "tcp://0.0.0.0" ? "tcp://127.0.0.1" : address;

    /// <summary>Handles the message a router put in <see cref="_in"/>, then frees what was not moved or sent.</summary>
    private void Deliver(Action handle)
    {
        try
        {
            handle();
        }
        catch (Exception ex)
        {
            BrokerLog.LoopError(_logger, ex);
        }
        finally
        {
            _in.Clear();
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
            BrokerLog.LoopError(_logger, ex);
        }
    }

    private void Post(Action action)
    {
        if (_loop is null)
        {
            throw new InvalidOperationException("the broker is not started");
        }

        _loop.Post(action);
    }

    private PendingRequest Rent() => _pool.TryPop(out var request) ? request : NewRequest();

    private static PendingRequest NewRequest()
    {
        var request = new PendingRequest();
        for (var i = 0; i < request.Body.Length; i++)
        {
            request.Body[i].InitEmpty();
        }

        return request;
    }

    private void SendStatus(ClientKind kind, ReadOnlySpan<byte> client, ulong requestId, Status status, string message)
    {
        if (kind != ClientKind.ZmqGame)
        {
            if (kind == ClientKind.Mdp)
            {
                Stats.MdpUnanswered++;
            }

            return;
        }

        var socket = _frontend!;
        if (!TrySendIdentity(socket, client))
        {
            Stats.UnroutableClient++;
            return;
        }

        new ReplyHeader(requestId, status).Write(_replyHeader);
        SendEmpty(socket, more: true);
        SendConstant(socket, ZgClientHeader, more: true);
        SendConstant(socket, ZgReplyCommand, more: true);
        SendCopy(socket, _replyHeader, more: true);
        SendCopy(socket, Encoding.UTF8.GetBytes(message), more: false);
    }

    /// <summary>First frame of an outgoing message. False, with nothing sent, if the peer is gone or its queue is full.</summary>
    private static bool TrySendIdentity(IRouter socket, ReadOnlySpan<byte> identity) => socket.TryBegin(identity);

    private static void SendEmpty(IRouter socket, bool more) => socket.Send(ReadOnlySpan<byte>.Empty, more);

    /// <summary>Sends an immutable array (a transport may reference it instead of copying).</summary>
    private static void SendConstant(IRouter socket, byte[] bytes, bool more) => socket.SendConstant(bytes, more);

    private static void SendCopy(IRouter socket, ReadOnlySpan<byte> bytes, bool more) => socket.Send(bytes, more);

    /// <summary>A later frame of a message whose identity frame was accepted.</summary>
    private static void SendFrame(IRouter socket, ref Msg msg, bool more) => socket.Send(ref msg, more);

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var shown = bytes.Length > 16 ? bytes[..16] : bytes;
        foreach (var b in shown)
        {
            if (b is < 0x20 or > 0x7E)
            {
                return "0x" + Convert.ToHexString(shown) + (bytes.Length > 16 ? "…" : string.Empty);
            }
        }

        return "\"" + Encoding.ASCII.GetString(shown) + (bytes.Length > 16 ? "…" : string.Empty) + "\"";
    }
}

/// <summary>An endpoint could not be bound (taken port, bad address).</summary>
internal sealed class BrokerBindException(string message) : Exception(message);
