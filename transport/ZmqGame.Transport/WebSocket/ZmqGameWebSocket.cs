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
/// </summary>
public static class ZmqGameWebSocket
{
    /// <summary>The subprotocol offered: bare ZWS 2.0, the only form a browser can offer (no '/' in a subprotocol).</summary>
    public const string SubProtocol = "ZWS2.0";

    private static readonly List<WebSocketConnectionLoop> PumpedLoops = [];
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
    /// Runs one turn of every pumped connection loop, on the calling thread: what the bridge received, what the client
    /// asked for, and the loop's tick when due. Call it once a frame (from <c>Update</c>); without <see cref="Pumped"/>
    /// it does nothing.
    /// </summary>
    public static void Pump()
    {
        WebSocketConnectionLoop[] loops;
        lock (PumpedLoops)
        {
            if (PumpedLoops.Count == 0)
            {
                return;
            }

            loops = [.. PumpedLoops];
        }

        foreach (var loop in loops)
        {
            loop.PumpTurn();
        }
    }

    internal static void AddPumped(WebSocketConnectionLoop loop)
    {
        lock (PumpedLoops)
        {
            PumpedLoops.Add(loop);
        }
    }

    internal static void RemovePumped(WebSocketConnectionLoop loop)
    {
        lock (PumpedLoops)
        {
            PumpedLoops.Remove(loop);
        }
    }
}
