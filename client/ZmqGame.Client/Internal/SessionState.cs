using Microsoft.Extensions.Logging;
using ZmqGame.Protocol;
using ZmqGame.Transport.WebSocket;

namespace ZmqGame.Client.Internal;

/// <summary>
/// The client's side of its session (docs/protocol.md, "Sessions"): every new connection says HELLO (with the last
/// ticket, to resume); requests wait for the WELCOME so they carry the session. NO SESSION (to a heartbeat or to a
/// request) resumes with the ticket; CLOSED from the broker (expired, kicked, replaced) opens a fresh anonymous
/// session at once, unless this client is closing. Session events run on the thread pool through the
/// <see cref="EventQueue"/>, never on the I/O thread.
/// <para>
/// I/O thread, except <see cref="Current"/>, <see cref="FirstWelcome"/> and the events.
/// </para>
/// </summary>
internal sealed class SessionState
{
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly byte[] sessionService;
    private readonly ClientConnection connection;
    private readonly ClientLiveness liveness;
    private readonly EventQueue events;
    private readonly Action onLinkWelcomed;
    private readonly bool pumped; // WebGL: no thread pool; ConnectAsync continues in the pump after the WELCOME's turn
    private readonly TaskCompletionSource<bool> firstWelcome;
    private volatile ClientSession? current;
    private byte[]? ticket;        // the latest ticket, to resume with
    private bool helloPending;     // a HELLO is on its way and neither WELCOME nor CLOSED answered it yet
    private long helloSentAt;
    private bool welcomedOnce;
    private bool closing;          // CLOSE sent by disposal: no new session after CLOSED
    private TaskCompletionSource<bool>? closeAnswered;

    /// <summary>A session that says HELLO on <paramref name="connection"/>; <paramref name="onLinkWelcomed"/> runs (I/O
    /// thread) when the first WELCOME arrives on a connection, so that held requests go.</summary>
    public SessionState(
        TimeProvider time,
        ILogger logger,
        byte[] sessionService,
        ClientConnection connection,
        ClientLiveness liveness,
        EventQueue events,
        Action onLinkWelcomed)
    {
        this.time = time;
        this.logger = logger;
        this.sessionService = sessionService;
        this.connection = connection;
        this.liveness = liveness;
        this.events = events;
        this.onLinkWelcomed = onLinkWelcomed;
        pumped = ZmqGameWebSocket.Pumped;
        firstWelcome = new(pumped ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>The session of the latest WELCOME; null before the first and between CLOSED and the next WELCOME. Any thread.</summary>
    public ClientSession? Current => current;

    /// <summary>Completes at the first WELCOME (the session ConnectAsync returns with).</summary>
    public Task FirstWelcome => firstWelcome.Task;

    /// <summary>The open session's id; 0: no session.</summary>
    public ulong Id { get; private set; }

    /// <summary>A WELCOME arrived on the current connection: requests may go.</summary>
    public bool LinkWelcomed { get; private set; }

    /// <summary>When the HELLO still unanswered was sent; null when none is.</summary>
    public long? HelloWaitingSince => helloPending ? helloSentAt : null;

    /// <summary>The <c>sender</c> of the session events (the public client object).</summary>
    public object? EventSender { get; set; }

    public event EventHandler<SessionChangedEventArgs>? Changed;

    public event EventHandler<SessionClosedEventArgs>? Closed;

    /// <summary>The connection loop stopped before any WELCOME.</summary>
    public void FailFirstWelcome(Exception exception) => firstWelcome.TrySetException(exception);

    /// <summary>Disposal: nobody waits for a first WELCOME any more.</summary>
    public void CancelFirstWelcome() => firstWelcome.TrySetCanceled();

    /// <summary>A new connection opened: HELLO, resuming when there is a ticket.</summary>
    public void Opened(long now) => SendHello(now, resume: ticket is not null);

    /// <summary>The connection closed: whatever was asked on it is void.</summary>
    public void ConnectionClosed()
    {
        LinkWelcomed = false;
        helloPending = false;
        closeAnswered?.TrySetResult(false);
        closeAnswered = null;
    }

    /// <summary>
    /// A request was answered <c>no session</c> (and held again by the caller): hold everything after it too, and
    /// resume unless a HELLO is already on its way.
    /// </summary>
    public void RequestRefused()
    {
        LinkWelcomed = false;
        if (!helloPending && !closing && connection.IsOpen)
        {
            SendHello(time.GetTimestamp(), resume: ticket is not null);
        }
    }

    /// <summary>WELCOME: the session is open (new or resumed); the ticket, when given, replaces the previous one.</summary>
    public void Welcomed(Welcome welcome, byte[]? newTicket)
    {
        if (newTicket is not null)
        {
            ticket = newTicket;
        }

        helloPending = false;
        Id = welcome.Session;
        var session = ClientSession.From(welcome);
        current = session;
        if (closing)
        {
            return;
        }

        Log.SessionWelcomed(logger, session.Id, connection.Endpoint, welcome.Resumed, session.UserId);
        if (!LinkWelcomed)
        {
            LinkWelcomed = true;
            onLinkWelcomed();
        }

        if (!welcomedOnce)
        {
            // The session ConnectAsync returns with; nobody can have subscribed yet, so no event.
            welcomedOnce = true;
            if (pumped)
            {
                ZmqGameWebSocket.Post(() => firstWelcome.TrySetResult(true));
            }
            else
            {
                firstWelcome.TrySetResult(true);
            }

            return;
        }

        var args = new SessionChangedEventArgs(session, welcome.Resumed);
        events.Enqueue(() => Changed?.Invoke(EventSender, args));
    }

    /// <summary>CLOSED: the session ended. Unless this client closed it, a fresh session is asked for at once.</summary>
    public void ClosedByBroker(SessionCloseReason reason, string text)
    {
        var closedId = Id;
        Id = 0;
        ticket = null;
        current = null;
        helloPending = false;

        var args = new SessionClosedEventArgs(closedId, reason, text);
        events.Enqueue(() => Closed?.Invoke(EventSender, args));

        if (closing)
        {
            closeAnswered?.TrySetResult(true);
            closeAnswered = null;
            return;
        }

        Log.SessionEnded(logger, closedId, connection.Endpoint, ReasonName(reason), text);
        SendHello(time.GetTimestamp(), resume: false);
    }

    /// <summary>NO SESSION: resume with the ticket, unless a HELLO already on its way will settle it.</summary>
    public void NoSession()
    {
        if (closing || helloPending)
        {
            // Answers come in order: this one answered a heartbeat sent before the pending HELLO.
            return;
        }

        Log.NoSession(logger, connection.Endpoint, ticket is not null);
        SendHello(time.GetTimestamp(), resume: ticket is not null);
    }

    /// <summary>
    /// Disposal: says CLOSE when a session is open or being opened; <paramref name="answered"/> is true when CLOSED
    /// came back, false when there was nothing to close or the connection ended first.
    /// </summary>
    public void Close(TaskCompletionSource<bool> answered)
    {
        closing = true;
        if (!connection.IsOpen || !connection.HeardOnLink || (Id == 0 && !helloPending))
        {
            answered.TrySetResult(false);
            return;
        }

        if (!connection.TrySend(ClientFrames.Close()))
        {
            answered.TrySetResult(false);
            return;
        }

        closeAnswered = answered;
    }

    internal static string ReasonName(SessionCloseReason reason) => reason switch
    {
        SessionCloseReason.ClientClosed => "client closed",
        SessionCloseReason.Expired => "expired",
        SessionCloseReason.Kicked => "kicked",
        SessionCloseReason.Replaced => "replaced",
        _ => $"reason {(byte)reason}",
    };

    /// <summary>HELLO: [session service][ticket]; the ticket only when resuming.</summary>
    private void SendHello(long now, bool resume)
    {
        if (connection.TrySend(ClientFrames.Hello(sessionService, resume ? ticket : null)))
        {
            liveness.Sent();
            helloPending = true;
            helloSentAt = now;
        }
    }
}
