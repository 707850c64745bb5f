#if NET
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using NetMQ;
using NetMQ.Sockets;

namespace ZmqGame.Transport;

/// <summary>
/// A ROUTER endpoint that NetMQ serves: the control endpoint, a CURVE frontend, inproc/ipc endpoints, and every
/// endpoint where epoll is missing. NetMQ's socket lives on a side poller thread; whole messages cross to the
/// broker's loop through a queue, and messages out cross back. The loop cannot ask NetMQ whether a peer is still
/// there, so <see cref="TryBegin"/> accepts unless the peer's queue was found full within the last
/// <see cref="FullBackoff"/> (then the broker keeps the message, as for a full connection of its own transport); a
/// message NetMQ cannot route (peer gone, queue full) is dropped on the side thread and counted in <see cref="Dropped"/>.
/// NetMQ reports a closed connection in band (its disconnect message); this router turns that into
/// <see cref="IRouterHandler.OnPeerGone"/>, so the handler sees peers' messages only.
/// <para>
/// Size: NetMQ's own limit (<c>MaxMsgSize</c>, set by whoever makes the socket) is per frame and closes the connection;
/// the limit on the whole message is this router's. A message whose frame bodies add up to more than it reaches the
/// handler with only its first whole frames within the limit, flagged (<see cref="FrameBuffer.TruncatedSize"/>), as the
/// own transport does; the rest is freed as it is received.
/// </para>
/// </summary>
internal sealed class NetMqRouter : IRouter
{
    private const int BatchSize = 256;

    /// <summary>
    /// NetMQ's per-frame cap (<c>MaxMsgSize</c>) as a multiple of the message limit: a frame up to this many times the
    /// limit is received and answered as too large; a larger one closes the connection. NetMQ buffers a frame whole
    /// before anyone sees it, so this bounds the memory one frame can take (the own transport skips without buffering).
    /// </summary>
    public const int FrameSizeFactor = 4;

    /// <summary>What NetMQ delivers, as [identity][this], when a peer's connection closes (see <see cref="CreateSocket"/>).</summary>
    private static readonly byte[] PeerGoneMarker = "\0ZG-PEER-GONE"u8.ToArray();

    /// <summary>How long a peer whose queue NetMQ found full is reported full to the broker before a message is tried again.</summary>
    private static readonly long FullBackoff = System.Diagnostics.Stopwatch.Frequency / 20;

    private readonly EventLoop _loop;
    private readonly RouterSocket _socket;
    private readonly FrameBuffer _in;
    private readonly IRouterHandler _handler;
    private readonly ConcurrentQueue<Message> _inbox = new();
    private readonly ConcurrentBag<Message> _free = [];
    private readonly NetMQQueue<Message> _outbox = new();
    private readonly ConcurrentDictionary<byte[], long> _full = new(ByteKeyComparer.Instance);
    private readonly long _maxMessageSize;
    private Message? _sending;
    private long _dropped;

    /// <param name="loop">The loop that owns this router.</param>
    /// <param name="side">The poller thread that serves the socket.</param>
    /// <param name="socket">The bound socket (see <see cref="CreateSocket"/>).</param>
    /// <param name="endpoint">Its endpoint, connectable from this host.</param>
    /// <param name="maxMessageSize">Most bytes of a message's frame bodies together (0: no limit); a larger message is handed on cut short and flagged.</param>
    /// <param name="into">Where a received message is put for <paramref name="handler"/>.</param>
    /// <param name="handler">Handles messages and peers whose connection closed.</param>
    public NetMqRouter(EventLoop loop, NetMQPoller side, RouterSocket socket, string endpoint, long maxMessageSize, FrameBuffer into, IRouterHandler handler)
    {
        _maxMessageSize = maxMessageSize <= 0 ? long.MaxValue : maxMessageSize;
        _loop = loop;
        _socket = socket;
        _in = into;
        _handler = handler;
        Endpoint = endpoint;
        _socket.ReceiveReady += (_, _) => Receive();
        _outbox.ReceiveReady += (_, _) => SendQueued();
        side.Add(_socket);
        side.Add(_outbox);
        loop.AddSource(Drain);
    }

    public string Endpoint { get; }

    /// <summary>
    /// A ROUTER socket for this router, not yet bound: no linger, mandatory routing (an unroutable message fails instead
    /// of vanishing), and NetMQ's disconnect message on, which this router turns into <see cref="IRouterHandler.OnPeerGone"/>.
    /// </summary>
    public static RouterSocket CreateSocket()
    {
        var socket = new RouterSocket();
        socket.Options.Linger = TimeSpan.Zero;
        socket.Options.RouterMandatory = true;
        socket.Options.DisconnectMessage = PeerGoneMarker;
        return socket;
    }

    /// <summary>Messages NetMQ could not route (peer gone or its queue full).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public bool TryBegin(ReadOnlySpan<byte> identity)
    {
        if (!_full.IsEmpty && _full.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(identity, out var since))
        {
            if (System.Diagnostics.Stopwatch.GetTimestamp() - since < FullBackoff)
            {
                return false;
            }

            _full.GetAlternateLookup<ReadOnlySpan<byte>>().TryRemove(identity, out _, out _);
        }

        _sending = Rent();
        ref var frame = ref _sending.Frames[0];
        frame.InitPool(identity.Length);
        identity.CopyTo(frame.Slice());
        _sending.Count = 1;
        return true;
    }

    public void Send(ref Frame frame, bool more)
    {
        if (_sending is { } message && message.Count < FrameBuffer.MaxFrames)
        {
            ToMsg(ref frame, ref message.Frames[message.Count++]);
        }
        else
        {
            frame.Close();
        }

        if (!more)
        {
            Post();
        }
    }

    public void Send(ReadOnlySpan<byte> frame, bool more)
    {
        if (_sending is { } message && message.Count < FrameBuffer.MaxFrames)
        {
            ref var msg = ref message.Frames[message.Count++];
            if (frame.IsEmpty)
            {
                msg.InitEmpty();
            }
            else
            {
                msg.InitPool(frame.Length);
                frame.CopyTo(msg.Slice());
            }
        }

        if (!more)
        {
            Post();
        }
    }

    /// <summary>Copied, as every frame the side thread gets that it does not own outright.</summary>
    public void SendConstant(byte[] frame, bool more) => Send(frame.AsSpan(), more);

    /// <summary>NetMQ cannot stop reading one peer: its messages keep coming (a refused request is still answered).</summary>
    public void PauseReading(ReadOnlySpan<byte> identity, long resumeAt)
    {
    }

    /// <summary>NetMQ's unbind would close the connections the listener accepted too: new peers keep coming (see <see cref="IRouter.StopAccepting"/>).</summary>
    public void StopAccepting()
    {
    }

    /// <summary>
    /// The socket and queue are the side poller's; the broker host stops that poller first. The peers still connected see
    /// their connection close, and nothing else (<see cref="NetMqDisconnectMessage"/>).
    /// </summary>
    public void Dispose()
    {
        NetMqDisconnectMessage.Forget(_socket);
        _outbox.Dispose();
        _socket.Dispose();
    }

    private void Post()
    {
        if (_sending is { } message)
        {
            _sending = null;
            _outbox.Enqueue(message);
        }
    }

    // ------------------------------------------------------------------ side thread

    private void Receive()
    {
        var any = false;
        for (var i = 0; i < BatchSize; i++)
        {
            var message = Rent();
            if (!_socket.TryReceive(ref message.Frames[0], TimeSpan.Zero))
            {
                Return(message);
                break;
            }

            message.Count = 1;
            var more = message.Frames[0].HasMore;
            long total = 0;
            while (more)
            {
                // The frames of one message arrive together: this never waits.
                var spare = default(Msg);
                spare.InitEmpty();
                var keep = message.Count < FrameBuffer.MaxFrames && message.TruncatedSize == 0;
                ref var frame = ref keep ? ref message.Frames[message.Count] : ref spare;
                _socket.Receive(ref frame);
                more = frame.HasMore;
                total += frame.Size;
                if (total > _maxMessageSize)
                {
                    // Over the limit: the frames before this one are kept, this one and the rest are freed.
                    message.TruncatedSize = total;
                    frame.Close();
                    frame.InitEmpty();
                }
                else if (keep)
                {
                    message.Count++;
                }
                else
                {
                    message.Overflow = true;
                }

                spare.Close();
            }

            _inbox.Enqueue(message);
            any = true;
        }

        if (any)
        {
            _loop.Wake();
        }
    }

    private void SendQueued()
    {
        while (_outbox.TryDequeue(out var message, TimeSpan.Zero))
        {
            var sent = 0;
            try
            {
                if (_socket.TrySend(ref message.Frames[0], TimeSpan.Zero, more: message.Count > 1))
                {
                    for (sent = 1; sent < message.Count; sent++)
                    {
                        // ROUTER takes the rest of an accepted message without waiting.
                        _socket.TrySend(ref message.Frames[sent], TimeSpan.Zero, more: sent < message.Count - 1);
                    }
                }
                else
                {
                    // The peer's queue is full: tell the loop, which holds further messages for a while.
                    _full[message.Frames[0].ToArray()] = System.Diagnostics.Stopwatch.GetTimestamp();
                    Interlocked.Increment(ref _dropped);
                }
            }
            catch (HostUnreachableException)
            {
                Interlocked.Increment(ref _dropped);
            }

            Return(message);
        }
    }

    // ------------------------------------------------------------------ loop thread

    private void Drain()
    {
        for (var n = 0; n < BatchSize && _inbox.TryDequeue(out var message); n++)
        {
            if (message.Count == 2 && message.Frames[1].Slice().SequenceEqual(PeerGoneMarker))
            {
                var identity = message.Frames[0].Slice();
                if (!_full.IsEmpty)
                {
                    _full.GetAlternateLookup<ReadOnlySpan<byte>>().TryRemove(identity, out _, out _);
                }

                try
                {
                    _handler.OnPeerGone(identity);
                }
                finally
                {
                    Return(message);
                }

                continue;
            }

            _in.Start();
            for (var i = 0; i < message.Count; i++)
            {
                var frame = default(Frame);
                ToFrame(ref message.Frames[i], ref frame);
                _in.Add(ref frame);
            }

            if (message.Overflow)
            {
                _in.MarkOverflow();
            }

            if (message.TruncatedSize > 0)
            {
                _in.MarkTruncated(message.TruncatedSize);
            }

            Return(message);
            try
            {
                _handler.OnMessage(_in);
            }
            finally
            {
                _in.Clear();
            }
        }

        if (!_inbox.IsEmpty)
        {
            // More than a batch: the next turn takes the rest, after the other endpoints had theirs.
            _loop.Wake();
        }
    }

    /// <summary>
    /// A received NetMQ frame as a <see cref="Frame"/>, leaving <paramref name="msg"/> empty. A buffer from NetMQ's
    /// pool that this frame alone holds (every frame NetMQ reads off a connection) is taken over as a shared frame,
    /// without a copy, and never handed back to NetMQ's pool (the default pool is the garbage collector's anyway);
    /// anything else (an array a sender in this process lent NetMQ, a buffer shared by several messages) is copied.
    /// </summary>
    private static void ToFrame(ref Msg msg, ref Frame frame)
    {
        if (msg.Size == 0)
        {
            frame.InitEmpty();
        }
        else if (msg.MsgType == MsgType.Pool && !msg.IsShared && MemoryMarshal.TryGetArray<byte>(msg.SliceAsMemory(), out var taken))
        {
            frame.InitShared(taken.Array!, taken.Offset, taken.Count);
            msg.InitEmpty();
            return;
        }
        else
        {
            frame.InitCopy(msg.Slice());
        }

        msg.Close();
        msg.InitEmpty();
    }

    /// <summary>
    /// A frame to send through NetMQ, as the <see cref="Msg"/> the side thread sends; <paramref name="frame"/> is left
    /// empty. A shared frame is referenced (nobody changes its array); a borrowed one is copied, as it points into a
    /// buffer the loop reuses; a pooled one is copied and its array returned at once.
    /// </summary>
    private static void ToMsg(ref Frame frame, ref Msg msg)
    {
        switch (frame.Kind)
        {
            case FrameKind.Shared:
                msg.InitGC(frame.Array!, frame.Offset, frame.Length);
                break;
            case FrameKind.Pooled or FrameKind.Borrowed:
                msg.InitPool(frame.Length);
                frame.Span.CopyTo(msg.Slice());
                break;
            default:
                msg.InitEmpty();
                break;
        }

        frame.Close();
    }

    private Message Rent() => _free.TryTake(out var message) ? message : new Message();

    private void Return(Message message)
    {
        for (var i = 0; i < message.Count; i++)
        {
            message.Frames[i].Close();
            message.Frames[i].InitEmpty();
        }

        message.Count = 0;
        message.Overflow = false;
        message.TruncatedSize = 0;
        _free.Add(message);
    }

    private sealed class Message
    {
        public Message()
        {
            for (var i = 0; i < Frames.Length; i++)
            {
                Frames[i].InitEmpty();
            }
        }

        public Msg[] Frames { get; } = new Msg[FrameBuffer.MaxFrames];

        public int Count { get; set; }

        public bool Overflow { get; set; }

        /// <summary>0, or the size of a message over the limit (see <see cref="FrameBuffer.TruncatedSize"/>).</summary>
        public long TruncatedSize { get; set; }
    }
}
#endif
