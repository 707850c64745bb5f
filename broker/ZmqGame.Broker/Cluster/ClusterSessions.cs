using System.Buffers.Binary;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using ZmqGame.Broker.Sessions;
using ZmqGame.Protocol;

namespace ZmqGame.Broker.Cluster;

/// <summary>
/// The broker loop's side of the cluster (docs/cluster.md): keeps this broker's interests (the users bound here, the
/// groups with members here) subscribed, sends each worker action on once per subject its target may reach elsewhere,
/// runs what other brokers send once each (by action id), holds single login cluster-wide by the revisions of the
/// single-login records, and answers the other brokers' requests. Loop thread only; NATS is reached only through the
/// <see cref="ClusterLink"/>'s queues.
/// </summary>
internal sealed class ClusterSessions : ISessionCluster, IClusterInbox
{
    private static readonly TimeSpan RememberActions = TimeSpan.FromSeconds(30);

    private readonly ClusterLink _link;
    private readonly SessionManager _sessions;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Func<StatsReport> _localStats;
    private readonly LogThrottle _badLog;
    private readonly HashSet<ulong> _seen = [];
    private readonly Queue<(ulong Id, long Until)> _seenOrder = new();
    private readonly Dictionary<string, ulong> _localRevision = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ulong> _newerElsewhere = new(StringComparer.Ordinal);
    private readonly List<Session> _scratch = [];

    public ClusterSessions(ClusterLink link, SessionManager sessions, ILogger logger, TimeProvider time, Func<StatsReport> localStats)
    {
        _link = link;
        _sessions = sessions;
        _logger = logger;
        _time = time;
        _localStats = localStats;
        _badLog = new LogThrottle(time, TimeSpan.FromSeconds(10));
        Gathers = new ClusterGathers(link, time);
    }

    /// <summary>The control endpoint's requests to the other brokers, waiting for their answers.</summary>
    public ClusterGathers Gathers { get; }

    public ClusterLink Link => _link;

    /// <summary>Messages from NATS that were not cluster messages, or lacked what their kind needs (logged rate-limited).</summary>
    public long BadMessages { get; private set; }

    /// <summary>Actions other brokers sent that ran here.</summary>
    public long ActionsRun { get; private set; }

    /// <summary>Actions that came again through another subject (not run again).</summary>
    public long Duplicates { get; private set; }

    /// <summary>Times the link came back after losing NATS (and this broker put its single-login records again).</summary>
    public long Reconnects { get; private set; }

    /// <summary>Users bound here whose single-login record is stored in the cluster.</summary>
    public int LoginsStored => _localRevision.Count;

    /// <summary>Forgets old action ids and ends gathers whose time is up.</summary>
    public void Tick()
    {
        var now = _time.GetTimestamp();
        while (_seenOrder.TryPeek(out var oldest) && oldest.Until <= now)
        {
            _seenOrder.Dequeue();
            _seen.Remove(oldest.Id);
        }

        Gathers.Tick(now);
    }

    public void UserChanged(string user, Session? session)
    {
        _localRevision.Remove(user);
        if (session is null)
        {
            _newerElsewhere.Remove(user);
            _link.Interest(_link.Subjects.User(user), on: false);
            return;
        }

        _link.Interest(_link.Subjects.User(user), on: true);
        _link.PutLogin(user, session.Id);
    }

    public void GroupChanged(string group, bool hasMembers) => _link.Interest(_link.Subjects.Group(group), hasMembers);

    public void ActionDone(string action, ActionArgs args, byte[][] payload, bool sessionHere)
    {
        if (action is SessionActions.Bind or SessionActions.Unbind)
        {
            if (!sessionHere)
            {
                _link.Publish(_link.Subjects.All, Action(action, args, payload));
            }

            return;
        }

        if (!args.HasTarget)
        {
            return;
        }

        var body = Action(action, args, payload);
        if (args.All || args.Sessions is { Length: > 0 })
        {
            // A wide or session-id target: every broker may hold part of it.
            _link.Publish(_link.Subjects.All, body);
            return;
        }

        foreach (var user in args.Users ?? [])
        {
            // Single login: a user bound here is bound nowhere else.
            if (user is not null && _sessions.ByUser(user) is null)
            {
                _link.Publish(_link.Subjects.User(user), body);
            }
        }

        foreach (var group in args.Groups ?? [])
        {
            if (group is not null)
            {
                _link.Publish(_link.Subjects.Group(group), body);
            }
        }
    }

    public void SessionArrived(Session session) =>
        _link.Publish(_link.Subjects.All, new ClusterMessage { Kind = ClusterMessage.MovedKind, Id = NewId(), From = _link.BrokerId, Session = session.Id }.Serialize());

    public void Receive(string subject, string? replyTo, byte[] body)
    {
        var onLoop = ClusterTrace.On ? System.Diagnostics.Stopwatch.GetTimestamp() : 0;
        var message = ClusterMessage.TryParse(body);
        if (message is null)
        {
            Bad($"an unreadable message on {subject}");
            return;
        }

        if (message.From == _link.BrokerId)
        {
            return;
        }

        if (ClusterTrace.On)
        {
            ClusterTrace.Step(message.Id, ClusterTrace.OnLoop, onLoop);
        }

        switch (message.Kind)
        {
            case ClusterMessage.ActionKind:
                RunAction(message, replyTo);
                break;
            case ClusterMessage.LoginKind:
                LoggedInElsewhere(message);
                break;
            case ClusterMessage.MovedKind:
                _sessions.Forget(message.Session);
                break;
            case ClusterMessage.StatsKind when replyTo is not null:
                Reply(replyTo, message.Id, MessagePack.MessagePackSerializer.Serialize(_localStats(), Payload.Options));
                break;
            case ClusterMessage.ResultKind:
                Gathers.Answered(message);
                break;
            default:
                Bad($"a message of kind '{message.Kind}' on {subject}");
                break;
        }
    }

    public void Reconnected()
    {
        Reconnects++;
        _localRevision.Clear();
        _newerElsewhere.Clear();
        var users = 0;
        foreach (var (user, session) in _sessions.Users)
        {
            _link.PutLogin(user, session.Id);
            users++;
        }

        ClusterLog.Reconnected(_logger, users);
    }

    public void LoginStored(string user, ulong session, ulong revision)
    {
        if (_sessions.ByUser(user) is not { } bound || bound.Id != session)
        {
            return;
        }

        if (_newerElsewhere.Remove(user, out var newer) && newer > revision)
        {
            // A login elsewhere was stored after this one while this one's answer was on its way.
            _sessions.Replace(bound, user);
            return;
        }

        _localRevision[user] = revision;
        var notice = new ClusterMessage { Kind = ClusterMessage.LoginKind, Id = NewId(), From = _link.BrokerId, User = user, Session = session, Revision = revision };
        _link.Publish(_link.Subjects.User(user), notice.Serialize());
    }

    private static ulong NewId()
    {
        Span<byte> bytes = stackalloc byte[8];
        RandomNumberGenerator.Fill(bytes);
        return BinaryPrimitives.ReadUInt64LittleEndian(bytes);
    }

    /// <summary>A user bound here logged in (or resumed) on another broker.</summary>
    private void LoggedInElsewhere(ClusterMessage message)
    {
        if (message.User is not { } user || _sessions.ByUser(user) is not { } bound)
        {
            return;
        }

        if (bound.Id == message.Session)
        {
            // The same session, resumed on the other broker: it lives there now.
            _sessions.Forget(bound.Id);
            return;
        }

        if (!_localRevision.TryGetValue(user, out var mine))
        {
            // This broker's record is not stored yet: when it is, the higher revision wins (LoginStored).
            _newerElsewhere[user] = Math.Max(message.Revision, _newerElsewhere.GetValueOrDefault(user));
            return;
        }

        if (mine < message.Revision)
        {
            _sessions.Replace(bound, user);
        }
    }

    private void RunAction(ClusterMessage message, string? replyTo)
    {
        if (!Remember(message.Id))
        {
            Duplicates++;
            return;
        }

        if (message.Action is not { } action || message.Args is not { } args)
        {
            Bad("an action without its name or arguments");
            return;
        }

        ActionsRun++;
        var result = _sessions.ExecuteFromCluster(action, args, message.Payload ?? []);
        if (ClusterTrace.On)
        {
            ClusterTrace.Step(message.Id, ClusterTrace.Ran);
        }

        if (replyTo is not null)
        {
            Reply(replyTo, message.Id, result.Serialize());
        }
    }

    /// <summary>True the first time <paramref name="id"/> is seen within <see cref="RememberActions"/>.</summary>
    private bool Remember(ulong id)
    {
        if (!_seen.Add(id))
        {
            return false;
        }

        _seenOrder.Enqueue((id, _time.GetTimestamp() + (long)(RememberActions.TotalSeconds * _time.TimestampFrequency)));
        return true;
    }

    private void Reply(string replyTo, ulong id, byte[] result) =>
        _link.Publish(replyTo, new ClusterMessage { Kind = ClusterMessage.ResultKind, Id = id, From = _link.BrokerId, Result = result }.Serialize());

    private byte[] Action(string action, ActionArgs args, byte[][] payload) => Action(action, args, payload, out _);

    /// <summary>An action message with a new id (remembered, so it does not run here again when NATS brings it back).</summary>
    private byte[] Action(string action, ActionArgs args, byte[][] payload, out ulong id)
    {
        id = NewId();
        Remember(id);
        return new ClusterMessage { Kind = ClusterMessage.ActionKind, Id = id, From = _link.BrokerId, Action = action, Args = args, Payload = payload }.Serialize();
    }

    private void Bad(string what)
    {
        BadMessages++;
        if (_badLog.ShouldLog(_time.GetTimestamp(), out _))
        {
            ClusterLog.BadMessage(_logger, what, BadMessages);
        }
    }

    /// <summary>Sends a trigger's action to every other broker, answering with the cluster's sum when they have answered.</summary>
    public void ActionForAll(string action, ActionArgs args, byte[][] payload, ActionResult local, Action<ActionResult> done)
    {
        var body = Action(action, args, payload, out var id);
        if (ClusterTrace.On)
        {
            ClusterTrace.Step(id, ClusterTrace.Sent);
        }

        Gathers.Start(id, _link.Subjects.All, body, results =>
        {
            foreach (var answer in results)
            {
                try
                {
                    var other = ActionResult.Parse(answer.Result);
                    local.Sessions += other.Sessions;
                    local.Dropped += other.Dropped;
                }
                catch (MessagePack.MessagePackSerializationException)
                {
                    Bad("an unreadable action result");
                }
            }

            done(local);
        });
    }

    /// <summary>Asks every other broker for its stats: the answer has this broker's, each other's and the total.</summary>
    public void StatsForAll(StatsReport local, Action<StatsReport> done)
    {
        var id = NewId();
        var body = new ClusterMessage { Kind = ClusterMessage.StatsKind, Id = id, From = _link.BrokerId }.Serialize();
        Gathers.Start(id, _link.Subjects.Stats, body, results =>
        {
            var cluster = new ClusterReport { Name = _link.Options.Name, Broker = _link.BrokerId };
            cluster.Brokers[_link.BrokerId] = Copy(local);
            foreach (var answer in results)
            {
                try
                {
                    if (MessagePack.MessagePackSerializer.Deserialize<StatsReport>(answer.Result, Payload.Options) is { } report)
                    {
                        cluster.Brokers[answer.From] = report;
                    }
                }
                catch (MessagePack.MessagePackSerializationException)
                {
                    Bad("an unreadable stats answer");
                }
            }

            cluster.Total = ClusterReport.Sum(cluster.Brokers.Values);
            local.Cluster = cluster;
            done(local);
        });
    }

    private static StatsReport Copy(StatsReport report) =>
        MessagePack.MessagePackSerializer.Deserialize<StatsReport>(MessagePack.MessagePackSerializer.Serialize(report, Payload.Options), Payload.Options)!;
}
