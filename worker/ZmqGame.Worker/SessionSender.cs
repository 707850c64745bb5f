using ZmqGame.Protocol;
using ZmqGame.Worker.Internal;

namespace ZmqGame.Worker;

/// <summary>
/// Sends session actions (push, kick, join, leave, bind, unbind) to the broker. Fire and forget: the broker never
/// answers, and an action it cannot do (an unknown session, a full group list) is counted and logged there.
/// Thread-safe.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="WorkerApp.Sessions"/> is the app-wide sender for code outside handlers (background services,
/// timers). Its actions go out through the first connected slot of the app, so actions sent one after another
/// reach the broker in order while that slot stays connected. When no slot is connected (before the first
/// connection, during a reconnect or after a stop) an action is dropped and logged (event id 1041), not queued:
/// a push that arrives seconds late is usually worse than none. Sending before <see cref="WorkerApp.StartAsync"/>
/// throws <see cref="InvalidOperationException"/>.
/// </para>
/// <para>
/// The senders of a <see cref="RequestContext"/>, <see cref="ClientEvent"/> or <see cref="TriggerEvent"/> use the
/// slot that holds the request or event, so their actions reach the broker before its reply.
/// </para>
/// </remarks>
public sealed class SessionSender
{
    private readonly Func<WorkerEngine?> _engine;
    private readonly Slot? _slot;

    internal SessionSender(Func<WorkerEngine?> engine, Slot? slot)
    {
        _engine = engine;
        _slot = slot;
    }

    /// <summary>Pushes <paramref name="message"/> (MessagePack) with <paramref name="command"/> to every session of the target.</summary>
    /// <remarks>A target that names nobody (for example <c>PushTarget.Users()</c> of an empty list) sends nothing.</remarks>
    public void Push<T>(PushTarget target, int command, T message)
    {
        ArgumentNullException.ThrowIfNull(target);
        var args = target.ToArgs();
        if (!args.HasTarget)
        {
            return;
        }

        args.Command = command;
        Send(SessionActions.Push, args, Payload.Serialize(message));
    }

    /// <summary>Ends every session of the target: each client gets CLOSED (kicked) with <paramref name="reason"/>.</summary>
    public void Kick(PushTarget target, string reason)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(reason);
        var args = target.ToArgs();
        if (!args.HasTarget)
        {
            return;
        }

        args.Reason = reason;
        Send(SessionActions.Kick, args);
    }

    /// <summary>The sessions of the target join <paramref name="group"/> (1 to 255 UTF-8 bytes).</summary>
    public void Join(PushTarget target, string group) => Group(SessionActions.Join, target, group);

    /// <summary>The sessions of the target leave <paramref name="group"/>.</summary>
    public void Leave(PushTarget target, string group) => Group(SessionActions.Leave, target, group);

    /// <summary>
    /// Binds session <paramref name="sessionId"/> to <paramref name="userId"/> (1 to 255 UTF-8 bytes) with the user's
    /// data flags. A session bound to that user before ends with CLOSED (replaced): one login per user.
    /// </summary>
    public void Bind(ulong sessionId, string userId, ulong flags = 0)
    {
        CheckSession(sessionId);
        CheckName(userId, "user id", nameof(userId));
        Send(SessionActions.Bind, new ActionArgs { Session = sessionId, User = userId, Flags = flags });
    }

    /// <summary>Session <paramref name="sessionId"/> is no longer bound to a user.</summary>
    public void Unbind(ulong sessionId)
    {
        CheckSession(sessionId);
        Send(SessionActions.Unbind, new ActionArgs { Session = sessionId });
    }

    internal static void CheckName(string? name, string what, string parameter)
    {
        if (!PushTarget.IsValidName(name))
        {
            throw new ArgumentException($"A {what} must be 1 to {SessionContext.MaxUserIdBytes} UTF-8 bytes: '{name}'.", parameter);
        }
    }

    private static void CheckSession(ulong sessionId)
    {
        if (sessionId == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(sessionId), "session id 0 means no session");
        }
    }

    private void Group(string action, PushTarget target, string group)
    {
        ArgumentNullException.ThrowIfNull(target);
        CheckName(group, "group name", nameof(group));
        var args = target.ToArgs();
        if (!args.HasTarget)
        {
            return;
        }

        args.Group = group;
        Send(action, args);
    }

    private void Send(string action, ActionArgs args, byte[]? payload = null)
    {
        var engine = _engine() ?? throw new InvalidOperationException("Session actions can be sent once the worker app has started.");
        engine.PostAction(_slot, action, args.Serialize(), payload);
    }
}
