using System.Diagnostics.CodeAnalysis;

namespace ZmqGame.Broker.Sessions;

/// <summary>
/// Which sessions are in which group, and which groups each session is in (<see cref="Session.Groups"/>), kept in
/// step. A group exists while it has a member. Runs on the broker's loop thread only.
/// </summary>
internal sealed class GroupIndex(int maxGroupsPerSession)
{
    private readonly Dictionary<string, HashSet<Session>> _groups = new(StringComparer.Ordinal);

    /// <summary>Called when a group gets its first member (true) or loses its last one (false).</summary>
    public Action<string, bool>? GroupChanged { get; set; }

    /// <summary>Groups with at least one member.</summary>
    public int Count => _groups.Count;

    public int MembersOf(string group) => _groups.TryGetValue(group, out var members) ? members.Count : 0;

    /// <summary>The members of <paramref name="group"/>; false when it has none.</summary>
    public bool TryGetMembers(string group, [MaybeNullWhen(false)] out HashSet<Session> members) => _groups.TryGetValue(group, out members);

    /// <summary>Adds the session to the group; false when it is in it already or in as many groups as a session may be.</summary>
    public bool Join(Session session, string group)
    {
        var groups = session.Groups ??= [];
        if (groups.Contains(group) || groups.Count >= maxGroupsPerSession)
        {
            return false;
        }

        groups.Add(group);
        if (!_groups.TryGetValue(group, out var members))
        {
            _groups[group] = members = [];
            GroupChanged?.Invoke(group, true);
        }

        members.Add(session);
        return true;
    }

    /// <summary>Takes the session out of the group; false when it was not in it.</summary>
    public bool Leave(Session session, string group)
    {
        if (session.Groups is not { } groups || !groups.Remove(group))
        {
            return false;
        }

        RemoveMember(group, session);
        return true;
    }

    /// <summary>True when the session cannot join <paramref name="group"/> because it is in as many other groups as a session may be.</summary>
    public bool IsFullFor(Session session, string group) =>
        session.Groups is { } groups && groups.Count >= maxGroupsPerSession && !groups.Contains(group);

    /// <summary>Takes an ended session out of every group's members (its own list of groups is left as it is).</summary>
    public void RemoveFromAll(Session session)
    {
        if (session.Groups is { } groups)
        {
            foreach (var group in groups)
            {
                RemoveMember(group, session);
            }
        }
    }

    private void RemoveMember(string group, Session session)
    {
        if (_groups.TryGetValue(group, out var members) && members.Remove(session) && members.Count == 0)
        {
            _groups.Remove(group);
            GroupChanged?.Invoke(group, false);
        }
    }
}
