using ZmqGame.Protocol;

namespace ZmqGame.Broker.Sessions;

/// <summary>
/// The sessions' side of the broker cluster: actions that came from another broker (run here, not sent on again),
/// a session that moved to another broker (dropped silently), and a user who logged in on another broker (replaced).
/// </summary>
internal sealed partial class SessionManager
{
    private ISessionCluster? _cluster;
    private bool _fromCluster;

    /// <summary>The broker cluster this broker is part of, if any (set once, before the loop starts).</summary>
    public ISessionCluster? Cluster
    {
        get => _cluster;
        set
        {
            _cluster = value;
            _registry.UserChanged = value is null ? null : value.UserChanged;
            _groups.GroupChanged = value is null ? null : value.GroupChanged;
        }
    }

    /// <summary>Every user bound here, with their session.</summary>
    public IEnumerable<KeyValuePair<string, Session>> Users => _registry.Users;

    /// <summary>A session action another broker sent: run on the sessions held here, never sent on.</summary>
    public ActionResult ExecuteFromCluster(string action, ActionArgs args, byte[][] payload)
    {
        _fromCluster = true;
        try
        {
            return Execute(action, args, payload, fromControl: false);
        }
        finally
        {
            _fromCluster = false;
        }
    }

    /// <summary>The session moved to another broker: dropped here without CLOSED, close event or tombstone.</summary>
    public bool Forget(ulong sessionId)
    {
        if (!_registry.TryGetById(sessionId, out var session))
        {
            return false;
        }

        session.Ended = true;
        Drop(session);
        _stats.SessionsMoved++;
        return true;
    }

    /// <summary>The user of <paramref name="session"/> logged in on another broker: the session ends <c>replaced</c>.</summary>
    public void Replace(Session session, string user) =>
        End(session, SessionCloseReason.Replaced, $"user {user} logged in on another broker");

    private void ActionDone(string action, ActionArgs args, byte[][] payload, ActionResult result, bool fromControl)
    {
        if (_cluster is null || fromControl || _fromCluster)
        {
            return;
        }

        var sessionHere = action is not (SessionActions.Bind or SessionActions.Unbind) || _registry.ContainsId(args.Session);
        _cluster.ActionDone(action, args, payload, sessionHere && result.Error is null);
    }
}
