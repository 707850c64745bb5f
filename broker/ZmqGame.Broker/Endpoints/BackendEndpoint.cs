using Microsoft.Extensions.Logging;
using ZmqGame.Broker.Sessions;
using ZmqGame.Protocol;
using ZmqGame.Transport;

namespace ZmqGame.Broker.Endpoints;

/// <summary>
/// The workers' endpoint. In: Majordomo workers (MDPW01: READY, REPLY, HEARTBEAT, DISCONNECT) decoded for the
/// <see cref="Dispatcher"/>, and ZmqGame workers' session actions (ZGW01) run on the sessions. Out: REQUEST,
/// HEARTBEAT and DISCONNECT (<see cref="IWorkerChannel"/>). Loop thread only.
/// </summary>
internal sealed class BackendEndpoint : Endpoint, IWorkerChannel
{
    /// <summary>Where a REPLY's body starts in the received buffer (past the worker's identity).</summary>
    private static readonly int ReplyBodyAt = RoutedFrames.BufferIndex(MdpWorkerEnvelope.BodyStart);

    private readonly BrokerStats _stats;
    private readonly BadInputLog _badInput;
    private Dispatcher _dispatcher = null!;
    private SessionManager _sessions = null!;

    public BackendEndpoint(BrokerStats stats, BadInputLog badInput, ILogger logger)
        : base(logger)
    {
        _stats = stats;
        _badInput = badInput;
    }

    /// <summary>The routing core this endpoint hands decoded messages to (set once, before <see cref="Endpoint.Attach"/>).</summary>
    public void Connect(Dispatcher dispatcher, SessionManager sessions)
    {
        _dispatcher = dispatcher;
        _sessions = sessions;
    }

    // ------------------------------------------------------------------ in

    protected override void PeerGone(ReadOnlySpan<byte> identity) => _dispatcher.WorkerGone(identity, "connection closed");

    protected override void Handle(FrameBuffer f)
    {
        var frames = new RoutedFrames(f);
        var identity = frames.Identity;
        if (f.TruncatedSize > 0)
        {
            HandleTooLarge(frames, f);
            return;
        }

        if (f.Overflow)
        {
            _dispatcher.WorkerProtocolError(identity, BadInput.BackendTooManyFrames, $"more than {FrameBuffer.MaxFrames} frames");
            return;
        }

        if (ZgWorker.TryReadAction(frames, out var action))
        {
            HandleWorkerAction(frames, action);
            return;
        }

        if (frames.Count < 3 || !frames[0].IsEmpty || frames[MdpWorker.CommandIndex].Length != 1)
        {
            _dispatcher.WorkerProtocolError(identity, BadInput.BackendMalformed, $"{f.Count} frames, expected [\"\"][\"{MdpWorker.HeaderText}\"][command][…]");
            return;
        }

        if (!MdpWorker.TryReadCommand(frames, out var command))
        {
            _dispatcher.WorkerProtocolError(identity, BadInput.BackendUnknownHeader, "unknown protocol header " + Frames.Printable(frames[MdpWorker.HeaderIndex]));
            return;
        }

        switch (command)
        {
            case Mdp.Reply when MdpWorker.TryReadEnvelope(frames, Mdp.Reply, out _):
                _dispatcher.WorkerReply(identity, frames[MdpWorkerEnvelope.ClientIndex], f, ReplyBodyAt);
                break;
            case Mdp.Heartbeat:
                switch (MdpWorker.ReadHeartbeatFlag(frames))
                {
                    case HeartbeatFlag.Draining:
                        _dispatcher.WorkerDraining(identity);
                        break;
                    case HeartbeatFlag.Paused:
                        _dispatcher.WorkerPaused(identity);
                        break;
                    case HeartbeatFlag.Ready:
                        _dispatcher.WorkerResumed(identity);
                        break;
                    default:
                        _dispatcher.WorkerHeartbeat(identity);
                        break;
                }

                break;
            case Mdp.Ready when MdpWorker.TryReadReady(frames, out var ready):
                _dispatcher.WorkerReady(identity, frames[MdpWorkerReady.ServiceIndex], ReadWorkerInfo(frames, ready));
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

    /// <summary>
    /// A message over the size limit, of which the transport kept only the first frames: a REPLY whose envelope came
    /// ends its request (the client is told <c>too large</c>, see <see cref="FrontendEndpoint.ForwardReply"/>) and the
    /// worker goes on; anything else is a protocol error. Counted and logged either way.
    /// </summary>
    private void HandleTooLarge(in RoutedFrames frames, FrameBuffer f)
    {
        var identity = frames.Identity;
        var detail = $"a message of {f.TruncatedSize} bytes (over the size limit)";
        if (MdpWorker.TryReadEnvelope(frames, Mdp.Reply, out _))
        {
            _badInput.Report(BadInput.BackendTooLarge, identity, "REPLY: " + detail);
            _dispatcher.WorkerReply(identity, frames[MdpWorkerEnvelope.ClientIndex], f, ReplyBodyAt);
            return;
        }

        _dispatcher.WorkerProtocolError(identity, BadInput.BackendTooLarge, detail);
    }

    /// <summary>A ZmqGame worker's session action (<see cref="ZgWorker"/>). Never answered.</summary>
    private void HandleWorkerAction(in RoutedFrames frames, ZgWorkerAction action)
    {
        var identity = frames.Identity;
        if (_dispatcher.FindWorker(identity) is not { Info: not null })
        {
            _badInput.Report(BadInput.BackendBadAction, identity, ZgWorker.HeaderText + " session action from a worker that is not a registered ZmqGame worker");
            return;
        }

        var result = SessionActionFrames.Execute(frames, action, _sessions, fromControl: false);
        if (result.Error is { } error)
        {
            _badInput.Report(BadInput.BackendBadAction, identity, $"session action {Frames.Printable(frames[ZgWorker.ActionIndex])}: {error}");
        }
    }

    /// <summary>READY's optional ZmqGame frame after the service name; null (counted if present) when there is none.</summary>
    private WorkerInfo? ReadWorkerInfo(in RoutedFrames frames, MdpWorkerReady ready)
    {
        if (ready.InfoIndex < 0)
        {
            return null;
        }

        if (WorkerInfo.TryParse(frames[ready.InfoIndex].ToArray(), out var info))
        {
            return info;
        }

        _badInput.Report(BadInput.BackendBadWorkerInfo, frames.Identity, "READY with an unreadable ZmqGame worker frame: taken as a stock MDP worker");
        return null;
    }

    // ------------------------------------------------------------------ out

    public bool SendRequest(Worker worker, PendingRequest request)
    {
        var socket = Router;
        if (!socket.TryBegin(worker.Identity))
        {
            return false;
        }

        MdpWorker.WriteRequestHead(new RouterWriter(socket), request.ClientId, more: request.BodyCount > 0);

        // The request keeps its frames until the reply (a departing worker may hand it back); the
        // transport copies their bytes into the worker's connection buffer.
        var body = request.Body;
        var last = request.BodyCount - 1;
        var withSession = request.Kind == ClientKind.ZmqGame && worker.Info is not null;
        for (var i = 0; i <= last; i++)
        {
            socket.Send(body[i].Slice(), more: i < last || (i == 0 && withSession));
            if (i == 0 && withSession)
            {
                // A ZmqGame worker learns who asks: the session frame goes right after the request header.
                SendSessionFrame(socket, request.Session, more: last > 0);
            }
        }

        return true;
    }

    public void SendCommand(ReadOnlySpan<byte> workerIdentity, byte command)
    {
        var socket = Router;
        if (!socket.TryBegin(workerIdentity))
        {
            _stats.UnroutableWorker++;
            return;
        }

        MdpWorker.WriteCommand(new RouterWriter(socket), command, more: false);
    }

    private static void SendSessionFrame(IRouter socket, Session? session, bool more)
    {
        // At most FixedSize + 255 bytes (user ids are bounded): built on the stack, copied by the transport.
        var user = session is null ? ReadOnlySpan<byte>.Empty : session.UserIdUtf8;
        Span<byte> frame = stackalloc byte[SessionContext.SizeOf(user)];
        SessionContext.Write(frame, session?.Id ?? 0, session?.Flags ?? 0, user);
        socket.Send(frame, more);
    }
}
