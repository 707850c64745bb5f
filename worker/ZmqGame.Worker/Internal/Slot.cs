using Polly;
using ZmqGame.Transport;

namespace ZmqGame.Worker.Internal;

internal enum SlotState
{
    /// <summary>Connection open, READY sent (or last REPLY sent): the broker may hand it one request.</summary>
    Idle,

    /// <summary>Holds one request: its handler runs, or it waits in <see cref="SlotCredit.Waiting"/> for the slot's other link.</summary>
    Busy,

    /// <summary>No connection: waiting for the reconnect backoff.</summary>
    Down,

    /// <summary>
    /// Stopping: said HEARTBEAT "draining" and holds nothing; the connection stays open until the broker confirms with
    /// DISCONNECT. A REQUEST or event that crossed the draining message on the wire is still run (the slot turns Busy).
    /// </summary>
    Draining,

    /// <summary>DISCONNECT sent (or never to reconnect): takes nothing more.</summary>
    Stopped,
}

/// <summary>
/// One MDP worker identity: a DEALER connection to one broker, holding at most one request. A slot attached to several
/// brokers has one of these links per broker, sharing one <see cref="SlotCredit"/>. Touched only by the I/O thread.
/// </summary>
internal sealed class Slot(ServiceDefinition service, int index, string broker, SlotCredit credit, Liveness liveness)
{
    public ServiceDefinition Service { get; } = service;

    public int Index { get; } = index;

    /// <summary>The broker this link connects to.</summary>
    public string Broker { get; } = broker;

    /// <summary>The slot's one unit of concurrency, shared with its links to the other brokers.</summary>
    public SlotCredit Credit { get; } = credit;

    /// <summary>This link told its broker "paused" (the slot runs another link's request) and has not said "ready" since.</summary>
    public bool Paused { get; set; }

    public Liveness Liveness { get; } = liveness;

    public ResiliencePipeline<bool> Reconnect { get; set; } = ResiliencePipeline<bool>.Empty;

    /// <summary>The slot's connection to the broker; null while down.</summary>
    public IDealerLink? Link { get; set; }

    public SlotState State { get; set; } = SlotState.Down;

    /// <summary>Bumped whenever the held request is abandoned (reconnect, forced stop): a result of an older generation is late.</summary>
    public int Generation { get; set; }

    /// <summary>Client address frame of the held request.</summary>
    public byte[]? Client { get; set; }

    /// <summary>Request id of the held request when it is a ZmqGame request; null for a raw (stock MDP) one or an event.</summary>
    public ulong? RequestId { get; set; }

    /// <summary>True while the slot holds an event (its reply has no body).</summary>
    public bool HoldsEvent { get; set; }

    /// <summary>Session actions of the requests and events this slot runs: sent on its socket, before their reply.</summary>
    public SessionSender Sender { get; set; } = null!;

    /// <summary>Cancels <see cref="RequestContext.RequestAborted"/> of the held request.</summary>
    public CancellationTokenSource? RequestCts { get; set; }

    /// <summary>Set while a reconnect attempt waits for the first message from the broker.</summary>
    public TaskCompletionSource<bool>? ContactWaiter { get; set; }

    /// <summary>Why the last reconnect attempt failed before the broker said anything (logged once, not per attempt); null once heard.</summary>
    public string? LastFailure { get; set; }
}
