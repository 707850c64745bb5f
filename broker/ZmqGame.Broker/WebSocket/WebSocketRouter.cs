using System.Buffers.Binary;
using System.Collections.Concurrent;

namespace ZmqGame.Broker.WebSocket;

/// <summary>
/// The broker's WebSocket frontend as a ROUTER on the broker's loop. Connections served in the loop itself
/// (<see cref="WebSocketLoopConnection"/>, <c>ws://</c> on the own transport) call it directly; those on Kestrel's I/O
/// (<see cref="WebSocketConnection"/>, <c>wss://</c> and NetMQ mode), one async receive each, queue what they hear here
/// and the loop drains the queue every turn. Either way it hands each message to the frontend as the TCP routers do ([identity][frames…] in the shared
/// <see cref="FrameBuffer"/>), so the same protocols, limits and counters apply. What the loop sends is queued per
/// connection, at most <c>SendHighWatermark</c> messages: past that <see cref="TryBegin"/> refuses and the frontend
/// drops and counts the message, as for a full TCP connection. A peer's routing identity is the one its handshake asks
/// for (never starting with a zero byte, unique among WebSocket peers), else a generated one of 7 bytes (0, 'W', 'S',
/// a counter) that no TCP peer is given. The routing table and everything else here are the loop's only.
/// </summary>
internal sealed class WebSocketRouter : IRouter
{
    private readonly EventLoop _loop;
    private readonly FrameBuffer _in;
    private readonly IRouterHandler _handler;
    private readonly Action<ReadOnlySpan<byte>, string> _onRejected;
    private readonly ConcurrentQueue<ZwsInbound> _inbox = new();
    private readonly Dictionary<byte[], IZwsConnection> _peers = new(ByteKeyComparer.Instance);
    private readonly Dictionary<byte[], IZwsConnection>.AlternateLookup<ReadOnlySpan<byte>> _peersBySpan;
    private readonly HashSet<IZwsConnection> _connections = [];
    private uint _nextId = (uint)Random.Shared.Next();
    private IZwsConnection? _sending;
    private volatile bool _accepting = true;
    private volatile bool _disposed;

    /// <param name="loop">The broker's loop, which drains this router.</param>
    /// <param name="maxMessageSize">Most bytes of a message's frame bodies together; a larger one is handed on cut short and flagged.</param>
    /// <param name="highWatermark">Messages queued to one peer before <see cref="TryBegin"/> refuses.</param>
    /// <param name="handshakeTimeout">A connection that has not finished the ZWS handshake by then is closed (rejected).</param>
    /// <param name="into">Where a received message is put for <paramref name="handler"/>.</param>
    /// <param name="handler">The frontend: messages and peers whose connection closed.</param>
    /// <param name="onRejected">A connection closed for breaking ZWS 2.0 (or a request that was no ZWS 2.0 upgrade): its identity (if it had one) and why.</param>
    /// <param name="time">The broker's clock (timestamps given to <see cref="PauseReading"/>).</param>
    public WebSocketRouter(EventLoop loop, int maxMessageSize, int highWatermark, TimeSpan handshakeTimeout, FrameBuffer into,
        IRouterHandler handler, Action<ReadOnlySpan<byte>, string> onRejected, TimeProvider time)
    {
        _loop = loop;
        _in = into;
        _handler = handler;
        _onRejected = onRejected;
        MaxMessageSize = maxMessageSize;
        HighWatermark = Math.Max(1, highWatermark);
        HandshakeTimeout = handshakeTimeout;
        Time = time;
        _peersBySpan = _peers.GetAlternateLookup<ReadOnlySpan<byte>>();
        loop.AddSource(Drain);
    }

    /// <summary>The URL clients connect to, once the listener is bound (<see cref="WebSocketListener"/>).</summary>
    public string Endpoint { get; set; } = string.Empty;

    internal int MaxMessageSize { get; }

    internal int HighWatermark { get; }

    internal TimeSpan HandshakeTimeout { get; }

    internal TimeProvider Time { get; }

    /// <summary>False once the broker stopped accepting (a lame duck) or closed: new upgrades are refused. Any thread.</summary>
    internal bool Accepting => _accepting && !_disposed;

    /// <summary>Connected peers that finished the handshake. Loop thread.</summary>
    internal int Peers => _peers.Count;

    /// <summary>The per-IP connection limits (<see cref="Limits.ConnectionLimiter"/>), asked on the loop about each new request's address; null: none. Set before the listener starts.</summary>
    internal IAcceptFilter? AcceptFilter { get; set; }

    /// <summary>Asks the <see cref="AcceptFilter"/>, on the loop, whether a request from <paramref name="address"/> may become a connection. Any thread.</summary>
    internal Task<bool> TryAdmitAsync(UInt128 address)
    {
        var admitted = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!TryPostToLoop(() => admitted.TrySetResult(AcceptFilter!.TryAccept(address))))
        {
            admitted.TrySetResult(false);
        }

        return admitted.Task;
    }

    /// <summary>A connection the <see cref="AcceptFilter"/> admitted has ended. Any thread.</summary>
    internal void Released(UInt128 address) => TryPostToLoop(() => AcceptFilter!.Closed(address));

    /// <summary>Has <paramref name="connection"/> write what it queued at the end of the loop's turn. Loop thread.</summary>
    internal void FlushAtTurnEnd(IFlushable connection) => _loop.RequestFlush(connection);

    /// <summary>Whether a WebSocket peer has this routing identity. Loop thread.</summary>
    public bool Owns(ReadOnlySpan<byte> identity) => _peers.Count > 0 && _peersBySpan.ContainsKey(identity);

    public bool TryBegin(ReadOnlySpan<byte> identity)
    {
        if (!_peersBySpan.TryGetValue(identity, out var connection) || !connection.TryReserve(HighWatermark))
        {
            _sending = null;
            return false;
        }

        _sending = connection;
        return true;
    }

    public void Send(ref Frame frame, bool more)
    {
        Send(frame.Span, more);
        frame.Close();
    }

    public void Send(ReadOnlySpan<byte> frame, bool more)
    {
        _sending?.Enqueue(frame, more);
        if (!more)
        {
            _sending = null;
        }
    }

    public void SendConstant(byte[] frame, bool more) => Send(frame.AsSpan(), more);

    public void PauseReading(ReadOnlySpan<byte> identity, long resumeAt)
    {
        if (_peersBySpan.TryGetValue(identity, out var connection))
        {
            connection.PauseUntil(resumeAt);
        }
    }

    public void StopAccepting() => _accepting = false;

    public void Dispose()
    {
        _disposed = true;
        foreach (var connection in _connections)
        {
            connection.Abort();
        }
    }

    /// <summary>Queues a connection's event for the loop. Any thread; after the broker stopped, the event is let go.</summary>
    internal void Post(in ZwsInbound item)
    {
        if (_disposed)
        {
            item.Message?.Release();
            return;
        }

        _inbox.Enqueue(item);
        try
        {
            _loop.Wake();
        }
        catch (ObjectDisposedException)
        {
            // The broker has stopped; its connections are being aborted.
        }
    }

    private bool TryPostToLoop(Action action)
    {
        if (_disposed)
        {
            return false;
        }

        try
        {
            _loop.Post(action);
            return true;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>Every turn: what the connections queued, in order.</summary>
    private void Drain()
    {
        while (_inbox.TryDequeue(out var item))
        {
            var connection = item.Connection;
            switch (item.Kind)
            {
                case ZwsInboundKind.Ready:
                    OnReady(connection!, item.Identity!);
                    break;
                case ZwsInboundKind.Message:
                    OnMessage(connection!, item.Message!);
                    break;
                case ZwsInboundKind.Rejected:
                    OnRejected(connection, item.Why!);
                    break;
                case ZwsInboundKind.Gone:
                    OnGone(connection!);
                    break;
            }
        }
    }

    /// <summary>A connection finished its ZWS handshake asking for <paramref name="asked"/> (empty: none): it gets a routing identity, or is closed. Loop thread.</summary>
    internal void OnReady(IZwsConnection connection, byte[] asked)
    {
        _connections.Add(connection);
        Admit(connection, asked);
    }

    /// <summary>A connection was closed for breaking ZWS 2.0 (or a request was refused): counted and logged as a dropped connection. Loop thread.</summary>
    internal void OnRejected(IZwsConnection? connection, string why) =>
        _onRejected(connection?.Identity ?? [], "websocket connection closed: " + why);

    /// <summary>Gives a connection that finished its handshake its routing identity, or closes it when the one it asks for cannot be had.</summary>
    private void Admit(IZwsConnection connection, byte[] asked)
    {
        if (connection.Ended)
        {
            return;
        }

        string? refusal = null;
        byte[] identity;
        if (asked.Length == 0)
        {
            identity = new byte[7];
            identity[1] = (byte)'W';
            identity[2] = (byte)'S';
            do
            {
                BinaryPrimitives.WriteUInt32BigEndian(identity.AsSpan(3), _nextId++);
            }
            while (_peersBySpan.ContainsKey(identity));
        }
        else if (asked[0] == 0)
        {
            // RFC 23/37: identities starting with a zero byte are the ROUTER's own (generated) ones.
            refusal = "the routing identity it asks for starts with a zero byte (reserved)";
            identity = [];
        }
        else if (asked.Length > PendingRequest.MaxIdentity || _peersBySpan.ContainsKey(asked))
        {
            // As libzmq's ROUTER without handover: the identity stays with the connection that has it.
            refusal = asked.Length > PendingRequest.MaxIdentity ? "the routing identity it asks for is over 255 bytes" : "the routing identity it asks for is taken by another connection";
            identity = [];
        }
        else
        {
            identity = asked;
        }

        if (refusal is not null)
        {
            _onRejected([], "websocket connection closed: " + refusal);
            connection.Close(System.Net.WebSockets.WebSocketCloseStatus.PolicyViolation, refusal);
            return;
        }

        connection.Identity = identity;
        _peers[identity] = connection;
    }

    /// <summary>A whole message from <paramref name="connection"/>: handed to the frontend (its frames moved out of <paramref name="message"/>). Loop thread.</summary>
    internal void OnMessage(IZwsConnection connection, ZwsMessage message)
    {
        if (connection.Identity is null || connection.Ended)
        {
            message.Release();
            return;
        }

        var fb = _in;
        fb.Begin(connection.Identity);
        for (var i = 0; i < message.Count; i++)
        {
            fb.Add(ref message.Frames[i]);
        }

        if (message.Overflow)
        {
            fb.MarkOverflow();
        }

        if (message.Truncated)
        {
            fb.MarkTruncated(message.Size);
        }

        try
        {
            _handler.OnMessage(fb);
        }
        finally
        {
            fb.Clear();
        }
    }

    /// <summary>A connection has ended: its peer is gone. Loop thread.</summary>
    internal void OnGone(IZwsConnection connection)
    {
        _connections.Remove(connection);
        if (_sending == connection)
        {
            _sending = null;
        }

        if (connection.Identity is { } identity && _peersBySpan.TryGetValue(identity, out var owner) && owner == connection)
        {
            _peers.Remove(identity);
            _handler.OnPeerGone(identity);
        }
    }
}
