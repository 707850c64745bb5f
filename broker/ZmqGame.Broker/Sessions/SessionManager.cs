using Microsoft.Extensions.Logging;
using ZmqGame.Protocol;

namespace ZmqGame.Broker.Sessions;

/// <summary>
/// Client sessions, free of sockets: the session of each frontend connection, user bindings (one session per user),
/// groups, expiry, resume tickets, per-session outbound queues, and the session actions of workers and the trigger.
/// Runs on the broker's loop thread only.
/// </summary>
/// <remarks>
/// A façade over the parts that hold the state: <see cref="SessionRegistry"/> (sessions by id, connection, user and
/// activity), <see cref="GroupIndex"/>, <see cref="OutboundQueues"/>, <see cref="SessionEventQueue"/> (events to
/// workers), <see cref="SessionTombstones"/> and <see cref="TargetResolver"/>. Its members are split by role:
/// client messages (<c>SessionManager.ClientMessages.cs</c>), actions (<c>SessionManager.Actions.cs</c>) and the
/// lifecycle of a session (<c>SessionManager.Lifecycle.cs</c>).
/// </remarks>
internal sealed partial class SessionManager
{
    private readonly BrokerOptions _options;
    private readonly IClientOutput _output;
    private readonly BrokerStats _stats;
    private readonly BadInputLog _badInput;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly byte[] _key;
    private readonly SessionRegistry _registry;
    private readonly GroupIndex _groups;
    private readonly OutboundQueues _outbound;
    private readonly SessionEventQueue _events;
    private readonly Dispatcher _dispatcher;
    private readonly SessionTombstones _ended = new();
    private readonly TargetResolver _targets;
    private readonly List<Session> _scratch = [];
    private readonly long _timeoutTicks;
    private readonly long _timeoutMs;

    public SessionManager(BrokerOptions options, IClientOutput output, Dispatcher dispatcher, RequestPool pool, BrokerStats stats, BadInputLog badInput, ILogger logger, TimeProvider time, byte[] key)
    {
        _options = options;
        _output = output;
        _stats = stats;
        _badInput = badInput;
        _logger = logger;
        _time = time;
        _key = key;
        _registry = new SessionRegistry(time);
        _groups = new GroupIndex(options.MaxGroupsPerSession);
        _outbound = new OutboundQueues(output, stats, options.SessionQueueLimit);
        _events = new SessionEventQueue(dispatcher, pool);
        _dispatcher = dispatcher;
        _targets = new TargetResolver(_registry, _groups);
        _timeoutTicks = (long)(options.SessionTimeout.TotalSeconds * time.TimestampFrequency);
        _timeoutMs = (long)options.SessionTimeout.TotalMilliseconds;
    }

    public int Count => _registry.Count;

    public int LoggedIn => _registry.LoggedIn;

    public int Detached => _registry.Detached;

    public int GroupCount => _groups.Count;

    public int Backlogged => _outbound.Backlogged;

    public bool HasPendingEvents => _events.HasPending;

    /// <summary>Every live session, in no particular order (the admin console's list).</summary>
    public Dictionary<ulong, Session>.ValueCollection All => _registry.All;

    public Session? ById(ulong id) => _registry.TryGetById(id, out var session) ? session : null;

    public Session? ByUser(string user) => _registry.TryGetByUser(user, out var session) ? session : null;

    public int MembersOf(string group) => _groups.MembersOf(group);

    /// <summary>The session on this connection, if any, marked as heard from now.</summary>
    public Session? Touch(ReadOnlySpan<byte> identity)
    {
        if (!_registry.TryGetByIdentity(identity, out var session))
        {
            return null;
        }

        _registry.Heard(session);
        return session;
    }

    /// <summary>Hands the events queued by the last operations to the dispatcher (outside any dispatcher call).</summary>
    public void FlushEvents() => _events.Flush();

    /// <summary>An event about <paramref name="session"/> was answered, expired or dropped.</summary>
    public void EventDone(Session session, SessionEventType type) => _events.Done(session, type);

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();
}
