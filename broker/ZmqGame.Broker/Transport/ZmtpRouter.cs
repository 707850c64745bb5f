using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using NetMQ;

namespace ZmqGame.Broker.Transport;

/// <summary>
/// A ZeroMQ ROUTER on TCP written for the broker's loop: ZMTP 3.1 with the NULL mechanism, so libzmq 4.x, NetMQ 4
/// and every other ZMTP 3 DEALER or REQ talk to it unchanged (ZMTP 1.0/2.0 peers, libzmq 3.x and older, are refused). Sockets are non-blocking and watched by the loop's epoll;
/// a readable connection is read once per turn and every whole message in it is handed to the broker at once; what
/// the broker sends is queued per connection and written at the end of the turn, one send per connection. No
/// thread other than the loop's touches anything here.
/// </summary>
internal sealed class ZmtpRouter : IRouter, IPollable
{
    /// <summary>Bytes read from a connection per turn (at most).</summary>
    private const int ReadSize = 64 * 1024;

    private readonly BrokerLoop _loop;
    private readonly FrameBuffer _in;
    private readonly Action _onMessage;
    private readonly Action<ReadOnlySpan<byte>, string> _onRejected;
    private readonly Dictionary<byte[], Connection> _peers = new(ByteKeyComparer.Instance);
    private readonly Dictionary<byte[], Connection>.AlternateLookup<ReadOnlySpan<byte>> _peersBySpan;
    private readonly HashSet<Connection> _connections = [];
    private readonly byte[] _readBuffer = new byte[ReadSize];
    private readonly Socket _listener;
    private readonly int _listenerFd;
    private readonly ulong _listenerToken;
    private readonly Queue<(Connection Connection, long Deadline)> _handshaking = new();
    private readonly long _handshakeTicks;
    private uint _nextId = (uint)Random.Shared.Next();
    private Connection? _sending;

    /// <param name="loop">The loop that owns this router.</param>
    /// <param name="endpoint"><c>tcp://host:port</c>; port 0 or * picks a free port.</param>
    /// <param name="maxFrameSize">A larger frame closes the connection (0: no limit).</param>
    /// <param name="highWatermark">Messages queued to one peer before <see cref="TryBegin"/> refuses.</param>
    /// <param name="backlog">The listen backlog.</param>
    /// <param name="handshakeTimeout">A connection not through the greeting and READY by then is closed (rejected).</param>
    /// <param name="into">Where a received message is put for <paramref name="onMessage"/>.</param>
    /// <param name="onMessage">Handles the message in <paramref name="into"/>.</param>
    /// <param name="onRejected">A connection closed for breaking the protocol: its identity (if it had one) and why.</param>
    public ZmtpRouter(BrokerLoop loop, string endpoint, int maxFrameSize, int highWatermark, int backlog, TimeSpan handshakeTimeout,
        FrameBuffer into, Action onMessage, Action<ReadOnlySpan<byte>, string> onRejected)
    {
        _loop = loop;
        _in = into;
        _onMessage = onMessage;
        _onRejected = onRejected;
        MaxFrameSize = maxFrameSize <= 0 ? Connection.MaxUnit : Math.Min(maxFrameSize, Connection.MaxUnit);
        HighWatermark = Math.Max(1, highWatermark);
        _peersBySpan = _peers.GetAlternateLookup<ReadOnlySpan<byte>>();
        _handshakeTicks = (long)(handshakeTimeout.TotalSeconds * Stopwatch.Frequency);
        var (address, port, shown) = Parse(endpoint);
        _listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (address.AddressFamily == AddressFamily.InterNetworkV6)
            {
                _listener.DualMode = true;
            }

            // As libzmq: a restarted broker rebinds its port while old connections sit in TIME_WAIT.
            Native.SetReuseAddress((int)_listener.SafeHandle.DangerousGetHandle());
            _listener.Bind(new IPEndPoint(address, port));
            _listener.Listen(backlog);
            _listener.Blocking = false;
            _listenerFd = (int)_listener.SafeHandle.DangerousGetHandle();
            _listenerToken = loop.Add(_listenerFd, Native.EPOLLIN, this);
        }
        catch
        {
            _listener.Dispose();
            throw;
        }

        Endpoint = $"tcp://{shown}:{((IPEndPoint)_listener.LocalEndPoint!).Port}";
        loop.AddTick(CloseStuckHandshakes);
    }

    public string Endpoint { get; }

    internal long MaxFrameSize { get; }

    internal int HighWatermark { get; }

    /// <summary>Connections, handshaken or not.</summary>
    public int ConnectionCount => _connections.Count;

    /// <summary>True if <paramref name="endpoint"/> is one this router serves (TCP).</summary>
    public static bool Serves(string endpoint) => endpoint.StartsWith("tcp://", StringComparison.Ordinal);

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

    public void Send(ref Msg frame, bool more)
    {
        _sending?.Write(frame.Slice(), more);
        frame.Close();
        frame.InitEmpty();
        if (!more)
        {
            _sending = null;
        }
    }

    public void Send(ReadOnlySpan<byte> frame, bool more)
    {
        _sending?.Write(frame, more);
        if (!more)
        {
            _sending = null;
        }
    }

    public void SendConstant(byte[] frame, bool more) => Send(frame.AsSpan(), more);

    /// <summary>The listener is readable: accept everything pending.</summary>
    void IPollable.OnEvents(uint events)
    {
        while (true)
        {
            var fd = Native.Accept(_listenerFd);
            if (fd < 0)
            {
                // EAGAIN: nothing more; anything else (EMFILE, ECONNABORTED): try again next turn.
                return;
            }

            var connection = new Connection(this, fd);
            try
            {
                connection.Token = _loop.Add(fd, Native.EPOLLIN | Native.EPOLLRDHUP, connection);
            }
            catch (IOException)
            {
                Native.Close(fd);
                continue;
            }

            _connections.Add(connection);
            _handshaking.Enqueue((connection, Stopwatch.GetTimestamp() + _handshakeTicks));
            connection.WriteRaw(Zmtp.Hello);
        }
    }

    public void Dispose()
    {
        foreach (var connection in _connections.ToArray())
        {
            connection.Close(notify: false);
        }

        _loop.Remove(_listenerFd, _listenerToken);
        _listener.Dispose();
    }

    private uint NextGeneratedId() => _nextId++;

    /// <summary>Closes connections still in the handshake past their deadline (oldest first; deadlines are in order).</summary>
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

    private static (IPAddress Address, int Port, string Shown) Parse(string endpoint)
    {
        var rest = endpoint["tcp://".Length..];
        var colon = rest.LastIndexOf(':');
        if (colon <= 0)
        {
            throw new ArgumentException($"{endpoint}: expected tcp://host:port");
        }

        var host = rest[..colon].Trim('[', ']');
        var portText = rest[(colon + 1)..];
        var port = portText == "*" ? 0 : int.TryParse(portText, out var p) && p is >= 0 and <= 65535 ? p
            : throw new ArgumentException($"{endpoint}: bad port {portText}");
        if (host is "*" or "0.0.0.0")
        {
            return (IPAddress.Any, port, "127.0.0.1");
        }

        if (IPAddress.TryParse(host, out var address))
        {
            return (address, port, address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{host}]" : host);
        }

        var addresses = Dns.GetHostAddresses(host);
        var chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new ArgumentException($"{endpoint}: {host} does not resolve");
        return (chosen, port, host);
    }

    private enum State
    {
        Greeting,
        Handshake,
        Ready,
        Closed,
    }

    /// <summary>One peer connection: parse state, what it has sent but not finished, what is queued to it.</summary>
    private sealed class Connection(ZmtpRouter router, int fd) : IPollable, IFlushable
    {
        /// <summary>Largest frame or message accepted whatever the configured limit (a larger one closes the connection).</summary>
        public const long MaxUnit = int.MaxValue / 2;

        private State _state;
        private long _need;
        private byte[]? _stash;
        private int _stashCount;
        private byte[]? _out;
        private int _outStart;
        private int _outCount;
        private bool _flushRequested;
        private bool _waitingWritable;

        public ulong Token { get; set; }

        public byte[]? Identity { get; private set; }

        /// <summary>Ready or closed: no longer subject to the handshake timeout.</summary>
        public bool PastHandshake => _state is State.Ready or State.Closed;

        /// <summary>Messages queued since the output was last empty (the high-watermark count).</summary>
        public int Queued { get; set; }

        public void OnEvents(uint events)
        {
            if ((events & Native.EPOLLOUT) != 0)
            {
                Flush();
            }

            if (_state == State.Closed)
            {
                return;
            }

            if ((events & (Native.EPOLLIN | Native.EPOLLRDHUP | Native.EPOLLHUP | Native.EPOLLERR)) != 0)
            {
                Read();
            }
        }

        private void Read()
        {
            var fromStash = _stashCount > 0;
            var target = fromStash ? _stash.AsSpan(_stashCount) : router._readBuffer;
            var n = Native.Receive(fd, target);
            if (n == -Native.EAGAIN || n == -Native.EINTR)
            {
                return;
            }

            if (n <= 0)
            {
                Close(notify: true);
                return;
            }

            var data = fromStash ? _stash.AsSpan(0, _stashCount + n) : router._readBuffer.AsSpan(0, n);
            var used = Parse(data);
            if (_state == State.Closed)
            {
                return;
            }

            // Keep the unfinished unit (greeting, command or message) at the start of the stash, with room for the
            // rest of it and for the next read.
            var left = data.Length - used;
            if (left == 0)
            {
                ReturnStash();
                return;
            }

            var room = (int)Math.Max(_need, left + 4096);
            if (!fromStash)
            {
                _stash = ArrayPool<byte>.Shared.Rent(room);
                data[used..].CopyTo(_stash);
            }
            else if (_stash!.Length < room)
            {
                var bigger = ArrayPool<byte>.Shared.Rent(room);
                data[used..].CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(_stash);
                _stash = bigger;
            }
            else if (used > 0)
            {
                Buffer.BlockCopy(_stash, used, _stash, 0, left);
            }

            _stashCount = left;
        }

        /// <summary>Consumes every whole unit (greeting, command, message) in <paramref name="data"/>; returns bytes used.</summary>
        private int Parse(ReadOnlySpan<byte> data)
        {
            var at = 0;
            while (_state != State.Closed)
            {
                var rest = data[at..];
                if (_state == State.Greeting)
                {
                    if (rest.Length > 0 && rest[0] != 0xFF)
                    {
                        Reject("not a ZMTP peer (bad greeting signature)");
                        return at;
                    }

                    if (rest.Length >= Zmtp.SignatureSize && Zmtp.CheckGreeting(rest[..Math.Min(rest.Length, Zmtp.GreetingSize)]) is { } bad)
                    {
                        Reject(bad);
                        return at;
                    }

                    if (rest.Length < Zmtp.GreetingSize)
                    {
                        _need = Zmtp.GreetingSize;
                        return at;
                    }

                    at += Zmtp.GreetingSize;
                    _state = State.Handshake;
                    continue;
                }

                if (!Zmtp.TryReadHeader(rest, out var flags, out var size, out var headerSize))
                {
                    _need = Zmtp.MaxHeaderSize;
                    return at;
                }

                if (size > router.MaxFrameSize)
                {
                    Reject($"a {size}-byte frame (the limit is {router.MaxFrameSize})");
                    return at;
                }

                if ((flags & Zmtp.FlagCommand) != 0)
                {
                    if (rest.Length - headerSize < size)
                    {
                        _need = headerSize + size;
                        return at;
                    }

                    Command(rest.Slice(headerSize, (int)size));
                    at += headerSize + (int)size;
                    continue;
                }

                if (_state != State.Ready)
                {
                    Reject("a message before the READY handshake");
                    return at;
                }

                // A message: all of its frames must be here before any is handed on.
                var end = MessageEnd(rest, out var needed);
                if (end < 0)
                {
                    if (end == -1 && needed > MaxUnit)
                    {
                        Reject($"a message of over {MaxUnit} bytes");
                    }

                    _need = needed;
                    return at;
                }

                Deliver(rest[..end]);
                at += end;
            }

            return at;
        }

        /// <summary>Length of the whole message at the start of <paramref name="data"/>; -1 if incomplete, -2 if rejected.</summary>
        private int MessageEnd(ReadOnlySpan<byte> data, out long needed)
        {
            var at = 0;
            needed = 0;
            while (true)
            {
                if (!Zmtp.TryReadHeader(data[at..], out var flags, out var size, out var headerSize))
                {
                    needed = at + Zmtp.MaxHeaderSize;
                    return -1;
                }

                if (size > router.MaxFrameSize || (flags & Zmtp.FlagCommand) != 0)
                {
                    Reject(size > router.MaxFrameSize ? $"a {size}-byte frame (the limit is {router.MaxFrameSize})" : "a command inside a multipart message");
                    return -2;
                }

                if (data.Length - at - headerSize < size)
                {
                    needed = at + headerSize + size;
                    return -1;
                }

                at += headerSize + (int)size;
                if ((flags & Zmtp.FlagMore) == 0)
                {
                    return at;
                }
            }
        }

        private void Deliver(ReadOnlySpan<byte> message)
        {
            var fb = router._in;
            fb.Begin(Identity!);
            var at = 0;
            while (at < message.Length)
            {
                if (!Zmtp.TryReadHeader(message[at..], out _, out var size, out var headerSize))
                {
                    break;
                }

                fb.Add(message.Slice(at + headerSize, (int)size));
                at += headerSize + (int)size;
            }

            router._onMessage();
        }

        private void Command(ReadOnlySpan<byte> body)
        {
            switch (Zmtp.Classify(body))
            {
                case Zmtp.CommandKind.Ready when _state == State.Handshake:
                    if (Zmtp.ReadReady(body, out var asked) is { } bad)
                    {
                        Reject(bad);
                        return;
                    }

                    Identify(asked);
                    break;
                case Zmtp.CommandKind.Ping when _state == State.Ready:
                    Span<byte> pong = stackalloc byte[32];
                    WriteRaw(pong[..Zmtp.WritePong(body, pong)]);
                    break;
                case Zmtp.CommandKind.Error:
                    Close(notify: true);
                    break;
                case Zmtp.CommandKind.Ready:
                    Reject("a second READY");
                    break;
                default:
                    if (_state != State.Ready)
                    {
                        Reject("a command other than READY during the handshake");
                    }

                    // Other commands once ready (PONG, SUBSCRIBE…) mean nothing to a ROUTER.
                    break;
            }
        }

        private void Identify(ReadOnlySpan<byte> asked)
        {
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
                Reject("the routing identity it asks for is taken by another connection");
                return;
            }
            else
            {
                identity = asked.ToArray();
            }

            Identity = identity;
            router._peers[identity] = this;
            _state = State.Ready;
        }

        private void ReturnStash()
        {
            if (_stash is not null)
            {
                ArrayPool<byte>.Shared.Return(_stash);
            }

            _stash = null;
            _stashCount = 0;
        }

        /// <summary>Queues one frame for the peer.</summary>
        public void Write(ReadOnlySpan<byte> frame, bool more)
        {
            Span<byte> header = stackalloc byte[Zmtp.MaxHeaderSize];
            var headerSize = Zmtp.WriteHeader(header, frame.Length, more);
            Reserve(headerSize + frame.Length);
            header[..headerSize].CopyTo(_out.AsSpan(_outCount));
            frame.CopyTo(_out.AsSpan(_outCount + headerSize));
            _outCount += headerSize + frame.Length;
            RequestFlush();
        }

        /// <summary>Queues bytes already framed (greeting, commands).</summary>
        public void WriteRaw(ReadOnlySpan<byte> bytes)
        {
            Reserve(bytes.Length);
            bytes.CopyTo(_out.AsSpan(_outCount));
            _outCount += bytes.Length;
            RequestFlush();
        }

        private void Reserve(int bytes)
        {
            if (_out is null)
            {
                _out = ArrayPool<byte>.Shared.Rent(Math.Max(512, bytes));
                return;
            }

            if (_out.Length - _outCount >= bytes)
            {
                return;
            }

            var pending = _outCount - _outStart;
            if (_outStart > 0 && _out.Length - pending >= bytes)
            {
                Buffer.BlockCopy(_out, _outStart, _out, 0, pending);
            }
            else
            {
                var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_out.Length * 2, pending + bytes));
                Buffer.BlockCopy(_out, _outStart, bigger, 0, pending);
                ArrayPool<byte>.Shared.Return(_out);
                _out = bigger;
            }

            _outStart = 0;
            _outCount = pending;
        }

        private void RequestFlush()
        {
            if (!_flushRequested && !_waitingWritable)
            {
                _flushRequested = true;
                router._loop.RequestFlush(this);
            }
        }

        public void Flush()
        {
            _flushRequested = false;
            if (_state == State.Closed || _out is null)
            {
                return;
            }

            while (_outStart < _outCount)
            {
                var n = Native.Send(fd, _out.AsSpan(_outStart, _outCount - _outStart));
                if (n == -Native.EINTR)
                {
                    continue;
                }

                if (n == -Native.EAGAIN)
                {
                    if (!_waitingWritable)
                    {
                        _waitingWritable = true;
                        router._loop.Modify(fd, Native.EPOLLIN | Native.EPOLLRDHUP | Native.EPOLLOUT, Token);
                    }

                    return;
                }

                if (n < 0)
                {
                    Close(notify: true);
                    return;
                }

                _outStart += n;
            }

            ArrayPool<byte>.Shared.Return(_out);
            _out = null;
            _outStart = 0;
            _outCount = 0;
            Queued = 0;
            if (_waitingWritable)
            {
                _waitingWritable = false;
                router._loop.Modify(fd, Native.EPOLLIN | Native.EPOLLRDHUP, Token);
            }
        }

        public void Reject(string why)
        {
            router._onRejected(Identity ?? [], why);
            Close(notify: true);
        }

        public void Close(bool notify)
        {
            if (_state == State.Closed)
            {
                return;
            }

            var wasReady = _state == State.Ready;
            _state = State.Closed;
            router._loop.Remove(fd, Token);
            Native.Close(fd);
            router._connections.Remove(this);
            ReturnStash();
            if (_out is not null)
            {
                ArrayPool<byte>.Shared.Return(_out);
                _out = null;
            }

            if (router._sending == this)
            {
                router._sending = null;
            }

            if (Identity is not null)
            {
                router._peers.Remove(Identity);
            }

            if (wasReady && notify)
            {
                // As NetMQ's ROUTER with a disconnect message: [identity][marker].
                var fb = router._in;
                fb.Begin(Identity!);
                fb.Add(BrokerServer.PeerGoneMarker);
                router._onMessage();
            }
        }
    }
}
