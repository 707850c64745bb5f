using System.Text;
using ZmqGame.Protocol;

namespace ZmqGame.Broker.Sessions;

/// <summary>
/// Session events for workers (client connected, client closed, trigger events), queued while the session layer works
/// and handed to the dispatcher afterwards, outside any dispatcher call. A session's close event reaches a worker
/// exactly once, and never before its connected event was answered, expired or dropped. Runs on the broker's loop
/// thread only.
/// </summary>
/// <param name="dispatcher">Where the events go, each as a request rented from <paramref name="pool"/>.</param>
/// <param name="pool">The broker's requests; a released event tells the sessions it is done (<see cref="RequestPool.EventDone"/>).</param>
internal sealed class SessionEventQueue(Dispatcher dispatcher, RequestPool pool)
{
    private static readonly byte[] EmptyPayload = [];

    private readonly List<(byte[] Service, EventHeader Header, byte[] SessionFrame, byte[] Payload, Session? Session)> _pending = [];

    /// <summary>True while events wait for <see cref="Flush"/>.</summary>
    public bool HasPending => _pending.Count > 0;

    /// <summary>Hands the events queued by the last operations to the dispatcher.</summary>
    public void Flush()
    {
        if (_pending.Count == 0)
        {
            return;
        }

        // Submitting may complete events and queue more; take a copy.
        var events = _pending.ToArray();
        _pending.Clear();
        foreach (var (service, header, frame, payload, session) in events)
        {
            dispatcher.SubmitEvent(service, pool.RentEvent(header, frame, payload, session));
        }
    }

    /// <summary>The session started: its connected event, if it names a service.</summary>
    public void Connected(Session session) => Queue(session, SessionEventType.Connected, 0, string.Empty);

    /// <summary>The session ended: its close event now, or once its connected event is done.</summary>
    public void Closed(Session session, SessionCloseReason reason, string text)
    {
        if (session.ConnectedEventPending)
        {
            session.DeferredClose = (reason, text);
        }
        else
        {
            Queue(session, SessionEventType.Closed, reason, text);
        }
    }

    /// <summary>An event about <paramref name="session"/> was answered, expired or dropped.</summary>
    public void Done(Session session, SessionEventType type)
    {
        if (type != SessionEventType.Connected)
        {
            return;
        }

        session.ConnectedEventPending = false;
        if (session.DeferredClose is { } close)
        {
            session.DeferredClose = null;
            Queue(session, SessionEventType.Closed, close.Reason, close.Text);
        }
    }

    /// <summary>A trigger event for one worker of <paramref name="service"/>, about no session.</summary>
    public void Trigger(byte[] service, int command, byte[]? payload)
    {
        var sessionFrame = new SessionContext(0, 0, null).ToArray();
        _pending.Add((service, new EventHeader(SessionEventType.Trigger, 0, command), sessionFrame, payload ?? EmptyPayload, null));
    }

    private void Queue(Session session, SessionEventType type, SessionCloseReason reason, string text)
    {
        if (session.Service.Length == 0)
        {
            return;
        }

        if (type == SessionEventType.Connected)
        {
            session.ConnectedEventPending = true;
        }

        var frame = new byte[SessionContext.SizeOf(session.UserIdUtf8)];
        SessionContext.Write(frame, session.Id, session.Flags, session.UserIdUtf8);
        var payload = type == SessionEventType.Closed ? Encoding.UTF8.GetBytes(text) : EmptyPayload;
        _pending.Add((session.Service, new EventHeader(type, reason), frame, payload, session));
    }
}
