using System.Diagnostics.CodeAnalysis;

namespace ZmqGame.Broker.Sessions;

/// <summary>
/// The indexes of live sessions: by session id, by the connection (routing identity) a session is on, by the user it
/// is bound to, and by when its client was last heard from (oldest first, for expiry). Holds no policy: which session
/// ends when two claim one connection or one user is the caller's decision. Runs on the broker's loop thread only.
/// </summary>
/// <remarks>
/// Invariants: every indexed session is in <c>by id</c> and in the activity list; it is in <c>by identity</c> under
/// <see cref="Session.Identity"/> exactly while that is set; <c>by user</c> maps a user to at most one session.
/// </remarks>
internal sealed class SessionRegistry
{
    private readonly TimeProvider _time;
    private readonly Dictionary<ulong, Session> _byId = [];
    private readonly Dictionary<byte[], Session> _byIdentity = new(ByteKeyComparer.Instance);
    private readonly Dictionary<byte[], Session>.AlternateLookup<ReadOnlySpan<byte>> _byIdentitySpan;
    private readonly Dictionary<string, Session> _byUser = new(StringComparer.Ordinal);
    private readonly LinkedList<Session> _byActivity = new();

    public SessionRegistry(TimeProvider time)
    {
        _time = time;
        _byIdentitySpan = _byIdentity.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    /// <summary>Called when a user is bound to a session (the session) or no longer bound to any (null).</summary>
    public Action<string, Session?>? UserChanged { get; set; }

    /// <summary>Every user binding.</summary>
    public IEnumerable<KeyValuePair<string, Session>> Users => _byUser;

    /// <summary>Live sessions, attached or not.</summary>
    public int Count => _byId.Count;

    /// <summary>Sessions bound to a user.</summary>
    public int LoggedIn => _byUser.Count;

    /// <summary>Sessions waiting, without a connection, for their client to resume them.</summary>
    public int Detached => _byId.Count - _byIdentity.Count;

    /// <summary>Every live session, in no particular order (a struct enumerator: iterating does not allocate).</summary>
    public Dictionary<ulong, Session>.ValueCollection All => _byId.Values;

    public bool TryGetById(ulong id, [MaybeNullWhen(false)] out Session session) => _byId.TryGetValue(id, out session);

    public bool ContainsId(ulong id) => _byId.ContainsKey(id);

    public bool TryGetByIdentity(ReadOnlySpan<byte> identity, [MaybeNullWhen(false)] out Session session) => _byIdentitySpan.TryGetValue(identity, out session);

    public bool TryGetByIdentity(byte[] identity, [MaybeNullWhen(false)] out Session session) => _byIdentity.TryGetValue(identity, out session);

    public bool TryGetByUser(string user, [MaybeNullWhen(false)] out Session session) => _byUser.TryGetValue(user, out session);

    public bool ContainsUser(string user) => _byUser.ContainsKey(user);

    /// <summary>Indexes a new session by id, heard from now, newest in the activity list; not yet on a connection.</summary>
    public void Insert(Session session)
    {
        _byId.Add(session.Id, session);
        session.LastHeard = _time.GetTimestamp();
        session.OpenedAt = session.LastHeard;
        _byActivity.AddLast(session.ActivityNode);
    }

    /// <summary>Takes the session's current connection, if any, out of the identity index (<see cref="Session.Identity"/> is left as it is).</summary>
    public void UnmapIdentity(Session session)
    {
        if (session.Identity is { } old)
        {
            _byIdentity.Remove(old);
        }
    }

    /// <summary>Puts the session on <paramref name="identity"/> (replacing whatever that identity was mapped to), heard from now.</summary>
    public void MapIdentity(Session session, byte[] identity)
    {
        session.Identity = identity;
        _byIdentity[identity] = session;
        Heard(session);
    }

    /// <summary>The session's connection is gone: it stays indexed, without one.</summary>
    public void Detach(Session session)
    {
        _byIdentity.Remove(session.Identity!);
        session.Identity = null;
    }

    /// <summary>Binds <paramref name="user"/> to <paramref name="session"/> (replacing any earlier binding of that user).</summary>
    public void BindUser(string user, Session session)
    {
        _byUser[user] = session;
        UserChanged?.Invoke(user, session);
    }

    public void UnbindUser(string user)
    {
        if (_byUser.Remove(user))
        {
            UserChanged?.Invoke(user, null);
        }
    }

    /// <summary>Marks the session as heard from now: it moves to the young end of the activity list.</summary>
    public void Heard(Session session)
    {
        session.LastHeard = _time.GetTimestamp();
        if (session.ActivityNode.List is not null && session.ActivityNode.Next is not null)
        {
            _byActivity.Remove(session.ActivityNode);
            _byActivity.AddLast(session.ActivityNode);
        }
    }

    /// <summary>The least recently heard session, when it was last heard at least <paramref name="timeoutTicks"/> before <paramref name="now"/>.</summary>
    public bool TryGetSilent(long now, long timeoutTicks, [MaybeNullWhen(false)] out Session session)
    {
        if (_byActivity.First is { } oldest && now - oldest.Value.LastHeard >= timeoutTicks)
        {
            session = oldest.Value;
            return true;
        }

        session = null;
        return false;
    }

    /// <summary>Takes the session out of every index (its user binding only if the user is still bound to it).</summary>
    public void Remove(Session session)
    {
        _byId.Remove(session.Id);
        if (session.Identity is { } identity)
        {
            _byIdentity.Remove(identity);
        }

        if (session.ActivityNode.List is not null)
        {
            _byActivity.Remove(session.ActivityNode);
        }

        if (session.UserId is { } user && _byUser.TryGetValue(user, out var bound) && bound == session)
        {
            _byUser.Remove(user);
            UserChanged?.Invoke(user, null);
        }
    }
}
