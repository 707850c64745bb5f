namespace ZmqGame.Worker.Internal;

/// <summary>
/// The unit of concurrency of one slot, shared by its links: one <see cref="Slot"/> (an MDP worker connection) per
/// broker. Whichever broker sends a request, the slot runs one request or event at a time: the link that takes it while
/// the slot is free holds the credit until its handler returns, and the slot's other links tell their brokers "paused".
/// A request that reaches another link meanwhile (it crossed "paused" on the wire) waits here and runs next; it is
/// never run beside the current one and never dropped. Touched only by the I/O thread.
/// </summary>
internal sealed class SlotCredit
{
    /// <summary>The slot's links, one per broker, in the order of <see cref="WorkerOptions.Broker"/>.</summary>
    public Slot[] Links { get; set; } = [];

    /// <summary>True when the slot is attached to more than one broker: only then does it say "paused" and "ready".</summary>
    public bool Shared => Links.Length > 1;

    /// <summary>The link whose request or event runs now (until its handler returns, even if abandoned); null when free.</summary>
    public Slot? Holder { get; set; }

    /// <summary>The generation of <see cref="Holder"/> whose handler runs (see <see cref="Slot.Generation"/>).</summary>
    public int HolderGeneration { get; set; }

    /// <summary>Requests held by other links while the slot was taken, in arrival order: each runs after the current one.</summary>
    public List<(Slot Link, List<byte[]> Message)> Waiting { get; } = [];
}
