using ZmqGame.Protocol;

namespace ZmqGame.Worker;

/// <summary>
/// The client session a request came from (or an event is about), as the broker knew it when it sent the message:
/// its id, and the user it is bound to after a login. Immutable.
/// </summary>
public sealed class SessionInfo
{
    internal SessionInfo(ulong id, string? userId, ulong flags)
    {
        Id = id;
        UserId = string.IsNullOrEmpty(userId) ? null : userId;
        Flags = flags;
    }

    /// <summary>No session: a stock MDP request, a ZmqGame client that never said HELLO, or a trigger event.</summary>
    public static SessionInfo None { get; } = new(0, null, 0);

    /// <summary>The session id (random, never 0); 0 when there is no session.</summary>
    public ulong Id { get; }

    /// <summary>The user id the session is bound to; null when not logged in.</summary>
    public string? UserId { get; }

    /// <summary>The user's data flags given at login (the game's own meaning).</summary>
    public ulong Flags { get; }

    /// <summary>True when there is a session (<see cref="Id"/> is not 0).</summary>
    public bool Exists => Id != 0;

    /// <summary>True when the session is bound to a user.</summary>
    public bool IsLoggedIn => UserId is not null;

    /// <inheritdoc/>
    public override string ToString() => Id == 0 ? "no session" : $"session {Id} user {UserId ?? "-"}";

    internal static SessionInfo From(SessionContext context) =>
        context.SessionId == 0 && context.UserId is null ? None : new SessionInfo(context.SessionId, context.UserId, context.Flags);

    internal SessionInfo WithUser(string? userId, ulong flags) => new(Id, userId, flags);
}
