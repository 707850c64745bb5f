namespace ZmqGame.Worker.Internal;

/// <summary>
/// The unit of concurrency of one slot, shared by its links: one <see cref="Slot"/> (an MDP worker connection) per
/// broker. Whichever broker sends a request, the slot runs one request or event at a time: the link that takes it while
/// the slot is free holds the credit until its handler returns, and the slot's other links tell their brokers "paused".
/// A request that reaches another link meanwhile (it crossed "paused" on the wire) waits here and runs next; it is
/// never run beside the current one and never dropped. The other links say "paused" only once the run has lasted
/// <see cref="PauseAfter"/>: a request that ends sooner costs its other brokers no message at all. Touched only by the
/// I/O thread (but for the pause timer's callback, which posts to it).
/// </summary>
internal sealed class SlotCredit : IDisposable
{
    /// <summary>
    /// How long a run lasts before the slot's other links say "paused". A broker may send such a link one request
    /// meanwhile, which waits (in <see cref="Waiting"/>) at most this long plus the rest of the current run; saying
    /// "paused" and "ready" around every short request would cost each other broker two messages per request.
    /// </summary>
    public static readonly TimeSpan PauseAfter = TimeSpan.FromMilliseconds(1);

    private Timer? _pauseTimer;

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

    /// <summary>A new run begins: with several links, arms the pause timer, whose <paramref name="due"/> runs on the timer thread.</summary>
    public void BeginRun(Action<SlotCredit> due)
    {
        if (!Shared)
        {
            return;
        }

        _pauseTimer ??= new Timer(static state => ((Action)state!)(), (Action)(() => due(this)), Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _pauseTimer.Change(PauseAfter, Timeout.InfiniteTimeSpan);
    }

    public void Dispose() => _pauseTimer?.Dispose();
}
