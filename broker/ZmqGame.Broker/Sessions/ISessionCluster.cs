using ZmqGame.Protocol;

namespace ZmqGame.Broker.Sessions;

/// <summary>
/// What the sessions tell the broker cluster (<see cref="Cluster.ClusterSessions"/>), on the loop thread: which users and
/// groups this broker holds (its interests), the worker actions it ran (to run them on the other brokers too), and
/// the sessions that came over from another broker. Absent on a broker without a cluster.
/// </summary>
internal interface ISessionCluster
{
    /// <summary><paramref name="user"/> is now bound to <paramref name="session"/> here, or (null) no longer bound here.</summary>
    void UserChanged(string user, Session? session);

    /// <summary><paramref name="group"/> got its first member here (true) or lost its last one (false).</summary>
    void GroupChanged(string group, bool hasMembers);

    /// <summary>A worker's action ran here; <paramref name="sessionHere"/>: bind and unbind found their session here.</summary>
    void ActionDone(string action, ActionArgs args, byte[][] payload, bool sessionHere);

    /// <summary>A session this broker did not hold resumed here from its ticket (it moved from another broker).</summary>
    void SessionArrived(Session session);
}
