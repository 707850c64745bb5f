using System.Collections.ObjectModel;
using ZmqGame.Protocol;

namespace ZmqGame.Client;

/// <summary>
/// The client's session as the broker last described it (its latest WELCOME). Immutable: a change produces a new
/// instance, announced by <see cref="ZmqGameClient.SessionChanged"/>.
/// </summary>
public sealed class ClientSession
{
    private static readonly IReadOnlyList<string> NoGroups = new ReadOnlyCollection<string>(Array.Empty<string>());

    internal ClientSession(ulong id, string? userId, ulong flags, IReadOnlyList<string> groups, TimeSpan timeout)
    {
        Id = id;
        UserId = userId;
        Flags = flags;
        Groups = groups;
        Timeout = timeout;
    }

    /// <summary>The session id the broker chose (never 0).</summary>
    public ulong Id { get; }

    /// <summary>The user the session is bound to (set by a worker after a login); null when not logged in.</summary>
    public string? UserId { get; }

    /// <summary>True when the session is bound to a user.</summary>
    public bool IsLoggedIn => UserId is not null;

    /// <summary>The user's data flags, as the worker that bound the session set them.</summary>
    public ulong Flags { get; }

    /// <summary>The groups the session is in (pushes to a group reach it); empty when none.</summary>
    public IReadOnlyList<string> Groups { get; }

    /// <summary>The broker ends the session after this much silence from the client (the client heartbeats well within it).</summary>
    public TimeSpan Timeout { get; }

    /// <inheritdoc/>
    public override string ToString() =>
        $"session {Id} user={UserId ?? "-"} groups={string.Join(",", Groups)}";

    internal static ClientSession From(Welcome welcome) => new(
        welcome.Session,
        string.IsNullOrEmpty(welcome.User) ? null : welcome.User,
        welcome.Flags,
        welcome.Groups is { Length: > 0 } groups ? new ReadOnlyCollection<string>((string[])groups.Clone()) : NoGroups,
        TimeSpan.FromMilliseconds(welcome.TimeoutMs));
}

/// <summary>Data of <see cref="ZmqGameClient.SessionChanged"/>.</summary>
public sealed class SessionChangedEventArgs : EventArgs
{
    internal SessionChangedEventArgs(ClientSession session, bool resumed)
    {
        Session = session;
        Resumed = resumed;
    }

    /// <summary>The session as the broker now describes it.</summary>
    public ClientSession Session { get; }

    /// <summary>
    /// True when this WELCOME answered a resume (after a reconnect or a NO SESSION): the session, its user binding and
    /// its groups survived. False for a new session or an update of the current one.
    /// </summary>
    public bool Resumed { get; }
}

/// <summary>Data of <see cref="ZmqGameClient.SessionClosed"/>.</summary>
public sealed class SessionClosedEventArgs : EventArgs
{
    internal SessionClosedEventArgs(ulong sessionId, SessionCloseReason reason, string text)
    {
        SessionId = sessionId;
        Reason = reason;
        Text = text;
    }

    /// <summary>The id of the session that ended; 0 when the client held none (a resume the broker refused before it was known).</summary>
    public ulong SessionId { get; }

    /// <summary>Why it ended. After anything but a close by this client, the client has already asked for a new session, not logged in.</summary>
    public SessionCloseReason Reason { get; }

    /// <summary>The broker's text for people (for <see cref="SessionCloseReason.Kicked"/>, the kicker's reason); may be empty.</summary>
    public string Text { get; }
}
