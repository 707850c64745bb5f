using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using ZmqGame.Protocol;

namespace ZmqGame.Broker.Sessions;

/// <summary>What the session layer needs from the transport.</summary>
internal interface ISessionOutput
{
    /// <summary>Sends <c>[identity][""]["ZGC01"][command][frames…]</c>; false, with nothing sent, when the connection cannot take it now.</summary>
    bool TrySendToClient(byte[] identity, OutboundMessage message);

    /// <summary>Queues an event (connected, closed, trigger) for an idle ZmqGame worker of <paramref name="service"/>.</summary>
    void SubmitEvent(byte[] service, in EventHeader header, byte[] sessionFrame, byte[] payload, Session? session);
}

/// <summary>How the broker answers a client HEARTBEAT.</summary>
internal enum HeartbeatAnswer
{
    Heartbeat,
    NoSession,
}

/// <summary>
/// Client sessions, free of sockets: the session of each frontend connection, user bindings (one session per user),
/// groups, expiry, resume tickets, per-session outbound queues, and the session actions of workers and the trigger.
/// Runs on the broker's loop thread only.
/// </summary>
internal sealed class SessionManager
{
    private static readonly byte[] EmptyPayload = [];

    private readonly BrokerOptions _options;
    private readonly ISessionOutput _output;
    private readonly BrokerStats _stats;
    private readonly BadInputLog _badInput;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly byte[] _key;
    private readonly Dictionary<ulong, Session> _byId = [];
    private readonly Dictionary<byte[], Session> _byIdentity = new(ByteKeyComparer.Instance);
    private readonly Dictionary<byte[], Session>.AlternateLookup<ReadOnlySpan<byte>> _byIdentitySpan;
    private readonly Dictionary<string, Session> _byUser = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<Session>> _groups = new(StringComparer.Ordinal);
    private readonly LinkedList<Session> _byActivity = new();
    private readonly HashSet<Session> _backlogged = [];
    private readonly Dictionary<ulong, long> _ended = [];
    private readonly Queue<(ulong Id, long UntilMs)> _endedOrder = new();
    private readonly List<Session> _targets = [];
    private readonly List<Session> _scratch = [];
    private readonly List<(byte[] Service, EventHeader Header, byte[] SessionFrame, byte[] Payload, Session? Session)> _pendingEvents = [];
    private readonly long _timeoutTicks;
    private readonly long _timeoutMs;
    private int _epoch;

    public SessionManager(BrokerOptions options, ISessionOutput output, BrokerStats stats, BadInputLog badInput, ILogger logger, TimeProvider time, byte[] key)
    {
        _options = options;
        _output = output;
        _stats = stats;
        _badInput = badInput;
        _logger = logger;
        _time = time;
        _key = key;
        _byIdentitySpan = _byIdentity.GetAlternateLookup<ReadOnlySpan<byte>>();
        _timeoutTicks = (long)(options.SessionTimeout.TotalSeconds * time.TimestampFrequency);
        _timeoutMs = (long)options.SessionTimeout.TotalMilliseconds;
    }

    public int Count => _byId.Count;

    public int LoggedIn => _byUser.Count;

    public int Detached => _byId.Count - _byIdentity.Count;

    public int GroupCount => _groups.Count;

    public int Backlogged => _backlogged.Count;

    public Session? ById(ulong id) => _byId.GetValueOrDefault(id);

    public Session? ByUser(string user) => _byUser.GetValueOrDefault(user);

    public int MembersOf(string group) => _groups.TryGetValue(group, out var members) ? members.Count : 0;

    /// <summary>The session on this connection, if any, marked as heard from now.</summary>
    public Session? Touch(ReadOnlySpan<byte> identity)
    {
        if (!_byIdentitySpan.TryGetValue(identity, out var session))
        {
            return null;
        }

        Heard(session);
        return session;
    }

    // ------------------------------------------------------------------ client messages

    /// <summary>HELLO: a new session, or a resume from a ticket.</summary>
    public void Hello(ReadOnlySpan<byte> identity, ReadOnlySpan<byte> service, ReadOnlySpan<byte> ticket)
    {
        if (service.Length > Mdp.MaxServiceLength || service.StartsWith(Mdp.MmiPrefix))
        {
            _badInput.Report(BadInput.FrontendBadHello, identity, "HELLO with a too long or mmi.* service name");
            return;
        }

        var opened = ticket.IsEmpty ? null : SessionTicket.TryOpen(ticket, _key);
        if (_byIdentitySpan.TryGetValue(identity, out var current))
        {
            if (opened is not null && opened.SessionId == current.Id)
            {
                // The client asks again for the session it has on this connection: nothing to resume.
                Heard(current);
                SendWelcome(current, resumed: true);
                return;
            }

            End(current, SessionCloseReason.ClientClosed, "the client opened a new session");
        }

        var id = identity.ToArray();
        if (ticket.IsEmpty)
        {
            Open(id, service.ToArray());
            return;
        }
        if (opened is null)
        {
            _badInput.Report(BadInput.BadTicket, identity, "HELLO with a ticket this broker did not sign");
            Refuse(id, "session expired: the ticket is not valid here");
            return;
        }

        if (_byId.TryGetValue(opened.SessionId, out var known))
        {
            Attach(known, id);
            _stats.SessionsResumed++;

            // WELCOME first, then what waited for the client while it was away.
            SendWelcome(known, resumed: true, aheadOfQueue: true);
            Flush(known);
            return;
        }

        var nowMs = NowMs;
        if (_ended.ContainsKey(opened.SessionId) || nowMs - opened.IssuedMs > _timeoutMs * 2 || opened.IssuedMs > nowMs + 60_000)
        {
            Refuse(id, "session expired");
            return;
        }

        // A session this broker never knew, with a fresh ticket it signed: its predecessor's; carry on with it.
        if (opened.UserId is { } user && _byUser.ContainsKey(user))
        {
            Refuse(id, "session expired: the user logged in again meanwhile");
            return;
        }

        if (_byId.Count >= _options.MaxSessions)
        {
            Refuse(id, "session refused: the broker holds its maximum number of sessions");
            return;
        }

        var session = new Session(opened.SessionId, opened.Service) { Flags = opened.Flags };
        Add(session, id);
        if (opened.UserId is not null)
        {
            session.SetUser(opened.UserId);
            _byUser[opened.UserId] = session;
        }

        foreach (var group in opened.Groups)
        {
            if (PushTarget.IsValidName(group))
            {
                Join(session, group);
            }
        }

        _stats.SessionsResumed++;
        SessionLog.Resumed(_logger, session.Id, session.UserId ?? "-");
        SendWelcome(session, resumed: true);
    }

    /// <summary>CLOSE from the client.</summary>
    public void Close(ReadOnlySpan<byte> identity)
    {
        if (_byIdentitySpan.TryGetValue(identity, out var session))
        {
            End(session, SessionCloseReason.ClientClosed, "closed by the client");
        }
    }

    /// <summary>HEARTBEAT, with the session id the client believes it has (empty for none).</summary>
    public HeartbeatAnswer Heartbeat(ReadOnlySpan<byte> identity, ReadOnlySpan<byte> sessionId)
    {
        var session = Touch(identity);
        if (sessionId.IsEmpty)
        {
            return HeartbeatAnswer.Heartbeat;
        }

        if (session is null || sessionId.Length != 8 || BinaryPrimitives.ReadUInt64BigEndian(sessionId) != session.Id)
        {
            return HeartbeatAnswer.NoSession;
        }

        // A ticket at most one timeout old, from a client heard within the last timeout, is at most two timeouts old
        // when that client comes back to a restarted broker: the window such a broker accepts.
        if (NowMs - session.TicketIssuedMs > _timeoutMs)
        {
            SendWelcome(session, resumed: false);
        }

        return HeartbeatAnswer.Heartbeat;
    }

    /// <summary>The connection closed: the session waits (detached) for its client to resume, until it expires.</summary>
    public void PeerGone(ReadOnlySpan<byte> identity)
    {
        if (_byIdentitySpan.TryGetValue(identity, out var session))
        {
            _byIdentity.Remove(session.Identity!);
            session.Identity = null;
        }
    }

    /// <summary>Expires silent sessions, retries waiting outbound messages, forgets old tombstones.</summary>
    public void Tick()
    {
        var now = _time.GetTimestamp();
        while (_byActivity.First is { } oldest && now - oldest.Value.LastHeard >= _timeoutTicks)
        {
            End(oldest.Value, SessionCloseReason.Expired, "no message from the client within the session timeout");
        }

        if (_backlogged.Count > 0)
        {
            _scratch.Clear();
            _scratch.AddRange(_backlogged);
            foreach (var session in _scratch)
            {
                Flush(session);
            }
        }

        var nowMs = NowMs;
        while (_endedOrder.TryPeek(out var old) && old.UntilMs <= nowMs)
        {
            _endedOrder.Dequeue();
            _ended.Remove(old.Id);
        }
    }

    // ------------------------------------------------------------------ actions

    /// <summary>
    /// A session action from a worker (ZGW01) or the trigger (control endpoint). <paramref name="payload"/> are the
    /// frames after the arguments. Never throws for bad arguments: the result carries the error.
    /// </summary>
    public ActionResult Execute(string action, ActionArgs args, byte[][] payload, bool fromControl)
    {
        _stats.Actions++;
        switch (action)
        {
            case SessionActions.Push:
                return Push(args, payload);
            case SessionActions.Kick:
                return Kick(args);
            case SessionActions.Bind:
                return Bind(args);
            case SessionActions.Unbind:
                return Unbind(args);
            case SessionActions.Join:
            case SessionActions.Leave:
                return JoinOrLeave(args, join: action == SessionActions.Join);
            case SessionActions.WorkerEvent when fromControl:
                return WorkerEvent(args, payload);
            default:
                return Error("unknown action " + action);
        }
    }

    private ActionResult Push(ActionArgs args, byte[][] payload)
    {
        if (!args.HasTarget)
        {
            return Error("push needs a target: sessions, users, groups or all");
        }

        var frames = new byte[payload.Length + 1][];
        frames[0] = new PushHeader(args.Command).ToArray();
        payload.CopyTo(frames, 1);
        var message = new OutboundMessage(ZgClient.Push, frames);
        _stats.Pushes++;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        LastPushStartedAt = started;
        var result = new ActionResult();
        foreach (var session in Resolve(args))
        {
            if (Deliver(session, message))
            {
                _stats.PushDeliveries++;
                result.Sessions++;
            }
            else
            {
                result.Dropped++;
            }
        }

        LastPushFanOut = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        return result;
    }

    /// <summary>When the last push began (a <see cref="System.Diagnostics.Stopwatch"/> timestamp; 0 before the first).</summary>
    public long LastPushStartedAt { get; private set; }

    /// <summary>How long the last push took to hand its copies to every targeted connection (or queue).</summary>
    public TimeSpan LastPushFanOut { get; private set; }

    private ActionResult Kick(ActionArgs args)
    {
        if (!args.HasTarget)
        {
            return Error("kick needs a target: sessions, users, groups or all");
        }

        var reason = string.IsNullOrEmpty(args.Reason) ? "kicked" : args.Reason!;
        var result = new ActionResult();
        _scratch.Clear();
        _scratch.AddRange(Resolve(args));
        foreach (var session in _scratch)
        {
            End(session, SessionCloseReason.Kicked, reason);
            result.Sessions++;
        }

        return result;
    }

    private ActionResult Bind(ActionArgs args)
    {
        if (!_byId.TryGetValue(args.Session, out var session))
        {
            return Error($"no session {args.Session}");
        }

        if (!PushTarget.IsValidName(args.User))
        {
            return Error("bind needs a user id of 1 to 255 UTF-8 bytes");
        }

        var user = args.User!;
        if (_byUser.TryGetValue(user, out var older) && older != session)
        {
            End(older, SessionCloseReason.Replaced, $"user {user} logged in on another session");
        }

        if (session.UserId is { } previous && previous != user)
        {
            _byUser.Remove(previous);
        }

        session.SetUser(user);
        session.Flags = args.Flags;
        _byUser[user] = session;
        SendWelcome(session, resumed: false);
        return new ActionResult { Sessions = 1 };
    }

    private ActionResult Unbind(ActionArgs args)
    {
        if (!_byId.TryGetValue(args.Session, out var session))
        {
            return Error($"no session {args.Session}");
        }

        if (session.UserId is { } user)
        {
            _byUser.Remove(user);
            session.SetUser(null);
            session.Flags = 0;
            SendWelcome(session, resumed: false);
        }

        return new ActionResult { Sessions = 1 };
    }

    private ActionResult JoinOrLeave(ActionArgs args, bool join)
    {
        if (!PushTarget.IsValidName(args.Group))
        {
            return Error("join and leave need a group name of 1 to 255 UTF-8 bytes");
        }

        if (!args.HasTarget)
        {
            return Error("join and leave need a target: sessions, users, groups or all");
        }

        var group = args.Group!;
        var result = new ActionResult();
        _scratch.Clear();
        _scratch.AddRange(Resolve(args));
        foreach (var session in _scratch)
        {
            var changed = join ? Join(session, group) : Leave(session, group);
            if (changed)
            {
                result.Sessions++;
                SendWelcome(session, resumed: false);
            }
            else if (join && session.Groups is { } groups && groups.Count >= _options.MaxGroupsPerSession && !groups.Contains(group))
            {
                result.Dropped++;
            }
        }

        return result;
    }

    private ActionResult WorkerEvent(ActionArgs args, byte[][] payload)
    {
        if (args.Service is null || !Dispatcher.IsValidServiceName(Encoding.UTF8.GetBytes(args.Service)))
        {
            return Error("worker needs a service name of 1 to 255 bytes, not mmi.*");
        }

        if (payload.Length > 1)
        {
            return Error("worker takes one payload frame");
        }

        var sessionFrame = new SessionContext(0, 0, null).ToArray();
        _pendingEvents.Add((Encoding.UTF8.GetBytes(args.Service), new EventHeader(SessionEventType.Trigger, 0, args.Command), sessionFrame, payload.Length == 1 ? payload[0] : EmptyPayload, null));
        return new ActionResult { Sessions = 1 };
    }

    private static ActionResult Error(string text) => new() { Error = text };

    /// <summary>The sessions an action's target names, each once, without the excluded ones.</summary>
    private List<Session> Resolve(ActionArgs args)
    {
        _targets.Clear();
        var mark = ++_epoch;
        foreach (var user in args.Exclude ?? [])
        {
            if (user is not null && _byUser.TryGetValue(user, out var s))
            {
                s.Mark = mark;
            }
        }

        foreach (var id in args.ExcludeSessions ?? [])
        {
            if (_byId.TryGetValue(id, out var s))
            {
                s.Mark = mark;
            }
        }

        if (args.All)
        {
            foreach (var s in _byId.Values)
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
            if (_byId.TryGetValue(id, out var s))
            {
                AddTarget(s, mark);
            }
        }

        foreach (var user in args.Users ?? [])
        {
            if (user is not null && _byUser.TryGetValue(user, out var s))
            {
                AddTarget(s, mark);
            }
        }

        foreach (var group in args.Groups ?? [])
        {
            if (group is not null && _groups.TryGetValue(group, out var members))
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

    // ------------------------------------------------------------------ events

    /// <summary>Hands the events queued by the last operations to the dispatcher (outside any dispatcher call).</summary>
    public void FlushEvents()
    {
        if (_pendingEvents.Count == 0)
        {
            return;
        }

        // Submitting may complete events and queue more; take a copy.
        var events = _pendingEvents.ToArray();
        _pendingEvents.Clear();
        foreach (var (service, header, frame, payload, session) in events)
        {
            _output.SubmitEvent(service, header, frame, payload, session);
        }
    }

    public bool HasPendingEvents => _pendingEvents.Count > 0;

    /// <summary>An event about <paramref name="session"/> was answered, expired or dropped.</summary>
    public void EventDone(Session session, SessionEventType type)
    {
        if (type != SessionEventType.Connected)
        {
            return;
        }

        session.ConnectedEventPending = false;
        if (session.DeferredClose is { } close)
        {
            session.DeferredClose = null;
            QueueEvent(session, SessionEventType.Closed, close.Reason, close.Text);
        }
    }

    private void QueueEvent(Session session, SessionEventType type, SessionCloseReason reason, string text)
    {
        if (session.Service.Length == 0)
        {
            return;
        }

        if (type == SessionEventType.Connected)
        {
            session.ConnectedEventPending = true;
        }

        var frame = new byte[SessionContext.SizeOf(session.UserIdUtf8)];
        SessionContext.Write(frame, session.Id, session.Flags, session.UserIdUtf8);
        var payload = type == SessionEventType.Closed ? Encoding.UTF8.GetBytes(text) : EmptyPayload;
        _pendingEvents.Add((session.Service, new EventHeader(type, reason), frame, payload, session));
    }

    // ------------------------------------------------------------------ lifecycle

    private void Open(byte[] identity, byte[] service)
    {
        if (_byId.Count >= _options.MaxSessions)
        {
            Refuse(identity, "session refused: the broker holds its maximum number of sessions");
            return;
        }

        ulong id;
        do
        {
            id = RandomId();
        }
        while (id == 0 || _byId.ContainsKey(id) || _ended.ContainsKey(id));

        var session = new Session(id, service);
        Add(session, identity);
        _stats.SessionsOpened++;
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            SessionLog.Opened(_logger, id, Encoding.UTF8.GetString(service));
        }

        SendWelcome(session, resumed: false);
        QueueEvent(session, SessionEventType.Connected, 0, string.Empty);
    }

    private void Add(Session session, byte[] identity)
    {
        _byId.Add(session.Id, session);
        session.LastHeard = _time.GetTimestamp();
        _byActivity.AddLast(session.ActivityNode);
        Attach(session, identity);
    }

    private void Attach(Session session, byte[] identity)
    {
        if (session.Identity is { } old)
        {
            _byIdentity.Remove(old);
        }

        if (_byIdentity.TryGetValue(identity, out var other) && other != session)
        {
            End(other, SessionCloseReason.ClientClosed, "the client resumed another session on this connection");
        }

        session.Identity = identity;
        _byIdentity[identity] = session;
        Heard(session);
    }

    private void Heard(Session session)
    {
        session.LastHeard = _time.GetTimestamp();
        if (session.ActivityNode.List is not null && session.ActivityNode.Next is not null)
        {
            _byActivity.Remove(session.ActivityNode);
            _byActivity.AddLast(session.ActivityNode);
        }
    }

    /// <summary>Ends a session: CLOSED to its client (after what is queued), the close event to a worker, forgotten.</summary>
    private void End(Session session, SessionCloseReason reason, string text)
    {
        if (session.Ended)
        {
            return;
        }

        session.Ended = true;
        switch (reason)
        {
            case SessionCloseReason.ClientClosed:
                _stats.SessionsClientClosed++;
                break;
            case SessionCloseReason.Expired:
                _stats.SessionsExpired++;
                break;
            case SessionCloseReason.Kicked:
                _stats.SessionsKicked++;
                break;
            case SessionCloseReason.Replaced:
                _stats.SessionsReplaced++;
                break;
        }

        if (_logger.IsEnabled(LogLevel.Information))
        {
            SessionLog.Ended(_logger, session.Id, session.UserId ?? "-", reason, text);
        }

        if (session.Identity is not null)
        {
            Flush(session);
            if (!Deliver(session, Closed(reason, text)))
            {
                // Nothing more can reach it; what waits is lost with the session.
            }

            Flush(session);
        }

        _stats.PushDroppedSessionEnded += session.OutboundCount;
        session.Outbound = null;
        _backlogged.Remove(session);
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
        }

        if (session.Groups is { } groups)
        {
            foreach (var group in groups)
            {
                RemoveMember(group, session);
            }
        }

        // Longer than a ticket is accepted (two timeouts): a closed session's ticket never resumes it.
        var until = NowMs + _timeoutMs * 3;
        _ended[session.Id] = until;
        _endedOrder.Enqueue((session.Id, until));

        if (session.ConnectedEventPending)
        {
            session.DeferredClose = (reason, text);
        }
        else
        {
            QueueEvent(session, SessionEventType.Closed, reason, text);
        }
    }

    private void Refuse(byte[] identity, string text)
    {
        _stats.SessionsRefused++;
        if (!_output.TrySendToClient(identity, Closed(SessionCloseReason.Expired, text)))
        {
            _stats.UnroutableClient++;
        }
    }

    private bool Join(Session session, string group)
    {
        var groups = session.Groups ??= [];
        if (groups.Contains(group) || groups.Count >= _options.MaxGroupsPerSession)
        {
            return false;
        }

        groups.Add(group);
        if (!_groups.TryGetValue(group, out var members))
        {
            _groups[group] = members = [];
        }

        members.Add(session);
        return true;
    }

    private bool Leave(Session session, string group)
    {
        if (session.Groups is not { } groups || !groups.Remove(group))
        {
            return false;
        }

        RemoveMember(group, session);
        return true;
    }

    private void RemoveMember(string group, Session session)
    {
        if (_groups.TryGetValue(group, out var members) && members.Remove(session) && members.Count == 0)
        {
            _groups.Remove(group);
        }
    }

    // ------------------------------------------------------------------ outbound

    /// <summary>Sends now, or queues behind what waits; false when the session's queue is full (dropped, counted).</summary>
    private bool Deliver(Session session, OutboundMessage message)
    {
        if (session.OutboundCount == 0 && session.Identity is { } identity && _output.TrySendToClient(identity, message))
        {
            return true;
        }

        var queue = session.Outbound ??= new Queue<OutboundMessage>();
        if (queue.Count >= _options.SessionQueueLimit)
        {
            _stats.PushDroppedQueueFull++;
            return false;
        }

        queue.Enqueue(message);
        _backlogged.Add(session);
        return true;
    }

    private void Flush(Session session)
    {
        if (session.Outbound is not { } queue || session.Identity is not { } identity)
        {
            return;
        }

        while (queue.TryPeek(out var next) && _output.TrySendToClient(identity, next))
        {
            queue.Dequeue();
        }

        if (queue.Count == 0)
        {
            session.Outbound = null;
            _backlogged.Remove(session);
        }
    }

    private void SendWelcome(Session session, bool resumed, bool aheadOfQueue = false)
    {
        var nowMs = NowMs;
        session.TicketIssuedMs = nowMs;
        var groups = session.Groups?.ToArray() ?? [];
        var welcome = new Welcome
        {
            Session = session.Id,
            Resumed = resumed,
            TimeoutMs = (uint)Math.Min(_timeoutMs, uint.MaxValue),
            User = session.UserId,
            Flags = session.Flags,
            Groups = groups,
        };
        var ticket = new SessionTicket
        {
            SessionId = session.Id,
            IssuedMs = nowMs,
            Flags = session.Flags,
            Service = session.Service,
            UserId = session.UserId,
            Groups = groups,
        }.Sign(_key);
        var message = new OutboundMessage(ZgClient.Hello, [welcome.Serialize(), ticket]);
        if (!aheadOfQueue || session.Identity is null || !_output.TrySendToClient(session.Identity, message))
        {
            Deliver(session, message);
        }
    }

    private static OutboundMessage Closed(SessionCloseReason reason, string text) =>
        new(ZgClient.Close, [[(byte)reason], Encoding.UTF8.GetBytes(text)]);

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private static ulong RandomId()
    {
        Span<byte> bytes = stackalloc byte[8];
        RandomNumberGenerator.Fill(bytes);
        return BinaryPrimitives.ReadUInt64LittleEndian(bytes);
    }
}
