using System.Collections.Concurrent;

namespace ZmqGame.Transport.WebSocket;

/// <summary>
/// How ZmqGame's clients reach a broker's WebSocket frontend (<c>ws://</c> and <c>wss://</c> endpoints, ZWS 2.0 with the
/// <c>ZWS2.0</c> subprotocol): which <see cref="Bridge"/> opens the sockets, and whether the connection loops run on
/// threads of their own or in <see cref="Pump"/>. Set both before the first client connects.
/// <para>
/// In a Unity WebGL build there are no threads: the package's WebGL bridge sets <see cref="Pumped"/>, and a script calls
/// <see cref="Pump"/> from <c>Update</c> on the main thread; each call runs one turn of every client's connection loop
/// (the browser's socket events queued since the last turn, the client's own work, its heartbeat tick).
/// </para>
/// <para>
/// A client created while <see cref="Pumped"/> is set needs no thread at all: its timers (heartbeat tick, request
/// deadlines, the connect timeout) fire in <see cref="Pump"/>, its reconnect loop and backoff are checked there, and
/// its session events, push handlers and push streams run there, after the connection loops' turns.
/// </para>
/// </summary>
public static class ZmqGameWebSocket
{
    /// <summary>The subprotocol offered: bare ZWS 2.0, the only form a browser can offer (no '/' in a subprotocol).</summary>
    public const string SubProtocol = "ZWS2.0";

    private static readonly List<IPumped> PumpedLoops = [];
    private static readonly ConcurrentQueue<Action> Posted = new();
    private static IWebSocketBridge bridge = new ClientWebSocketBridge();

    /// <summary>Opens the WebSockets. Default: .NET's <c>ClientWebSocket</c> (the editor, desktop and mobile players, .NET).</summary>
    public static IWebSocketBridge Bridge
    {
        get => Volatile.Read(ref bridge);
        set => Volatile.Write(ref bridge, value ?? throw new ArgumentNullException(nameof(value)));
    }

    /// <summary>
    /// False (default): each client's WebSocket connection loop runs on a thread of its own. True: no thread; the loops
    /// run when <see cref="Pump"/> is called (WebGL).
    /// </summary>
    public static bool Pumped { get; set; }

    /// <summary>
    /// Runs, on the calling thread: the pumped clients' timers that are due; one turn of every pumped connection loop
    /// (what the bridge received, what the client asked for, the loop's tick when due) and of every pumped reconnect loop;
    /// then the session events and push deliveries queued so far. Call it once a frame (from <c>Update</c>); without
    /// <see cref="Pumped"/> it does nothing.
    /// </summary>
    public static void Pump()
    {
        // No context while pumping: the client's own continuations (ConfigureAwait(false)) then run right here instead
        // of going to the thread pool, and the caller's (awaits on the player's context) are posted to that context.
        var context = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(null);
        try
        {
            PumpOnce();
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(context);
        }
    }

    /// <summary>Runs <paramref name="action"/> in the next <see cref="Pump"/>, after the loops' turns (it must not throw).</summary>
    internal static void Post(Action action) => Posted.Enqueue(action);

    private static void PumpOnce()
    {
        PumpTime.Instance.FireDue();

        IPumped[] loops;
        lock (PumpedLoops)
        {
            loops = PumpedLoops.Count == 0 ? [] : [.. PumpedLoops];
        }

        foreach (var loop in loops)
        {
            loop.PumpTurn();
        }

        // What was queued before this point; what these queue in turn waits for the next pump.
        for (var left = Posted.Count; left > 0 && Posted.TryDequeue(out var action); left--)
        {
            action();
        }
    }

    internal static void AddPumped(IPumped loop)
    {
        lock (PumpedLoops)
        {
            PumpedLoops.Add(loop);
        }
    }

    internal static void RemovePumped(IPumped loop)
    {
        lock (PumpedLoops)
        {
            PumpedLoops.Remove(loop);
        }
    }
}
