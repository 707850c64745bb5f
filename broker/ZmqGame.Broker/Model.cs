using System.Text;
using ZmqGame.Protocol;
using ZmqGame.Transport;

namespace ZmqGame.Broker;

/// <summary>Which frontend protocol a request came in with; decides how its reply and errors are framed.</summary>
internal enum ClientKind : byte
{
    /// <summary>Stock Majordomo client ("MDPC01"): gets bodies only, never a status.</summary>
    Mdp,

    /// <summary>ZmqGame client ("ZGC01"): every request ends in a reply header with a status.</summary>
    ZmqGame,

    /// <summary>Not a client request: a session or trigger event for a ZmqGame worker; its reply is consumed by the broker.</summary>
    Event,
}

/// <summary>
/// A client request between its arrival and its reply: waiting in a service queue, or held by a
/// worker. Pooled; the body frames are owned by the transport and moved to the worker when dispatched.
/// </summary>
internal sealed class PendingRequest
{
    public const int MaxIdentity = 255;

    private readonly byte[] _clientId = new byte[MaxIdentity];

    public int ClientIdLength { get; private set; }

    public ReadOnlySpan<byte> ClientId => _clientId.AsSpan(0, ClientIdLength);

    public ClientKind Kind { get; set; }

    public ulong RequestId { get; set; }

    /// <summary>Command id of a ZmqGame request (from its header); 0 for stock MDP requests.</summary>
    public int Command { get; set; }

    /// <summary>Times this request was handed back by a worker and dispatched again.</summary>
    public int Redispatches { get; set; }

    /// <summary>Timestamp (TimeProvider ticks) after which a queued request is answered <c>timeout</c>.</summary>
    public long Deadline { get; set; }

    /// <summary>Timestamp (TimeProvider ticks) at which the request reached its service (its queue wait starts).</summary>
    public long ArrivedAt { get; set; }

    public Service? Service { get; set; }

    /// <summary>The client's session when it has one (ZmqGame requests), or the session an event is about.</summary>
    public Sessions.Session? Session { get; set; }

    /// <summary>For <see cref="ClientKind.Event"/>: what the event is.</summary>
    public SessionEventType EventType { get; set; }

    /// <summary>Body frames, owned by the transport until sent or released.</summary>
    public Frame[] Body { get; } = new Frame[FrameBuffer.MaxFrames];

    public int BodyCount { get; set; }

    public void SetClientId(ReadOnlySpan<byte> id)
    {
        id.CopyTo(_clientId);
        ClientIdLength = id.Length;
    }

    public void Reset()
    {
        ClientIdLength = 0;
        Kind = ClientKind.Mdp;
        RequestId = 0;
        Command = 0;
        Redispatches = 0;
        Deadline = 0;
        ArrivedAt = 0;
        Service = null;
        Session = null;
        EventType = 0;
        BodyCount = 0;
    }
}

/// <summary>A worker pool: the idle workers of one service (least recently used first) and its waiting requests.</summary>
internal sealed class Service
{
    public Service(byte[] name)
    {
        Name = name;
        NameText = Encoding.UTF8.GetString(name);
    }

    public byte[] Name { get; }

    public string NameText { get; }

    /// <summary>Idle workers, the one idle longest first.</summary>
    public LinkedList<Worker> Idle { get; } = new();

    public Queue<PendingRequest> Waiting { get; } = new();

    /// <summary>Requests handed back by a departing worker: served before <see cref="Waiting"/>, never refused as busy.</summary>
    public Queue<PendingRequest> Retry { get; } = new();

    public int WaitingCount => Waiting.Count + Retry.Count + Events.Count;

    /// <summary>Events waiting for an idle ZmqGame worker: served after <see cref="Retry"/> and before <see cref="Waiting"/>.</summary>
    public Queue<PendingRequest> Events { get; } = new();

    /// <summary>Earliest deadline among <see cref="Waiting"/>; long.MaxValue when none.</summary>
    public long EarliestDeadline { get; set; } = long.MaxValue;

    public int WorkerCount { get; set; }

    /// <summary>Client requests for this service that reached the dispatcher (its share of the <c>requests</c> counter).</summary>
    public long Requests { get; set; }

    /// <summary>Workers' REPLY messages to this service's client requests (its share of the <c>replies</c> counter).</summary>
    public long Replies { get; set; }

    /// <summary>How this service's client requests ended, indexed by <see cref="Status"/> (loop thread only; <c>zmqgame_replies_total</c>).</summary>
    public long[] Outcomes { get; } = new long[StatusCount];

    /// <summary>Entries of <see cref="Outcomes"/>: one per <see cref="Status"/> value.</summary>
    public static readonly int StatusCount = (int)Enum.GetValues<Status>().Max() + 1;

    /// <summary>Counts how one of this service's client requests ended (no allocation, no lock).</summary>
    public void CountOutcome(Status status)
    {
        if ((int)status < Outcomes.Length)
        {
            Outcomes[(int)status]++;
        }
    }
}

internal enum WorkerState : byte
{
    Idle,
    Busy,
}

/// <summary>One registered MDP worker (one DEALER socket on the backend).</summary>
internal sealed class Worker
{
    public Worker(byte[] identity, Service service, WorkerInfo? info, long registeredAt)
    {
        Identity = identity;
        Service = service;
        Info = info;
        RegisteredAt = registeredAt;
        IdleNode = new LinkedListNode<Worker>(this);
    }

    /// <summary>What a ZmqGame worker declared in READY; null for a stock MDP worker.</summary>
    public WorkerInfo? Info { get; }

    /// <summary>Timestamp of its READY.</summary>
    public long RegisteredAt { get; }

    public byte[] Identity { get; }

    public Service Service { get; }

    public WorkerState State { get; set; }

    /// <summary>The worker said it is stopping: it gets no new request; it finishes, replies and leaves.</summary>
    public bool Draining { get; set; }

    /// <summary>
    /// An operator drained it (admin console): like <see cref="Draining"/> it takes nothing new and finishes what it
    /// holds, but it stays registered (shown as draining) until it stops itself or falls silent. It is not told
    /// DISCONNECT, which would make it reconnect as a fresh worker.
    /// </summary>
    public bool HeldOut { get; set; }

    /// <summary>
    /// The worker said "paused" (its slot runs a request of another broker): it gets no new request until it says
    /// "ready", and a REPLY does not make it idle. Still registered; its liveness still applies.
    /// </summary>
    public bool Paused { get; set; }

    public LinkedListNode<Worker> IdleNode { get; }

    /// <summary>The request this worker holds while busy.</summary>
    public PendingRequest? Current { get; set; }

    /// <summary>Timestamp after which a silent worker is removed.</summary>
    public long ExpiresAt { get; set; }

    /// <summary>Timestamp at which the broker sends a heartbeat if it has sent nothing else.</summary>
    public long NextHeartbeatAt { get; set; }

    public long RequestsServed { get; set; }
}
