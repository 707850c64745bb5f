using System.Text;

namespace ZmqGame.Protocol;

/// <summary>
/// Whom a push, kick, join or leave reaches: users, sessions, groups or everyone, minus excluded users or sessions.
/// Immutable; combine with <see cref="Or"/> and <see cref="Except"/>.
/// </summary>
/// <example>
/// <code>
/// PushTarget.Group("room:lobby").Except(ctx.Session.UserId!)
/// PushTarget.Users("42", "43").Or(PushTarget.Group("admins"))
/// PushTarget.LoggedIn
/// </code>
/// </example>
public sealed class PushTarget
{
    private static readonly string[] NoStrings = [];
    private static readonly ulong[] NoIds = [];

    private readonly string[] _users;
    private readonly ulong[] _sessions;
    private readonly string[] _groups;
    private readonly bool _all;
    private readonly bool _loggedInOnly;
    private readonly string[] _exceptUsers;
    private readonly ulong[] _exceptSessions;

    private PushTarget(string[] users, ulong[] sessions, string[] groups, bool all, bool loggedInOnly, string[] exceptUsers, ulong[] exceptSessions)
    {
        _users = users;
        _sessions = sessions;
        _groups = groups;
        _all = all;
        _loggedInOnly = loggedInOnly;
        _exceptUsers = exceptUsers;
        _exceptSessions = exceptSessions;
    }

    /// <summary>Every session, logged in or not.</summary>
    public static PushTarget All { get; } = new(NoStrings, NoIds, NoStrings, all: true, loggedInOnly: false, NoStrings, NoIds);

    /// <summary>Every session bound to a user.</summary>
    public static PushTarget LoggedIn { get; } = new(NoStrings, NoIds, NoStrings, all: true, loggedInOnly: true, NoStrings, NoIds);

    /// <summary>The session the user is bound to (none if the user is not logged in).</summary>
    public static PushTarget User(string userId) => Users(userId);

    /// <summary>The sessions these users are bound to.</summary>
    public static PushTarget Users(params IEnumerable<string> userIds) =>
        new(CheckNames(userIds, "user id"), NoIds, NoStrings, all: false, loggedInOnly: false, NoStrings, NoIds);

    /// <summary>One session, by id.</summary>
    public static PushTarget Session(ulong sessionId) => Sessions(sessionId);

    /// <summary>Sessions by id.</summary>
    public static PushTarget Sessions(params IEnumerable<ulong> sessionIds) =>
        new(NoStrings, CheckIds(sessionIds), NoStrings, all: false, loggedInOnly: false, NoStrings, NoIds);

    /// <summary>Every session in the group.</summary>
    public static PushTarget Group(string group) => Groups(group);

    /// <summary>Every session in any of these groups.</summary>
    public static PushTarget Groups(params IEnumerable<string> groups) =>
        new(NoStrings, NoIds, CheckNames(groups, "group name"), all: false, loggedInOnly: false, NoStrings, NoIds);

    /// <summary>Everyone either target reaches (exclusions of both apply).</summary>
    public PushTarget Or(PushTarget other)
    {
        NotNull(other, nameof(other));
        var all = _all || other._all;
        var loggedInOnly = all && (!_all || _loggedInOnly) && (!other._all || other._loggedInOnly);
        return new PushTarget(
            Concat(_users, other._users), Concat(_sessions, other._sessions), Concat(_groups, other._groups),
            all, loggedInOnly, Concat(_exceptUsers, other._exceptUsers), Concat(_exceptSessions, other._exceptSessions));
    }

    /// <summary>This target without these users' sessions.</summary>
    public PushTarget Except(params IEnumerable<string> userIds) =>
        new(_users, _sessions, _groups, _all, _loggedInOnly, Concat(_exceptUsers, CheckNames(userIds, "user id")), _exceptSessions);

    /// <summary>This target without these sessions.</summary>
    public PushTarget ExceptSessions(params IEnumerable<ulong> sessionIds) =>
        new(_users, _sessions, _groups, _all, _loggedInOnly, _exceptUsers, Concat(_exceptSessions, CheckIds(sessionIds)));

    public override string ToString()
    {
        var parts = new List<string>();
        if (_all)
        {
            parts.Add(_loggedInOnly ? "logged-in sessions" : "all sessions");
        }

        if (_users.Length > 0)
        {
            parts.Add("users " + string.Join(",", _users));
        }

        if (_sessions.Length > 0)
        {
            parts.Add("sessions " + string.Join(",", _sessions));
        }

        if (_groups.Length > 0)
        {
            parts.Add("groups " + string.Join(",", _groups));
        }

        var text = parts.Count == 0 ? "nobody" : string.Join(" + ", parts);
        if (_exceptUsers.Length > 0)
        {
            text += " except users " + string.Join(",", _exceptUsers);
        }

        if (_exceptSessions.Length > 0)
        {
            text += " except sessions " + string.Join(",", _exceptSessions);
        }

        return text;
    }

    /// <summary>The target's part of an action's arguments; the caller sets the rest (cmd, reason, group).</summary>
    internal ActionArgs ToArgs() => new()
    {
        Users = _users.Length > 0 ? _users : null,
        Sessions = _sessions.Length > 0 ? _sessions : null,
        Groups = _groups.Length > 0 ? _groups : null,
        All = _all,
        LoggedIn = _loggedInOnly,
        Exclude = _exceptUsers.Length > 0 ? _exceptUsers : null,
        ExcludeSessions = _exceptSessions.Length > 0 ? _exceptSessions : null,
    };

    /// <summary>A user id or group name: 1 to 255 UTF-8 bytes.</summary>
    internal static bool IsValidName(string? name) =>
        !string.IsNullOrEmpty(name) && Encoding.UTF8.GetByteCount(name) <= SessionContext.MaxUserIdBytes;

    private static string[] CheckNames(IEnumerable<string> names, string what)
    {
        NotNull(names, nameof(names));
        var list = names.ToArray();
        foreach (var name in list)
        {
            if (!IsValidName(name))
            {
                throw new ArgumentException($"a {what} must be 1 to {SessionContext.MaxUserIdBytes} UTF-8 bytes: '{name}'");
            }
        }

        return list;
    }

    private static ulong[] CheckIds(IEnumerable<ulong> ids)
    {
        NotNull(ids, nameof(ids));
        var list = ids.ToArray();
        foreach (var id in list)
        {
            if (id == 0)
            {
                throw new ArgumentException("session id 0 means no session", nameof(ids));
            }
        }

        return list;
    }

    private static T[] Concat<T>(T[] a, T[] b) => a.Length == 0 ? b : b.Length == 0 ? a : [.. a, .. b];

    // netstandard2.1 has no ArgumentNullException.ThrowIfNull.
    private static void NotNull(object? value, string name)
    {
        if (value is null)
        {
            throw new ArgumentNullException(name);
        }
    }
}
