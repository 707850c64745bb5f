using ZmqGame.Protocol;
using ZmqGame.Worker.Internal;

namespace ZmqGame.Worker;

/// <summary>
/// What a handler and the hooks know about the request being served. One instance per request.
/// </summary>
public sealed class RequestContext
{
    private Dictionary<object, object?>? _items;

    internal RequestContext(
        string service, int command, ulong requestId, bool isRaw, int slot, SessionInfo session, SessionSender sessions, CancellationToken requestAborted)
    {
        Service = service;
        Command = command;
        RequestId = requestId;
        IsRaw = isRaw;
        Slot = slot;
        RequestAborted = requestAborted;
        Session = session;
        Sessions = sessions;
    }

    /// <summary>How large the REPLY carrying this request's answer may be, and what its envelope already takes.</summary>
    internal ReplyLimit ReplyLimit { get; init; } = ReplyLimit.None;

    /// <summary>The client's span, from the request's trace context; default when it came without one (Tracing/).</summary>
    internal System.Diagnostics.ActivityContext TraceParent { get; init; }

    /// <summary>The MDP service (worker pool) that received the request.</summary>
    public string Service { get; }

    /// <summary>The command id (route) of a ZmqGame request; 0 for a raw request.</summary>
    public int Command { get; }

    /// <summary>The client's request id of a ZmqGame request; 0 for a raw request.</summary>
    public ulong RequestId { get; }

    /// <summary>True for a stock MDP request served by the raw route.</summary>
    public bool IsRaw { get; }

    /// <summary>Index of the slot serving the request (0-based, per service).</summary>
    public int Slot { get; }

    /// <summary>
    /// Fires when nobody will read the result any more: the shutdown timeout ran out, or the slot lost its
    /// broker and reconnected. Long handlers should honour it.
    /// </summary>
    public CancellationToken RequestAborted { get; }

    /// <summary>How the request ended so far (<see cref="Status.Ok"/> until something fails); final in after hooks.</summary>
    public Status Status { get; internal set; } = Status.Ok;

    /// <summary>The exception that failed the request, if any; visible to after hooks.</summary>
    public Exception? Error { get; internal set; }

    /// <summary>Per-request data shared by hooks and the handler.</summary>
    public IDictionary<object, object?> Items => _items ??= new Dictionary<object, object?>();

    /// <summary>
    /// The caller's session as the broker knew it when it sent the request (<see cref="SessionInfo.None"/> for a raw
    /// request or a client without a session). <see cref="Login"/> and <see cref="Logout"/> update it.
    /// </summary>
    public SessionInfo Session { get; private set; }

    /// <summary>
    /// Session actions on any target, sent through this request's slot: they take effect in the broker before this
    /// request's reply reaches the client.
    /// </summary>
    public SessionSender Sessions { get; }

    /// <summary>
    /// Binds the caller's session to <paramref name="userId"/> (1 to 255 UTF-8 bytes) with the user's data flags.
    /// The binding is in place before the reply reaches the client, so its next request sees it. A session bound to
    /// the same user before ends with CLOSED (replaced): the broker keeps one login per user.
    /// </summary>
    /// <exception cref="InvalidOperationException">The request came without a session.</exception>
    public void Login(string userId, ulong flags = 0)
    {
        var id = RequireSession("log in");
        Sessions.Bind(id, userId, flags);
        Session = Session.WithUser(userId, flags);
    }

    /// <summary>Unbinds the caller's session from its user (it stays open, not logged in).</summary>
    /// <exception cref="InvalidOperationException">The request came without a session.</exception>
    public void Logout()
    {
        var id = RequireSession("log out");
        Sessions.Unbind(id);
        Session = Session.WithUser(null, 0);
    }

    /// <summary>The caller's session joins <paramref name="group"/> (1 to 255 UTF-8 bytes).</summary>
    /// <exception cref="InvalidOperationException">The request came without a session.</exception>
    public void JoinGroup(string group) => Sessions.Join(PushTarget.Session(RequireSession("join a group")), group);

    /// <summary>The caller's session leaves <paramref name="group"/>.</summary>
    /// <exception cref="InvalidOperationException">The request came without a session.</exception>
    public void LeaveGroup(string group) => Sessions.Leave(PushTarget.Session(RequireSession("leave a group")), group);

    /// <inheritdoc cref="SessionSender.Push{T}"/>
    public void Push<T>(PushTarget target, int command, T message) => Sessions.Push(target, command, message);

    /// <summary>Pushes <paramref name="message"/> to the caller's session.</summary>
    /// <exception cref="InvalidOperationException">The request came without a session.</exception>
    public void PushToCaller<T>(int command, T message) => Sessions.Push(PushTarget.Session(RequireSession("push to the caller")), command, message);

    /// <inheritdoc cref="SessionSender.Kick"/>
    public void Kick(PushTarget target, string reason) => Sessions.Kick(target, reason);

    private ulong RequireSession(string what) => Session.Id != 0
        ? Session.Id
        : throw new InvalidOperationException(
            $"Cannot {what}: this request came without a session (a stock MDP client, or a ZmqGame client that did not open one).");
}
