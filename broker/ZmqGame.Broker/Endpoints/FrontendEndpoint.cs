using System.Text;
using Microsoft.Extensions.Logging;
using ZmqGame.Broker.Limits;
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
internal sealed class FrontendEndpoint : Endpoint, IClientChannel, IClientOutput
{
    private readonly BrokerStats _stats;
    private readonly BadInputLog _badInput;
    private readonly RequestPool _pool;
    private Dispatcher _dispatcher = null!;
    private SessionManager _sessions = null!;

    public FrontendEndpoint(BrokerStats stats, BadInputLog badInput, ILogger logger, RequestPool pool)
        : base(logger)
    {
        _stats = stats;
        _badInput = badInput;
        _pool = pool;
    }

    /// <summary>The broker's <c>MaxMessageSize</c>, named in the answer to a request over it.</summary>
    public long MaxMessageSize { get; init; }

    /// <summary>The request rate limit every client request passes (set once, before <see cref="Endpoint.Attach"/>); off unless set.</summary>
    public RequestLimiter Limits { get; set; } = RequestLimiter.Off;

    /// <summary>The routing core this endpoint hands decoded messages to (set once, before <see cref="Endpoint.Attach"/>).</summary>
    public void Connect(Dispatcher dispatcher, SessionManager sessions)
    {
        _dispatcher = dispatcher;
        _sessions = sessions;
    }

    // ------------------------------------------------------------------ in

    protected override void PeerGone(ReadOnlySpan<byte> identity)
    {
        _stats.ClientDisconnects++;
        _sessions.PeerGone(identity);
        Limits.PeerGone(identity);
    }

    protected override void Handle(FrameBuffer f)
    {
        var frames = new RoutedFrames(f);
        if (f.TruncatedSize > 0)
        {
            HandleTooLarge(frames, f.TruncatedSize);
            return;
        }

        if (f.Overflow)
        {
            _badInput.Report(BadInput.FrontendTooManyFrames, frames.Identity, $"more than {FrameBuffer.MaxFrames} frames");
            return;
        }

        if (frames.Count < 3 || !frames[0].IsEmpty)
        {
            _badInput.Report(BadInput.FrontendMalformed, frames.Identity, $"{f.Count} frames, expected [\"\"][protocol][…]");
            return;
        }

        if (MdpClient.TryRead(frames, out var mdp))
        {
            HandleMdpClient(frames, mdp);
        }
        else if (ZgClient.TryReadCommand(frames, out var command))
        {
            HandleZgClient(frames, command);
        }
        else if (ZgClient.HasHeader(frames))
        {
            _badInput.Report(BadInput.FrontendUnknownCommand, frames.Identity, ZgClient.HeaderText + " command frame is not one byte");
        }
        else
        {
            _badInput.Report(BadInput.FrontendUnknownHeader, frames.Identity, "unknown protocol header " + Frames.Printable(frames[ZgClient.HeaderIndex]));
        }
    }

    private void HandleMdpClient(in RoutedFrames frames, MdpClientMessage message)
    {
        if (message.IsMmi)
        {
            HandleMmi(frames);
            return;
        }

        var service = frames[MdpClient.ServiceIndex];
        if (!Dispatcher.IsValidServiceName(service))
        {
            _badInput.Report(BadInput.FrontendBadService, frames.Identity, "MDP request with an empty or too long service name");
            return;
        }

        if (!Admit(frames.Identity, session: null, ClientKind.Mdp, 0))
        {
            return;
        }

        var request = _pool.Rent();
        request.SetClientId(frames.Identity);
        request.Kind = ClientKind.Mdp;
        request.BodyCount = frames.MoveTo(MdpClient.BodyStart, request.Body);
        _dispatcher.ClientRequest(service, request, 0);
    }

    private void HandleZgClient(in RoutedFrames frames, byte command)
    {
        switch (command)
        {
            case ZgClient.Request or ZgClient.SessionRequest:
                HandleZgRequest(frames);
                break;
            case ZgClient.Heartbeat:
                _stats.ClientHeartbeats++;
                var sessionAt = ZgClient.BodyIndex(frames);
                var answer = _sessions.Heartbeat(frames.Identity, sessionAt < 0 ? ReadOnlySpan<byte>.Empty : frames[sessionAt]);
                SendZgCommand(frames.Identity, answer == HeartbeatAnswer.Heartbeat ? ZgClient.Heartbeat : ZgClient.NoSession);
                break;
            case ZgClient.Hello when ZgClient.TryReadHello(frames, out var serviceAt, out var ticketAt):
                _sessions.Hello(frames.Identity, frames[serviceAt], ticketAt < 0 ? ReadOnlySpan<byte>.Empty : frames[ticketAt]);
                break;
            case ZgClient.Close:
                _sessions.Close(frames.Identity);
                break;
            default:
                _badInput.Report(BadInput.FrontendUnknownCommand, frames.Identity, $"unknown {ZgClient.HeaderText} command 0x{command:X2}");
                break;
        }
    }

    private void HandleZgRequest(in RoutedFrames frames)
    {
        if (!ZgClient.TryReadRequest(frames, out var zg))
        {
            _badInput.Report(BadInput.FrontendBadRequestHeader, frames.Identity, ZgClient.HeaderText + " REQUEST without a valid request header (or session id)");
            return;
        }

        var header = zg.Header;
        var session = _sessions.Touch(frames.Identity);
        if (zg.SessionBound && (session is null || session.Id != zg.SessionId))
        {
            // Not the session the client believes it has (the broker restarted, or the connection changed): the
            // request does not run; the client resumes its session and sends it again.
            _stats.NoSessionRequests++;
            SendStatus(ClientKind.ZmqGame, frames.Identity, header.RequestId, Status.NoSession, "no session: this connection does not have the session the request names");
            SendZgCommand(frames.Identity, ZgClient.NoSession);
            return;
        }

        var service = frames[zg.ServiceIndex];
        if (!Dispatcher.IsValidServiceName(service))
        {
            _badInput.Report(BadInput.FrontendBadService, frames.Identity, "request with an empty, too long or mmi.* service name");
            SendStatus(ClientKind.ZmqGame, frames.Identity, header.RequestId, Status.BadRequest, "service name must be 1-255 bytes and not start with mmi.");
            return;
        }

        if (!Admit(frames.Identity, session, ClientKind.ZmqGame, header.RequestId))
        {
            return;
        }

        var request = _pool.Rent();
        request.SetClientId(frames.Identity);
        request.Kind = ClientKind.ZmqGame;
        request.Session = session;
        request.RequestId = header.RequestId;
        request.Command = header.Command;
        request.BodyCount = frames.MoveTo(zg.BodyStart, request.Body);
        _dispatcher.ClientRequest(service, request, header.TimeoutMs);
    }

    /// <summary>
    /// A message over <see cref="MaxMessageSize"/>, of which the transport kept only the first frames (the rest was
    /// skipped; the connection stays): a ZmqGame request whose header came is answered <see cref="Status.TooLarge"/>,
    /// anything else (a stock MDP request, no header) is dropped. Counted and logged either way.
    /// </summary>
    private void HandleTooLarge(in RoutedFrames frames, long size)
    {
        _badInput.Report(BadInput.FrontendTooLarge, frames.Identity, $"a message of {size} bytes (the limit is {MaxMessageSize})");
        if (frames.Count >= 3 && frames[0].IsEmpty && ZgClient.TryReadRequest(frames, out var zg))
        {
            _sessions.Touch(frames.Identity);
            SendStatus(ClientKind.ZmqGame, frames.Identity, zg.Header.RequestId, Status.TooLarge, TooLargeText("request", size));
        }
    }

    /// <summary>What a client is told about a request or reply over <see cref="MaxMessageSize"/>.</summary>
    private string TooLargeText(string what, long size) => $"{what} of {size} bytes is over the broker's limit of {MaxMessageSize}";

    /// <summary>
    /// The abuse limits' hook: a request over its session's (or connection's) rate limit does not run. A ZmqGame client
    /// is answered <c>rate limited</c> at once; a stock MDP client, which has no status to hear, is not answered. Both
    /// are counted and logged by the limiter. Either way the client's connection is then not read until its bucket
    /// holds a token again (<see cref="IRouter.PauseReading"/>, rounded up to the loop's tick): a flooder's further
    /// requests wait in TCP buffers instead of costing a refusal each (the own transport; NetMQ answers every one).
    /// Allocates nothing either way.
    /// </summary>
    private bool Admit(ReadOnlySpan<byte> client, Session? session, ClientKind kind, ulong requestId)
    {
        var refusal = Limits.Admit(session, client, answered: kind == ClientKind.ZmqGame, out var retryAt);
        if (refusal is null)
        {
            return true;
        }

        var socket = Router;
        socket.PauseReading(client, retryAt);
        if (kind == ClientKind.ZmqGame)
        {
            if (!socket.TryBegin(client))
            {
                _stats.UnroutableClient++;
                return false;
            }

            ZgClient.WriteStatusReply(new RouterWriter(socket), new ReplyHeader(requestId, Status.RateLimited), refusal);
        }

        return false;
    }

    /// <summary>RFC 8: <c>mmi.service</c> [name] is answered "200" or "404"; any other <c>mmi.</c> service "501".</summary>
    private void HandleMmi(in RoutedFrames frames)
    {
        _stats.MmiRequests++;
        var answer = !MdpClient.IsMmiServiceQuery(frames, out var nameAt) ? MmiAnswer.NotImplemented
            : nameAt >= 0 && _dispatcher.WorkersOf(frames[nameAt]) > 0 ? MmiAnswer.Found
            : MmiAnswer.NotFound;

        var socket = Router;
        if (!socket.TryBegin(frames.Identity))
        {
            _stats.UnroutableClient++;
            return;
        }

        MdpClient.WriteMmiAnswer(new RouterWriter(socket), frames[MdpClient.ServiceIndex], answer);
    }

    // ------------------------------------------------------------------ out

    /// <summary>Sends a session push or command (<see cref="ZgClient"/>); false, with nothing sent, when the connection cannot take it now.</summary>
    public bool TrySendToClient(byte[] identity, OutboundMessage message)
    {
        var socket = Router;
        if (!socket.TryBegin(identity))
        {
            return false;
        }

        var writer = new RouterWriter(socket);
        var frames = message.Frames;
        ZgClient.WriteCommand(writer, message.Command, more: frames.Length > 0);
        for (var i = 0; i < frames.Length; i++)
        {
            writer.WriteConstant(frames[i], more: i < frames.Length - 1);
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

        if (f.TruncatedSize > 0)
        {
            // The worker's reply was over the limit; the transport kept only its envelope.
            SendStatus(request, Status.TooLarge, TooLargeText("the worker's reply", f.TruncatedSize));
            return;
        }

        // A stock MDP reply has no status: it is an answer, so it counts as ok.
        var status = Status.Ok;
        if (request.Kind == ClientKind.ZmqGame)
        {
            if (f.Count <= bodyAt || !ReplyHeader.TryRead(f.Span(bodyAt), out var header) || header.RequestId != request.RequestId)
            {
                _badInput.Report(BadInput.BackendMalformedReply, worker.Identity, $"reply to request {request.RequestId} without its reply header");
                worker.Service.CountOutcome(Status.HandlerFailed);
                SendStatus(ClientKind.ZmqGame, request.ClientId, request.RequestId, Status.HandlerFailed, "malformed reply from worker");
                return;
            }

            status = header.Status;
        }

        worker.Service.CountOutcome(status);

        var socket = Router;
        if (!socket.TryBegin(request.ClientId))
        {
            _stats.UnroutableClient++;
            return;
        }

        // The codec writes the head; the body frames the worker sent are moved on as they are.
        var writer = new RouterWriter(socket);
        if (request.Kind == ClientKind.ZmqGame)
        {
            ZgClient.WriteCommand(writer, ZgClient.Reply, more: true);
        }
        else
        {
            MdpClient.WriteHead(writer, worker.Service.Name, more: f.Count > bodyAt);
        }

        var last = f.Count - 1;
        for (var i = bodyAt; i <= last; i++)
        {
            writer.Forward(ref f[i], more: i < last);
        }
    }

    public void SendStatus(PendingRequest request, Status status, string message)
    {
        if (request.Kind != ClientKind.Event)
        {
            request.Service?.CountOutcome(status);
        }

        SendStatus(request.Kind, request.ClientId, request.RequestId, status, message);
    }

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

        var socket = Router;
        if (!socket.TryBegin(client))
        {
            _stats.UnroutableClient++;
            return;
        }

        ZgClient.WriteStatusReply(new RouterWriter(socket), new ReplyHeader(requestId, status), Encoding.UTF8.GetBytes(message));
    }

    /// <summary>A <see cref="ZgClient"/> command without a body (HEARTBEAT, NO SESSION).</summary>
    private void SendZgCommand(ReadOnlySpan<byte> client, byte command)
    {
        var socket = Router;
        if (!socket.TryBegin(client))
        {
            _stats.UnroutableClient++;
            return;
        }

        ZgClient.WriteCommand(new RouterWriter(socket), command);
    }
}
