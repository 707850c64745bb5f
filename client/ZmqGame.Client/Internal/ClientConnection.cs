using Microsoft.Extensions.Logging;
using ZmqGame.Transport;

namespace ZmqGame.Client.Internal;

/// <summary>
/// The client's I/O thread and its one connection to a broker (the one its <see cref="Internal.Link"/> names). Everything but <see cref="Wake"/>,
/// <see cref="Stop"/> and <see cref="ConnectionsOpened"/> runs on that thread. Each connection gets an epoch (1, 2, …)
/// and a <see cref="Internal.Link"/> the reconnect loop watches; messages and the loss of a connection that was
/// replaced meanwhile are ignored.
/// </summary>
internal sealed class ClientConnection : IDisposable
{
    private readonly ILogger logger;
    private readonly IConnectionLoop io;
    private IDealerLink? socket;
    private long connectionsOpened;

    /// <summary>
    /// A connection loop able to reach every one of <paramref name="endpoints"/>: NetMQ when one of them needs it; on a
    /// process-wide shared loop when <paramref name="sharedLoop"/> is set and the own transport is used.
    /// </summary>
    public ClientConnection(IReadOnlyList<string> endpoints, byte[]? serverKey, ILogger logger, bool sharedLoop = false)
    {
        this.logger = logger;
        var choice = endpoints.FirstOrDefault(e => !TransportChoice.UsesOwnTransport(e, serverKey is not null)) ?? endpoints[0];
        io = ConnectionLoop.Create(choice, new DealerOptions { CurveServerKey = serverKey, Batch = 256, SharedLoop = sharedLoop }, ex => Log.PollerError(logger, ex));
    }

    /// <summary>True while a connection is open.</summary>
    public bool IsOpen => socket is not null;

    /// <summary>The broker of the current connection (the last one's after it closed; empty before the first).</summary>
    public string Endpoint { get; private set; } = string.Empty;

    /// <summary>The current connection's epoch (the last one's after it closed; 0 before the first).</summary>
    public long Epoch { get; private set; }

    /// <summary>The reconnect loop's view of the current connection; null while none is open.</summary>
    public Link? Link { get; private set; }

    /// <summary>The broker sent something on the current connection.</summary>
    public bool HeardOnLink { get; private set; }

    /// <summary>Connections opened so far. Any thread.</summary>
    public long ConnectionsOpened => Interlocked.Read(ref connectionsOpened);

    /// <summary>Starts the I/O thread: <paramref name="onWake"/> runs on it after <see cref="Wake"/>, <paramref name="onExit"/> last.</summary>
    public void Start(string name, Action onWake, Action onExit) => io.Start(name, onWake: onWake, onExit: onExit);

    /// <summary>Has the I/O thread run its wake handler soon. Any thread.</summary>
    public void Wake() => io.Wake();

    /// <summary>Has the I/O thread run its wake handler within <paramref name="delay"/> at the latest. I/O thread.</summary>
    public void WakeWithin(TimeSpan delay) => io.WakeWithin(delay);

    /// <summary>Lets callers' code run on the I/O thread (<see cref="CallerCompletion"/>); false where the transport cannot. Before <see cref="Start"/>.</summary>
    public bool EnableInline(TimeSpan budget) => io.EnableInline(budget);

    /// <summary>Runs <paramref name="work"/> at the safe point of the I/O thread's turn. I/O thread, once <see cref="EnableInline"/> said true.</summary>
    public void RunInline(IInlineWork work) => io.RunInline(work);

    /// <summary>Ends the I/O thread (after its exit handler). Any thread; returns at once.</summary>
    public void Stop() => io.Stop();

    /// <summary>
    /// Opens a connection for <paramref name="newLink"/> (the caller closed the previous one). False when it cannot be
    /// opened: <paramref name="newLink"/> has failed then. Messages and loss of this connection, while it is the
    /// current one, go to <paramref name="onMessage"/> and <paramref name="onLost"/>.
    /// </summary>
    public bool TryOpen(Link newLink, Action<List<byte[]>> onMessage, Action onLost)
    {
        IDealerLink? opened = null;
        var endpoint = newLink.Endpoint;
        try
        {
            opened = io.Connect(
                endpoint,
                frames =>
                {
                    if (ReferenceEquals(socket, opened))
                    {
                        onMessage(frames);
                    }
                },
                _ =>
                {
                    if (ReferenceEquals(socket, opened))
                    {
                        onLost();
                    }
                });
        }
        catch (Exception ex)
        {
            newLink.SetFailed(new ArgumentException($"cannot connect to \"{endpoint}\": {ex.Message}", ex));
            return false;
        }

        socket = opened;
        Endpoint = endpoint;
        Link = newLink;
        newLink.Epoch = ++Epoch;
        Interlocked.Increment(ref connectionsOpened);
        return true;
    }

    /// <summary>Queues a message without waiting; false if it cannot go (no connection, queue full).</summary>
    public bool TrySend(List<byte[]> message) => socket!.TrySend(message);

    /// <summary>The broker sent something: the first time on a connection, the reconnect loop learns it answered.</summary>
    public void Heard()
    {
        HeardOnLink = true;
        if (Link is { IsAnswered: false } answering)
        {
            answering.SetAnswered();
            Log.Connected(logger, Endpoint, answering.Epoch);
        }
    }

    /// <summary>Closes the current connection, dropping what is queued; false when none was open.</summary>
    public bool Close()
    {
        if (socket is null)
        {
            return false;
        }

        var closing = socket;
        socket = null;
        closing.Close();
        Link?.SetClosed();
        Link = null;
        HeardOnLink = false;
        return true;
    }

    public void Dispose() => io.Dispose();
}
