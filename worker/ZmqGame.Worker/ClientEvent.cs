using ZmqGame.Protocol;

namespace ZmqGame.Worker;

/// <summary>
/// A client session of the service started or ended: the argument of <c>OnClientConnected</c> and
/// <c>OnClientClosed</c> hooks. One instance per event.
/// </summary>
/// <remarks>
/// Session actions made here go out on the slot that holds the event, before the event is answered. After a worker
/// crash the broker may deliver a <c>client closed</c> event a second time: close hooks must tolerate that.
/// </remarks>
public sealed class ClientEvent
{
    internal ClientEvent(string service, SessionInfo session, SessionCloseReason? reason, string? reasonText, SessionSender sessions)
    {
        Service = service;
        Session = session;
        Reason = reason;
        ReasonText = reasonText;
        Sessions = sessions;
    }

    /// <summary>The service whose clients this session belongs to (the service named in the client's HELLO).</summary>
    public string Service { get; }

    /// <summary>The new session (connected), or the session as it was when it ended, with its user if bound (closed).</summary>
    public SessionInfo Session { get; }

    /// <summary>True for <c>client closed</c>, false for <c>client connected</c>.</summary>
    public bool IsClosed => Reason is not null;

    /// <summary>Why the session ended; null for <c>client connected</c>.</summary>
    public SessionCloseReason? Reason { get; }

    /// <summary>The broker's text for people (for a kick, the kicker's reason); null for <c>client connected</c>.</summary>
    public string? ReasonText { get; }

    /// <summary>Session actions on any target, sent through this event's slot.</summary>
    public SessionSender Sessions { get; }

    /// <inheritdoc cref="SessionSender.Push{T}"/>
    public void Push<T>(PushTarget target, int command, T message) => Sessions.Push(target, command, message);

    /// <inheritdoc cref="SessionSender.Kick"/>
    public void Kick(PushTarget target, string reason) => Sessions.Kick(target, reason);

    /// <summary>This (new) session joins <paramref name="group"/>.</summary>
    /// <exception cref="InvalidOperationException">The session has ended (a <c>client closed</c> event).</exception>
    public void JoinGroup(string group) => Sessions.Join(OwnSession(), group);

    /// <summary>This (new) session leaves <paramref name="group"/>.</summary>
    /// <exception cref="InvalidOperationException">The session has ended (a <c>client closed</c> event).</exception>
    public void LeaveGroup(string group) => Sessions.Leave(OwnSession(), group);

    /// <inheritdoc/>
    public override string ToString() => IsClosed
        ? $"client closed: {Session} service {Service} reason {Reason} ({ReasonText})"
        : $"client connected: {Session} service {Service}";

    private PushTarget OwnSession()
    {
        if (IsClosed)
        {
            throw new InvalidOperationException("The session has ended: a close hook cannot change its groups (push to the group instead).");
        }

        if (!Session.Exists)
        {
            throw new InvalidOperationException("This event names no session.");
        }

        return PushTarget.Session(Session.Id);
    }
}
