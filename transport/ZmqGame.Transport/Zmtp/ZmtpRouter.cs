#if NET
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ZmqGame.Transport;

/// <summary>
/// A ZeroMQ ROUTER on TCP written for the broker's loop: ZMTP 3.1 with the NULL mechanism, so libzmq 4.x, NetMQ 4
/// and every other ZMTP 3 DEALER or REQ talk to it unchanged (ZMTP 1.0/2.0 peers, libzmq 3.x and older, are
/// refused). Sockets are non-blocking and watched by the loop's epoll; a readable connection is read once per turn and every whole message in it is handed to the broker at once; what
/// the broker sends is queued per connection and written at the end of the turn, one send per connection. No
/// thread other than the loop's touches anything here.
/// </summary>
internal sealed class ZmtpRouter : IRouter
{
    /// <summary>Bytes read from a connection per turn (at most, unless a message in progress needs more).</summary>
    private const int ReadSize = 64 * 1024;

    private readonly EventLoop _loop;
    private readonly FrameBuffer _in;
    private readonly IRouterHandler _handler;
    private readonly Action<ReadOnlySpan<byte>, string> _onRejected;
    private readonly Dictionary<byte[], Connection> _peers = new(ByteKeyComparer.Instance);
    private readonly Dictionary<byte[], Connection>.AlternateLookup<ReadOnlySpan<byte>> _peersBySpan;
    private readonly HashSet<Connection> _connections = [];
    private readonly byte[] _readBuffer = new byte[ReadSize];
    private readonly LoopListener _listener;
    private readonly Queue<(Connection Connection, long Deadline)> _handshaking = new();
    private readonly long _handshakeTicks;
    private uint _nextId = (uint)Random.Shared.Next();
    private Connection? _sending;
    private readonly TimeProvider _clock;
    private readonly List<Connection> _paused = [];

    /// <param name="loop">The loop that owns this router.</param>
    /// <param name="endpoint"><c>tcp://host:port</c>; port 0 or * picks a free port.</param>
    /// <param name="maxMessageSize">
    /// Most bytes of a message's frame bodies together (0: no limit); a larger message is skipped and its first frames
    /// handed on flagged (<see cref="FrameBuffer.TruncatedSize"/>), see <see cref="ZmtpStream"/>.
    /// </param>
    /// <param name="highWatermark">Messages queued to one peer before <see cref="TryBegin"/> refuses.</param>
    /// <param name="backlog">The listen backlog.</param>
    /// <param name="handshakeTimeout">A connection not through the greeting and READY by then is closed (rejected).</param>
    /// <param name="into">Where a received message is put for <paramref name="handler"/>.</param>
    /// <param name="handler">Handles the message in <paramref name="into"/>, and peers whose connection closed.</param>
    /// <param name="onRejected">A connection closed for breaking the protocol: its identity (if it had one) and why.</param>
    /// <param name="onAcceptFailed">Accepting failed with this errno (out of descriptors): accepting pauses until the next tick (said at most every 10 s).</param>
    /// <param name="clock">The clock of the timestamps given to <see cref="PauseReading"/>; the system's by default.</param>
    public ZmtpRouter(EventLoop loop, string endpoint, int maxMessageSize, int highWatermark, int backlog, TimeSpan handshakeTimeout,
        FrameBuffer into, IRouterHandler handler, Action<ReadOnlySpan<byte>, string> onRejected, Action<int> onAcceptFailed,
        TimeProvider? clock = null)
    {
        _clock = clock ?? TimeProvider.System;
        _loop = loop;
        _in = into;
        _handler = handler;
        _onRejected = onRejected;
        MaxMessageSize = maxMessageSize;
        HighWatermark = Math.Max(1, highWatermark);
        _peersBySpan = _peers.GetAlternateLookup<ReadOnlySpan<byte>>();
        _handshakeTicks = (long)(handshakeTimeout.TotalSeconds * Stopwatch.Frequency);
        var (address, port, shown) = Parse(endpoint);
        _listener = new LoopListener(loop, address, port, backlog, Accept, onAcceptFailed);
        Endpoint = $"tcp://{shown}:{_listener.Port}";
        loop.AddTick(CloseStuckHandshakes);
        loop.AddTick(ResumeDue);
    }

    public string Endpoint { get; }

    internal long MaxMessageSize { get; }

    internal int HighWatermark { get; }

    /// <summary>Keeps or closes each accepted connection by its peer's address (per-IP limits); null keeps all. Set before the loop runs.</summary>
    internal IAcceptFilter? AcceptFilter { get; set; }

    public bool TryBegin(ReadOnlySpan<byte> identity)
    {
        if (!_peersBySpan.TryGetValue(identity, out var connection) || connection.Queued >= HighWatermark)
        {
            _sending = null;
            return false;
        }

        connection.Queued++;
        _sending = connection;
        return true;
    }

    public void Send(ref Frame frame, bool more)
    {
        _sending?.WriteFrame(frame.Span, more);
        frame.Close();
        if (!more)
        {
            _sending = null;
        }
    }

    public void Send(ReadOnlySpan<byte> frame, bool more)
    {
        _sending?.WriteFrame(frame, more);
        if (!more)
        {
            _sending = null;
        }
    }

    public void SendConstant(byte[] frame, bool more) => Send(frame.AsSpan(), more);

    public void PauseReading(ReadOnlySpan<byte> identity, long resumeAt)
    {
        if (!_peersBySpan.TryGetValue(identity, out var connection) || connection.IsClosed)
        {
            return;
        }

        if (connection.ReadingPaused)
        {
            connection.ResumeAt = Math.Max(connection.ResumeAt, resumeAt);
            return;
        }

        connection.ResumeAt = resumeAt;
        connection.PauseReading();
        _paused.Add(connection);
    }

    /// <summary>A connection was accepted (<see cref="LoopListener"/>).</summary>
    private void Accept(int fd)
    {
        if (!Admit(fd, out var filter, out var address))
        {
            return;
        }

        var connection = new Connection(this, fd) { Filter = filter, Address = address };
        try
        {
            connection.Start();
        }
        catch (IOException)
        {
            filter?.Closed(address);
            Native.Close(fd);
            return;
        }

        _connections.Add(connection);
        _handshaking.Enqueue((connection, Stopwatch.GetTimestamp() + _handshakeTicks));
    }

    /// <summary>Closes the listening socket: a new peer is refused at once; the connections made go on.</summary>
    public void StopAccepting() => _listener.Dispose();

    public void Dispose()
    {
        foreach (var connection in _connections.ToArray())
        {
            connection.Close(quiet: true);
        }

        StopAccepting();
    }

    private uint NextGeneratedId() => _nextId++;

    /// <summary>
    /// Asks the <see cref="AcceptFilter"/> (if any) about a just-accepted connection by its peer's address; a refused one
    /// (or one whose peer is already gone) is closed here. The filter hears when a kept one closes.
    /// </summary>
    private bool Admit(int fd, out IAcceptFilter? filter, out UInt128 address)
    {
        filter = AcceptFilter;
        address = 0;
        if (filter is null)
        {
            return true;
        }

        if (!Native.TryGetPeerAddress(fd, out address) || !filter.TryAccept(address))
        {
            filter = null;
            Native.Close(fd);
            return false;
        }

        return true;
    }

    /// <summary>
    /// Every tick: closes connections still in the handshake past their deadline (oldest first; deadlines are in order).
    /// </summary>
    private void CloseStuckHandshakes()
    {
        var now = Stopwatch.GetTimestamp();
        while (_handshaking.TryPeek(out var entry) && (entry.Deadline <= now || entry.Connection.PastHandshake))
        {
            _handshaking.Dequeue();
            if (!entry.Connection.PastHandshake)
            {
                entry.Connection.Reject("no ZeroMQ handshake within the handshake timeout");
            }
        }
    }

    /// <summary>Every tick: reads again the paused connections whose time has come (and forgets closed ones).</summary>
    private void ResumeDue()
    {
        if (_paused.Count == 0)
        {
            return;
        }

        var now = _clock.GetTimestamp();
        for (var i = _paused.Count - 1; i >= 0; i--)
        {
            var connection = _paused[i];
            if (connection.IsClosed || connection.ResumeAt <= now)
            {
                connection.ResumeReading();
                _paused[i] = _paused[^1];
                _paused.RemoveAt(_paused.Count - 1);
            }
        }
    }

    private static (IPAddress Address, int Port, string Shown) Parse(string endpoint)
    {
        var (host, port) = TcpEndpoint.Split(endpoint);
        if (host is "*" or "0.0.0.0")
        {
            return (IPAddress.Any, port, "127.0.0.1");
        }

        var address = TcpEndpoint.Resolve(host);
        return (address, port, IPAddress.TryParse(host, out _) && address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{host}]" : host);
    }

    /// <summary>One peer connection: the stream, and the identity it is routed by once it has said READY.</summary>
    private sealed class Connection(ZmtpRouter router, int fd) : ZmtpStream(router._loop, router._readBuffer, router.MaxMessageSize, skipOversized: true, connecting: false)
    {
        public byte[]? Identity { get; private set; }

        /// <summary>The accept filter that kept this connection (told when it closes), or null.</summary>
        public IAcceptFilter? Filter { get; init; }

        /// <summary>The peer's address, when a filter asked for it.</summary>
        public UInt128 Address { get; init; }

        /// <summary>While reading is paused: when it resumes (a timestamp of the router's clock).</summary>
        public long ResumeAt { get; set; }

        public void Start()
        {
            Fd = fd;
            Watch(Zmtp.Hello);
        }

        protected override string? OnPeerReady(ReadOnlySpan<byte> readyBody)
        {
            if (Zmtp.ReadReady(readyBody, out var asked) is { } bad)
            {
                return bad;
            }

            byte[] identity;
            if (asked.IsEmpty)
            {
                identity = new byte[5];
                do
                {
                    BinaryPrimitives.WriteUInt32BigEndian(identity.AsSpan(1), router.NextGeneratedId());
                }
                while (router._peersBySpan.ContainsKey(identity));
            }
            else if (router._peersBySpan.ContainsKey(asked))
            {
                // As libzmq's ROUTER without handover: the identity stays with the connection that has it.
                return "the routing identity it asks for is taken by another connection";
            }
            else
            {
                identity = asked.ToArray();
            }

            Identity = identity;
            router._peers[identity] = this;
            return null;
        }

        protected override void OnMessage(ArraySegment<byte> message, long truncatedSize)
        {
            // The frames point into the read buffer (no copy); the broker copies what it keeps (FrameBuffer.MoveTo).
            var fb = router._in;
            fb.Begin(Identity!);
            var bytes = message.AsSpan();
            var at = 0;
            while (Zmtp.NextFrame(bytes, ref at, out var frame))
            {
                fb.AddBorrowed(message.Array!, message.Offset + at - frame.Length, frame.Length);
            }

            if (truncatedSize > 0)
            {
                fb.MarkTruncated(truncatedSize);
            }

            try
            {
                router._handler.OnMessage(fb);
            }
            finally
            {
                fb.Clear();
            }
        }

        protected override void OnClosed(bool wasReady, string why, bool refused)
        {
            router._connections.Remove(this);
            Filter?.Closed(Address);
            if (router._sending == this)
            {
                router._sending = null;
            }

            if (Identity is not null)
            {
                router._peers.Remove(Identity);
            }

            if (refused)
            {
                router._onRejected(Identity ?? [], why);
            }

            if (wasReady)
            {
                router._handler.OnPeerGone(Identity!);
            }
        }
    }
}
#endif
