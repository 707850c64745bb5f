namespace ZmqGame.Broker.WebSocket;

/// <summary>
/// The WebSocket frontend (<c>ws://</c>) served entirely in the broker's loop, on the own transport: the listening socket
/// and every connection (<see cref="WebSocketLoopConnection"/>) sit on the loop's epoll as the TCP frontend's do, and a
/// connection's messages reach the <see cref="WebSocketRouter"/> by a direct call, its output leaves in one write per
/// turn. Kestrel (<see cref="WebSocketListener"/>) stays for <c>wss://</c> and NetMQ mode. Hand-written HTTP and RFC 6455
/// rather than ASP.NET Core's: the frontend must share the broker's thread, and Kestrel's thread-pool hops per frame
/// (a receive task, a send task and a queue per connection) were measured to cost several times the TCP frontend's
/// CPU per request and per idle heartbeat (docs/performance.md, "WebSocket frontend"). Every tick it closes what
/// waited too long (a request head, a ZWS handshake, a close handshake) and reads again the connections whose
/// rate-limit pause is over. Loop thread only, once constructed.
/// </summary>
internal sealed class WebSocketLoopServer : IDisposable
{
    /// <summary>How long a closing connection waits for the peer's close frame.</summary>
    public static readonly TimeSpan CloseWait = TimeSpan.FromSeconds(2);

    /// <summary>Bytes read from a connection per turn (at most).</summary>
    private const int ReadSize = 64 * 1024;

    private readonly LoopListener _listener;
    private readonly HashSet<WebSocketLoopConnection> _connections = [];
    private readonly List<WebSocketLoopConnection> _timed = [];
    private readonly List<WebSocketLoopConnection> _paused = [];
    private bool _disposed;

    /// <param name="loop">The broker's loop (not yet running, or this is its thread).</param>
    /// <param name="url">The <c>ws://</c> URL to serve.</param>
    /// <param name="router">The WebSocket frontend's router.</param>
    /// <param name="backlog">The listen backlog.</param>
    /// <param name="onAcceptFailed">Accepting failed with this errno (out of descriptors).</param>
    /// <exception cref="System.Net.Sockets.SocketException">The address cannot be bound.</exception>
    public WebSocketLoopServer(EventLoop loop, WebSocketUrl url, WebSocketRouter router, int backlog, Action<int> onAcceptFailed)
    {
        Loop = loop;
        Router = router;
        Path = url.Path;
        var limit = router.MaxMessageSize <= 0 ? ZmtpStream.MaxUnit : Math.Min(router.MaxMessageSize, ZmtpStream.MaxUnit);
        Limit = limit;
        KeepLimit = (int)limit + 1;
        _listener = new LoopListener(loop, url.Address, url.Port, backlog, Accept, onAcceptFailed);
        Endpoint = url.Connectable(_listener.Port);
        loop.AddTick(Tick);
    }

    /// <summary>Whether the loop serves <paramref name="url"/>: <c>ws://</c> on the own transport (Linux epoll, not <c>ZMQGAME_TRANSPORT=netmq</c>).</summary>
    public static bool Serves(WebSocketUrl url) => !url.Secure && Native.Supported && !TransportChoice.NetMqForced;

    /// <summary>The URL clients connect to (a port 0 filled in, every address shown as loopback).</summary>
    public string Endpoint { get; }

    internal EventLoop Loop { get; }

    internal WebSocketRouter Router { get; }

    /// <summary>The path upgrades are taken on.</summary>
    internal string Path { get; }

    /// <summary>The message size limit (frame bodies together); 0 configured: <see cref="ZmtpStream.MaxUnit"/>, as on TCP.</summary>
    internal long Limit { get; }

    /// <summary>Most bytes of one WebSocket message kept (its flags byte and the size limit); a larger one is only counted.</summary>
    internal int KeepLimit { get; }

    /// <summary>Scratch for reads, shared by the connections.</summary>
    internal byte[] ReadBuffer { get; } = new byte[ReadSize];

    /// <summary>Connections open now (upgraded or not).</summary>
    internal int Connections => _connections.Count;

    /// <summary>Watches <paramref name="connection"/>'s <see cref="WebSocketLoopConnection.Deadline"/>.</summary>
    internal void Timed(WebSocketLoopConnection connection)
    {
        if (!connection.Timed)
        {
            connection.Timed = true;
            _timed.Add(connection);
        }
    }

    /// <summary>Reads <paramref name="connection"/> again once its <see cref="WebSocketLoopConnection.ResumeAt"/> has come.</summary>
    internal void Paused(WebSocketLoopConnection connection) => _paused.Add(connection);

    /// <summary>A connection closed.</summary>
    internal void Closed(WebSocketLoopConnection connection)
    {
        _connections.Remove(connection);
        if (connection.Admitted && !_disposed)
        {
            Router.AcceptFilter?.Closed(connection.Address);
        }
    }

    /// <summary>Stops listening and closes every connection at once. After the loop stopped (or on its thread).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _listener.Dispose();
        foreach (var connection in _connections.ToArray())
        {
            connection.Abort();
        }
    }

    private void Accept(int fd)
    {
        Native.TryGetPeerAddress(fd, out var address);
        var connection = new WebSocketLoopConnection(this, fd, address);
        try
        {
            connection.Start();
        }
        catch (IOException)
        {
            Native.Close(fd);
            return;
        }

        _connections.Add(connection);
        Timed(connection);
    }

    private void Tick()
    {
        var now = Router.Time.GetTimestamp();
        for (var i = _timed.Count - 1; i >= 0; i--)
        {
            var connection = _timed[i];
            if (connection.IsClosed || connection.Deadline == 0)
            {
                connection.Timed = false;
                RemoveAt(_timed, i);
            }
            else if (connection.Deadline <= now)
            {
                connection.Timed = false;
                RemoveAt(_timed, i);
                connection.OnDeadline();
            }
        }

        for (var i = _paused.Count - 1; i >= 0; i--)
        {
            var connection = _paused[i];
            if (connection.IsClosed || connection.ResumeAt <= now)
            {
                connection.ResumeReading();
                RemoveAt(_paused, i);
            }
        }
    }

    private static void RemoveAt(List<WebSocketLoopConnection> list, int i)
    {
        list[i] = list[^1];
        list.RemoveAt(list.Count - 1);
    }
}
