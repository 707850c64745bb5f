using System.Text;
using Microsoft.Extensions.Logging;
using ZmqGame.Broker.Sessions;
using ZmqGame.Protocol;
using ZmqGame.Transport;

namespace ZmqGame.Broker.Endpoints;

/// <summary>
/// The clients' endpoint. In: stock Majordomo clients (MDPC01, with the MMI service lookups of RFC 8) and ZmqGame
/// clients (ZGC01: requests, session hello / heartbeat / close), decoded and handed to the <see cref="Dispatcher"/>
/// or the sessions. Out: replies and broker statuses (<see cref="IClientChannel"/>), session pushes and commands.
/// Loop thread only.
/// </summary>
internal sealed class FrontendEndpoint : IRouterHandler, IClientChannel
{
    private static readonly byte[] Mmi200 = "200"u8.ToArray();
    private static readonly byte[] Mmi404 = "404"u8.ToArray();
    private static readonly byte[] Mmi501 = "501"u8.ToArray();

    private readonly BrokerStats _stats;
    private readonly BadInputLog _badInput;
    private readonly ILogger _logger;
    private readonly RequestPool _pool;
    private readonly byte[] _replyHeader = new byte[ReplyHeader.Size];
    private Dispatcher _dispatcher = null!;
    private SessionManager _sessions = null!;
    private IRouter _router = null!;

    public FrontendEndpoint(BrokerStats stats, BadInputLog badInput, ILogger logger, RequestPool pool)
    {
        _stats = stats;
        _badInput = badInput;
        _logger = logger;
        _pool = pool;
    }

    /// <summary>The routing core this endpoint hands decoded messages to (set once, before <see cref="Attach"/>).</summary>
    public void Connect(Dispatcher dispatcher, SessionManager sessions)
    {
        _dispatcher = dispatcher;
        _sessions = sessions;
    }

    /// <summary>The bound ROUTER this endpoint sends through.</summary>
    public void Attach(IRouter router) => _router = router;

    // ------------------------------------------------------------------ in

    public void OnMessage(FrameBuffer message)
    {
        try
        {
            Handle(message);
        }
        catch (Exception ex)
        {
            BrokerLog.LoopError(_logger, ex);
        }
    }

    public void OnPeerGone(ReadOnlySpan<byte> identity)
    {
        try
        {
            _stats.ClientDisconnects++;
            _sessions.PeerGone(identity);
        }
        catch (Exception ex)
        {
            BrokerLog.LoopError(_logger, ex);
        }
    }

    private void Handle(FrameBuffer f)
    {
        if (f.Overflow)
        {
            _badInput.Report(BadInput.FrontendTooManyFrames, f.Span(0), $"more than {FrameBuffer.MaxFrames} frames");
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
            HandleMdpClient(f);
        }
        else if (header.SequenceEqual(ZgClient.Header))
        {
            HandleZgClient(f);
        }
        else
        {
            _badInput.Report(BadInput.FrontendUnknownHeader, f.Span(0), "unknown protocol header " + Frames.Printable(header));
        }
    }

    private void HandleMdpClient(FrameBuffer f)
    {
        // [client][""]["MDPC01"][service][body…]
        var service = f.Span(3);
        if (service.StartsWith(Mdp.MmiPrefix))
        {
            HandleMmi(f);
            return;
        }

        if (!Dispatcher.IsValidServiceName(service))
        {
            _badInput.Report(BadInput.FrontendBadService, f.Span(0), "MDP request with an empty or too long service name");
            return;
        }

        var request = _pool.Rent();
        request.SetClientId(f.Span(0));
        request.Kind = ClientKind.Mdp;
        request.BodyCount = f.MoveTo(4, request.Body);
        _dispatcher.ClientRequest(service, request, 0);
    }

    private void HandleZgClient(FrameBuffer f)
    {
        // [client][""]["ZGC01"][command][…]
        if (f.Size(3) != 1)
        {
            _badInput.Report(BadInput.FrontendUnknownCommand, f.Span(0), "ZGC01 command frame is not one byte");
            return;
        }

        switch (f.Span(3)[0])
        {
            case ZgClient.Request:
                HandleZgRequest(f, sessionBound: false);
                break;
            case ZgClient.SessionRequest:
                HandleZgRequest(f, sessionBound: true);
                break;
            case ZgClient.Heartbeat:
                _stats.ClientHeartbeats++;
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

    private void HandleZgRequest(FrameBuffer f, bool sessionBound)
    {
        // [client][""]["ZGC01"][0x01][service][request header][payload…]
        // [client][""]["ZGC01"][0x08][session id][service][request header][payload…]
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
            _stats.NoSessionRequests++;
            SendStatus(ClientKind.ZmqGame, f.Span(0), header.RequestId, Status.NoSession, "no session: this connection does not have the session the request names");
            SendZgCommand(f.Span(0), ZgClient.NoSession);
            return;
        }

        var service = f.Span(at);
        if (!Dispatcher.IsValidServiceName(service))
        {
            _badInput.Report(BadInput.FrontendBadService, f.Span(0), "request with an empty, too long or mmi.* service name");
            SendStatus(ClientKind.ZmqGame, f.Span(0), header.RequestId, Status.BadRequest, "service name must be 1-255 bytes and not start with mmi.");
            return;
        }

        var request = _pool.Rent();
        request.SetClientId(f.Span(0));
        request.Kind = ClientKind.ZmqGame;
        request.Session = session;
        request.RequestId = header.RequestId;
        request.Command = header.Command;
        request.BodyCount = f.MoveTo(at + 1, request.Body);
        _dispatcher.ClientRequest(service, request, header.TimeoutMs);
    }

    private void HandleMmi(FrameBuffer f)
    {
        // RFC 8: [client][""]["MDPC01"]["mmi.service"][name] → [client][""]["MDPC01"]["mmi.service"]["200"|"404"]
        _stats.MmiRequests++;
        byte[] code;
        if (f.Span(3).SequenceEqual(Mdp.MmiService))
        {
            code = f.Count > 4 && _dispatcher.WorkersOf(f.Span(4)) > 0 ? Mmi200 : Mmi404;
        }
        else
        {
            code = Mmi501;
        }

        var socket = _router;
        if (!socket.TryBegin(f.Span(0)))
        {
            _stats.UnroutableClient++;
            return;
        }

        socket.Send(ReadOnlySpan<byte>.Empty, more: true);
        socket.SendConstant(Frames.MdpClientHeader, more: true);
        socket.Send(ref f[3], more: true);
        socket.SendConstant(code, more: false);
    }

    // ------------------------------------------------------------------ out

    /// <summary>Sends <c>[identity][""]["ZGC01"][command][frames…]</c> (a session push or command); false, with nothing sent, when the connection cannot take it now.</summary>
    public bool TrySendToClient(byte[] identity, OutboundMessage message)
    {
        var socket = _router;
        if (!socket.TryBegin(identity))
        {
            return false;
        }

        var frames = message.Frames;
        socket.Send(ReadOnlySpan<byte>.Empty, more: true);
        socket.SendConstant(Frames.ZgClientHeader, more: true);
        socket.SendConstant(Frames.Commands[message.Command], more: frames.Length > 0);
        for (var i = 0; i < frames.Length; i++)
        {
            socket.SendConstant(frames[i], more: i < frames.Length - 1);
        }

        return true;
    }

    /// <summary>Moves a worker's REPLY body to the client that asked, framed for that client's protocol.</summary>
    public void ForwardReply(Worker worker, PendingRequest request, FrameBuffer reply, int bodyAt)
    {
        var f = reply;
        if (request.Kind == ClientKind.Event)
        {
            // The worker has handled the event; there is nobody to forward its answer to.
            return;
        }

        if (request.Kind == ClientKind.ZmqGame
            && (f.Count <= bodyAt || !ReplyHeader.TryRead(f.Span(bodyAt), out var header) || header.RequestId != request.RequestId))
        {
            _badInput.Report(BadInput.BackendMalformedReply, worker.Identity, $"reply to request {request.RequestId} without its reply header");
            SendStatus(ClientKind.ZmqGame, request.ClientId, request.RequestId, Status.HandlerFailed, "malformed reply from worker");
            return;
        }

        var socket = _router;
        if (!socket.TryBegin(request.ClientId))
        {
            _stats.UnroutableClient++;
            return;
        }

        socket.Send(ReadOnlySpan<byte>.Empty, more: true);
        if (request.Kind == ClientKind.ZmqGame)
        {
            socket.SendConstant(Frames.ZgClientHeader, more: true);
            socket.SendConstant(Frames.Commands[ZgClient.Reply], more: true);
        }
        else
        {
            socket.SendConstant(Frames.MdpClientHeader, more: true);
            socket.SendConstant(worker.Service.Name, more: f.Count > bodyAt);
        }

        var last = f.Count - 1;
        for (var i = bodyAt; i <= last; i++)
        {
            socket.Send(ref f[i], more: i < last);
        }
    }

    public void SendStatus(PendingRequest request, Status status, string message) =>
        SendStatus(request.Kind, request.ClientId, request.RequestId, status, message);

    private void SendStatus(ClientKind kind, ReadOnlySpan<byte> client, ulong requestId, Status status, string message)
    {
        if (kind != ClientKind.ZmqGame)
        {
            if (kind == ClientKind.Mdp)
            {
                _stats.MdpUnanswered++;
            }

            return;
        }

        var socket = _router;
        if (!socket.TryBegin(client))
        {
            _stats.UnroutableClient++;
            return;
        }

        new ReplyHeader(requestId, status).Write(_replyHeader);
        socket.Send(ReadOnlySpan<byte>.Empty, more: true);
        socket.SendConstant(Frames.ZgClientHeader, more: true);
        socket.SendConstant(Frames.Commands[ZgClient.Reply], more: true);
        socket.Send(_replyHeader, more: true);
        socket.Send(Encoding.UTF8.GetBytes(message), more: false);
    }

    /// <summary>A ZGC01 message without a body: [client][""]["ZGC01"][command].</summary>
    private void SendZgCommand(ReadOnlySpan<byte> client, byte command)
    {
        var socket = _router;
        if (!socket.TryBegin(client))
        {
            _stats.UnroutableClient++;
            return;
        }

        socket.Send(ReadOnlySpan<byte>.Empty, more: true);
        socket.SendConstant(Frames.ZgClientHeader, more: true);
        socket.SendConstant(Frames.Commands[command], more: false);
    }
}
