namespace ZmqGame.Transport;

/// <summary>
/// One thread that owns a program's DEALER connections to the broker: the seam the worker and the client run on.
/// Everything but <see cref="Post"/>, <see cref="Wake"/>, <see cref="Stop"/> and <see cref="IDisposable.Dispose"/>
/// runs on that thread, and so do all the handlers. <see cref="ConnectionLoop.Create"/> picks the implementation:
/// ZmqGame's own ZMTP transport (one epoll loop) where <see cref="TransportChoice.UsesOwnTransport"/> says so, NetMQ
/// (a poller thread) everywhere else.
/// </summary>
internal interface IConnectionLoop : IDisposable
{
    /// <summary>
    /// Starts the thread, named <paramref name="name"/>. Each handler is optional and runs on the thread:
    /// <paramref name="tick"/> every <paramref name="tickInterval"/> (none when either is null);
    /// <paramref name="onWake"/> after <see cref="Wake"/> (the own transport runs it on every turn of its loop, which
    /// includes every turn after a wake-up); <paramref name="onExit"/> last, once the loop has stopped.
    /// </summary>
    void Start(string name, TimeSpan? tickInterval = null, Action? tick = null, Action? onWake = null, Action? onExit = null);

    /// <summary>
    /// Runs <paramref name="action"/> on the thread. Any thread. Once disposed, the own transport throws
    /// <see cref="ObjectDisposedException"/>; on NetMQ the action is dropped and nothing runs it.
    /// </summary>
    void Post(Action action);

    /// <summary>Has the thread run its wake handler soon; wake-ups that come before it ran count as one. Any thread.</summary>
    void Wake();

    /// <summary>
    /// Has the thread run its wake handler within <paramref name="delay"/> at the latest, with no wake-up from another
    /// thread: the loop's wait is bounded by it (pumped, the first turn from then on). An alarm already set for sooner
    /// stands; one that went off is gone, so the wake handler sets the next one it needs. Loop thread only; no timer
    /// thread is involved.
    /// </summary>
    void WakeWithin(TimeSpan delay);

    /// <summary>Ends the thread (after its exit handler). Any thread; returns at once. <see cref="IDisposable.Dispose"/> still frees it.</summary>
    void Stop();

    /// <summary>
    /// A DEALER connection to <paramref name="endpoint"/>. <paramref name="onMessage"/> gets each whole message (a reused
    /// list of fresh arrays: keep the arrays, not the list); <paramref name="onLost"/> the end of the connection, with
    /// why, at most once (a connection that was made and then ended; the own transport also tells of a refused one,
    /// which NetMQ keeps retrying underneath). Throws when it cannot even start (a malformed endpoint, a host that does not resolve).
    /// </summary>
    IDealerLink Connect(string endpoint, Action<List<byte[]>> onMessage, Action<string> onLost);

    /// <summary>
    /// Lets user code run on the thread (<see cref="RunInline"/>), each item holding it at most about
    /// <paramref name="budget"/> before the loop moves to a fresh thread. Call before <see cref="Start"/>. False where
    /// the transport cannot (NetMQ): run user code elsewhere (the thread pool).
    /// </summary>
    bool EnableInline(TimeSpan budget) => false;

    /// <summary>Runs <paramref name="work"/> on the thread at the safe point of its turn (see <see cref="IInlineWork"/>). The thread only, once <see cref="EnableInline"/> said true.</summary>
    void RunInline(IInlineWork work) => throw new NotSupportedException("this transport runs no user code on its thread");
}
