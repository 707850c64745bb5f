using ZmqGame.Protocol;

namespace ZmqGame.Broker.Sessions;

/// <summary>
/// Turns an action's target (sessions, users, groups or all, minus excluded users and sessions) into the sessions it
/// names, each once, without allocating: sessions are de-duplicated with a per-call mark (<see cref="Session.Mark"/>)
/// and collected in a list reused from call to call. Runs on the broker's loop thread only.
/// </summary>
internal sealed class TargetResolver(SessionRegistry registry, GroupIndex groups)
{
    private readonly List<Session> _targets = [];
    private int _epoch;

    /// <summary>The sessions an action's target names, each once, without the excluded ones; valid until the next call.</summary>
    public List<Session> Resolve(ActionArgs args)
    {
        _targets.Clear();
        var mark = ++_epoch;
        foreach (var user in args.Exclude ?? [])
        {
            if (user is not null && registry.TryGetByUser(user, out var s))
            {
                s.Mark = mark;
            }
        }

        foreach (var id in args.ExcludeSessions ?? [])
        {
            if (registry.TryGetById(id, out var s))
            {
                s.Mark = mark;
            }
        }

        if (args.All)
        {
            foreach (var s in registry.All)
            {
                if (!args.LoggedIn || s.UserId is not null)
                {
                    AddTarget(s, mark);
                }
            }

            return _targets;
        }

        foreach (var id in args.Sessions ?? [])
        {
            if (registry.TryGetById(id, out var s))
            {
                AddTarget(s, mark);
            }
        }

        foreach (var user in args.Users ?? [])
        {
            if (user is not null && registry.TryGetByUser(user, out var s))
            {
                AddTarget(s, mark);
            }
        }

        foreach (var group in args.Groups ?? [])
        {
            if (group is not null && groups.TryGetMembers(group, out var members))
            {
                foreach (var s in members)
                {
                    AddTarget(s, mark);
                }
            }
        }

        return _targets;
    }

    private void AddTarget(Session session, int mark)
    {
        if (session.Mark != mark)
        {
            session.Mark = mark;
            _targets.Add(session);
        }
    }
}
