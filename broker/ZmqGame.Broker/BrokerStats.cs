using ZmqGame.Protocol;

namespace ZmqGame.Broker;

/// <summary>Kinds of bad input. Each is counted, and logged at most once per interval.</summary>
internal enum BadInput
{
    FrontendMalformed,
    FrontendUnknownHeader,
    FrontendUnknownCommand,
    FrontendBadRequestHeader,
    FrontendBadService,
    FrontendTooManyFrames,
    BackendMalformed,
    BackendUnknownHeader,
    BackendUnknownCommand,
    BackendDuplicateReady,
    BackendNotReady,
    BackendUnexpectedReply,
    BackendMalformedReply,
    BackendBadService,
    BackendTooManyFrames,
    ControlMalformed,
    BackendBadWorkerInfo,
    ServiceLimit,
    FrontendBadHello,
    BadTicket,
    BackendBadAction,
    ControlBadAction,

    /// <summary>A connection closed by the broker for breaking ZMTP: a bad greeting or handshake, a frame too large to skip.</summary>
    ConnectionDropped,

    /// <summary>A client's message over <c>MaxMessageSize</c>: answered <c>too large</c> (ZmqGame request) or dropped.</summary>
    FrontendTooLarge,

    /// <summary>A worker's message over <c>MaxMessageSize</c>: a REPLY's client is answered <c>too large</c>.</summary>
    BackendTooLarge,

    /// <summary>A control message over <c>MaxMessageSize</c>: answered with an error.</summary>
    ControlTooLarge,
}

/// <summary>
/// Broker counters. Written only by the broker's loop thread; read from anywhere (64-bit reads).
/// </summary>
internal sealed class BrokerStats
{
    private readonly long[] _badInput = new long[Enum.GetValues<BadInput>().Length];

    public long Requests;
    public long Replies;
    public long Dispatched;
    public long Queued;
    public long TimedOut;
    public long Busy;
    public long WorkerLost;
    public long Redispatched;
    public long WorkersRegistered;
    public long WorkersExpired;
    public long WorkersDisconnected;
    public long UnroutableClient;
    public long UnroutableWorker;
    public long MdpUnanswered;
    public long ClientHeartbeats;
    public long ClientDisconnects;
    public long MmiRequests;
    public long SessionsOpened;
    public long SessionsResumed;
    public long SessionsRefused;
    public long SessionsClientClosed;
    public long SessionsExpired;
    public long SessionsKicked;
    public long SessionsReplaced;
    public long SessionsMoved;
    public long Pushes;
    public long PushDeliveries;
    public long PushDroppedQueueFull;
    public long PushDroppedSessionEnded;
    public long Events;

    /// <summary>Events a worker answered (their REPLY is consumed by the broker; not in <see cref="Replies"/>).</summary>
    public long EventsHandled;
    public long EventsExpired;
    public long EventsDropped;
    public long ControlRefused;
    public long NoSessionRequests;
    public long Actions;

    /// <summary>Requests of a session refused by the request rate limit (answered <c>rate limited</c>).</summary>
    public long RateLimitedSession;

    /// <summary>Requests of a ZmqGame client without a session refused by the rate limit of its connection (answered).</summary>
    public long RateLimitedConnection;

    /// <summary>Requests of a stock MDP client refused by the rate limit of its connection (dropped: MDP has no status).</summary>
    public long RateLimitedMdp;

    /// <summary>Frontend connections closed at accept: more new connections a second from their IP than allowed.</summary>
    public long ConnectionsRefusedIpRate;

    /// <summary>Frontend connections closed at accept: their IP already had the most open connections allowed.</summary>
    public long ConnectionsRefusedIpCap;

    public void CountBadInput(BadInput kind) => _badInput[(int)kind]++;

    public long BadInputCount(BadInput kind) => Volatile.Read(ref _badInput[(int)kind]);

    public long BadInputTotal
    {
        get
        {
            long total = 0;
            for (var i = 0; i < _badInput.Length; i++)
            {
                total += Volatile.Read(ref _badInput[i]);
            }

            return total;
        }
    }

    /// <summary>A name → value map of every counter, for the control endpoint and logs.</summary>
    public Dictionary<string, long> Snapshot()
    {
        var map = new Dictionary<string, long>
        {
            ["requests"] = Volatile.Read(ref Requests),
            ["replies"] = Volatile.Read(ref Replies),
            ["dispatched"] = Volatile.Read(ref Dispatched),
            ["queued"] = Volatile.Read(ref Queued),
            ["timed_out"] = Volatile.Read(ref TimedOut),
            ["busy"] = Volatile.Read(ref Busy),
            ["worker_lost"] = Volatile.Read(ref WorkerLost),
            ["redispatched"] = Volatile.Read(ref Redispatched),
            ["workers_registered"] = Volatile.Read(ref WorkersRegistered),
            ["workers_expired"] = Volatile.Read(ref WorkersExpired),
            ["workers_disconnected"] = Volatile.Read(ref WorkersDisconnected),
            ["unroutable_client"] = Volatile.Read(ref UnroutableClient),
            ["unroutable_worker"] = Volatile.Read(ref UnroutableWorker),
            ["mdp_unanswered"] = Volatile.Read(ref MdpUnanswered),
            ["client_heartbeats"] = Volatile.Read(ref ClientHeartbeats),
            ["client_disconnects"] = Volatile.Read(ref ClientDisconnects),
            ["mmi_requests"] = Volatile.Read(ref MmiRequests),
            ["sessions_opened"] = Volatile.Read(ref SessionsOpened),
            ["sessions_resumed"] = Volatile.Read(ref SessionsResumed),
            ["sessions_refused"] = Volatile.Read(ref SessionsRefused),
            ["sessions_closed.client_closed"] = Volatile.Read(ref SessionsClientClosed),
            ["sessions_closed.expired"] = Volatile.Read(ref SessionsExpired),
            ["sessions_closed.kicked"] = Volatile.Read(ref SessionsKicked),
            ["sessions_closed.replaced"] = Volatile.Read(ref SessionsReplaced),
            ["sessions_moved"] = Volatile.Read(ref SessionsMoved),
            ["pushes"] = Volatile.Read(ref Pushes),
            ["push_deliveries"] = Volatile.Read(ref PushDeliveries),
            ["push_dropped.queue_full"] = Volatile.Read(ref PushDroppedQueueFull),
            ["push_dropped.session_ended"] = Volatile.Read(ref PushDroppedSessionEnded),
            ["events"] = Volatile.Read(ref Events),
            ["events_handled"] = Volatile.Read(ref EventsHandled),
            ["events_expired"] = Volatile.Read(ref EventsExpired),
            ["events_dropped"] = Volatile.Read(ref EventsDropped),
            ["control_refused"] = Volatile.Read(ref ControlRefused),
            ["no_session_requests"] = Volatile.Read(ref NoSessionRequests),
            ["actions"] = Volatile.Read(ref Actions),
            [StatsReport.RateLimitedSessionKey] = Volatile.Read(ref RateLimitedSession),
            [StatsReport.RateLimitedConnectionKey] = Volatile.Read(ref RateLimitedConnection),
            [StatsReport.RateLimitedMdpKey] = Volatile.Read(ref RateLimitedMdp),
            [StatsReport.ConnectionsRefusedIpRateKey] = Volatile.Read(ref ConnectionsRefusedIpRate),
            [StatsReport.ConnectionsRefusedIpCapKey] = Volatile.Read(ref ConnectionsRefusedIpCap),
            ["bad_input"] = BadInputTotal,
        };
        foreach (var kind in Enum.GetValues<BadInput>())
        {
            map["bad_input." + kind] = BadInputCount(kind);
        }

        return map;
    }
}
