using System.Text;
using NetMQ;

namespace ZmqGame.Broker;

/// <summary>Which frontend protocol a request came in with; decides how its reply and errors are framed.</summary>
internal enum ClientKind : byte
{
    /// <summary>Stock Majordomo client ("MDPC01"): gets bodies only, never a status.</summary>
    Mdp,

    /// <summary>ZmqGame client ("ZGC01"): every request ends in a reply header with a status.</summary>
    ZmqGame,
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

    /// <summary>Timestamp (TimeProvider ticks) after which a queued request is answered <c>timeout</c>.</summary>
    public long Deadline { get; set; }

    public Service? Service { get; set; }

    /// <summary>Body frames, owned by the transport until sent or released.</summary>
    public Msg[] Body { get; } = new Msg[FrameBuffer.MaxFrames];

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
        Deadline = 0;
        Service = null;
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

    /// <summary>Earliest deadline among <see cref="Waiting"/>; long.MaxValue when none.</summary>
    public long EarliestDeadline { get; set; } = long.MaxValue;

    public int WorkerCount { get; set; }
}

internal enum WorkerState : byte
{
    Idle,
    Busy,
}

/// <summary>One registered MDP worker (one DEALER socket on the backend).</summary>
internal sealed class Worker
{
    public Worker(byte[] identity, Service service)
    {
        Identity = identity;
        Service = service;
        IdleNode = new LinkedListNode<Worker>(this);
    }

    public byte[] Identity { get; }

    public Service Service { get; }

    public WorkerState State { get; set; }

    public LinkedListNode<Worker> IdleNode { get; }

    /// <summary>The request this worker holds while busy.</summary>
    public PendingRequest? Current { get; set; }

    /// <summary>Timestamp after which a silent worker is removed.</summary>
    public long ExpiresAt { get; set; }

    /// <summary>Timestamp at which the broker sends a heartbeat if it has sent nothing else.</summary>
    public long NextHeartbeatAt { get; set; }

    public long RequestsServed { get; set; }
}
