using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Threading.Channels;

namespace ZmqGame.Broker.WebSocket;

/// <summary>
/// One ZWS 2.0 connection of the WebSocket frontend, after the upgrade: an async receive that reads one WebSocket
/// message (one ZeroMQ frame) at a time, checks it, gathers frames into messages and queues them for the broker's loop
/// (<see cref="WebSocketRouter.Post"/>); and an async send that writes, in order, what the loop queued for it. No thread
/// of its own. Whatever breaks ZWS 2.0 (a text message, an empty one, unknown flag bits, a command inside a multipart
/// message, a bad handshake, no handshake within the timeout) closes this connection only, with a close frame saying
/// why, and is reported to the loop, which counts and logs it.
/// </summary>
internal sealed class WebSocketConnection : IFlushable, IZwsConnection
{
    /// <summary>The receive buffer's first size; it grows (up to the frame size limit) for larger frames, and goes back to the pool after each message.</summary>
    private const int InitialBuffer = 4096;

    /// <summary>How long a closing connection waits for its close frame to go and the peer's to come back.</summary>
    private static readonly TimeSpan CloseWait = TimeSpan.FromSeconds(2);

    private readonly System.Net.WebSockets.WebSocket _socket;
    private readonly WebSocketRouter _router;
    private readonly bool _nullMechanism;
    private readonly ZwsReceiver _zws;
    private readonly WriteBatchingStream? _batching;
    private readonly ConcurrentQueue<Outbound> _out = new();

    /// <summary>Wakes the sender: one pending signal at most, however many frames were queued before it ran.</summary>
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private bool _flushRequested;
    private int _queued;
    private long _resumeAt;
    private volatile bool _ended;

    /// <param name="socket">The accepted WebSocket.</param>
    /// <param name="protocol">The subprotocol agreed (<see cref="Zws.NullProtocol"/> or <see cref="Zws.BareProtocol"/>).</param>
    /// <param name="router">The frontend router it reports to.</param>
    /// <param name="batching">The stream under <paramref name="socket"/> when it gathers writes: each turn of the sender then writes
    /// every frame queued in one go.</param>
    public WebSocketConnection(System.Net.WebSockets.WebSocket socket, string protocol, WebSocketRouter router, WriteBatchingStream? batching = null)
    {
        _socket = socket;
        _batching = batching;
        _router = router;
        _nullMechanism = protocol == Zws.NullProtocol;
        _zws = new ZwsReceiver(_nullMechanism);
    }

    /// <summary>The routing identity, once the loop admitted the connection. Loop thread.</summary>
    public byte[]? Identity { get; set; }

    /// <summary>The connection has ended, or is closing: nothing more of it is handed on.</summary>
    public bool Ended => _ended;

    /// <summary>
    /// Serves the connection until it ends: the broker's greeting (READY or its routing id), then receives until the peer
    /// closes, breaks the protocol or goes away, or <paramref name="cancellationToken"/> (the server stopping) fires.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        EnqueueRaw(_nullMechanism ? Zws.ReadyMessage : Zws.RoutingIdMessage, last: false);
        var sending = SendLoopAsync(cancellationToken);
        (WebSocketCloseStatus Status, string Why)? close;
        try
        {
            close = await ReceiveLoopAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            close = null;
        }

        _ended = true;
        if (close is { } reject)
        {
            _router.Post(new ZwsInbound(this, ZwsInboundKind.Rejected, Why: reject.Why));
            Close(reject.Status, reject.Why);
        }
        else if (_socket.State == WebSocketState.CloseReceived)
        {
            Close(WebSocketCloseStatus.NormalClosure, string.Empty);
        }

        _wake.Writer.TryComplete();
        try
        {
            await sending.WaitAsync(CloseWait, cancellationToken).ConfigureAwait(false);
            if (close is not null && _socket.State == WebSocketState.CloseSent)
            {
                // The close handshake: the peer's close frame comes back (anything before it is dropped).
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                wait.CancelAfter(CloseWait);
                var scratch = new byte[256];
                while (_socket.State == WebSocketState.CloseSent)
                {
                    await _socket.ReceiveAsync(scratch.AsMemory(), wait.Token).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or TimeoutException or IOException or ObjectDisposedException)
        {
            // Gone or slow: aborted below.
        }

        _socket.Abort();
        while (_out.TryDequeue(out var left))
        {
            left.Return();
        }

        _router.Post(new ZwsInbound(this, ZwsInboundKind.Gone));
    }

    /// <summary>Takes a place in the send queue for one message, unless <paramref name="highWatermark"/> messages are waiting. Loop thread.</summary>
    public bool TryReserve(int highWatermark)
    {
        if (_ended || Volatile.Read(ref _queued) >= highWatermark)
        {
            return false;
        }

        Interlocked.Increment(ref _queued);
        return true;
    }

    /// <summary>
    /// Queues one frame of the message reserved with <see cref="TryReserve"/>. Loop thread. The sender is woken once, at
    /// the end of the loop's turn (<see cref="IFlushable.Flush"/>), for everything queued to this connection in the turn.
    /// </summary>
    public void Enqueue(ReadOnlySpan<byte> frame, bool more)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(frame.Length + 1);
        buffer[0] = more ? Zws.FlagMore : (byte)0;
        frame.CopyTo(buffer.AsSpan(1));
        _out.Enqueue(new Outbound(buffer, frame.Length + 1, Pooled: true, Last: !more));
        if (!_flushRequested)
        {
            _flushRequested = true;
            _router.FlushAtTurnEnd(this);
        }
    }

    /// <summary>The loop's turn ends: the sender writes what the turn queued. Loop thread.</summary>
    void IFlushable.Flush()
    {
        _flushRequested = false;
        _wake.Writer.TryWrite(true);
    }

    /// <summary>Reads no further message before <paramref name="resumeAt"/> (a timestamp of the broker's clock); a later call keeps the later time. Loop thread.</summary>
    public void PauseUntil(long resumeAt)
    {
        if (resumeAt > Volatile.Read(ref _resumeAt))
        {
            Volatile.Write(ref _resumeAt, resumeAt);
        }
    }

    /// <summary>Sends a close frame after what is queued, and stops handing on what the peer sends. Any thread.</summary>
    public void Close(WebSocketCloseStatus status, string why)
    {
        _ended = true;
        Send(new Outbound([], 0, Pooled: false, Last: false, Close: status, Why: why));
    }

    /// <summary>Ends the connection at once (the broker is stopping). Any thread.</summary>
    public void Abort()
    {
        _ended = true;
        _socket.Abort();
    }

    private void EnqueueRaw(byte[] message, bool last) => Send(new Outbound(message, message.Length, Pooled: false, Last: last));

    /// <summary>Queues <paramref name="item"/> and wakes the sender. Any thread.</summary>
    private void Send(Outbound item)
    {
        _out.Enqueue(item);
        _wake.Writer.TryWrite(true);
    }

    private async Task SendLoopAsync(CancellationToken cancellationToken)
    {
        var reader = _wake.Reader;
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                // Every frame queued by now goes in one write to the connection (a reply is several WebSocket messages).
                reader.TryRead(out _);
                _batching?.BeginBatch();
                while (_out.TryDequeue(out var item))
                {
                    try
                    {
                        if (item.Close is { } status)
                        {
                            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                            {
                                await _socket.CloseOutputAsync(status, Shorten(item.Why), cancellationToken).ConfigureAwait(false);
                            }

                            continue;
                        }

                        if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                        {
                            await _socket.SendAsync(item.Buffer.AsMemory(0, item.Length), WebSocketMessageType.Binary, endOfMessage: true, cancellationToken).ConfigureAwait(false);
                        }
                    }
                    finally
                    {
                        item.Return();
                        if (item.Last)
                        {
                            Interlocked.Decrement(ref _queued);
                        }
                    }
                }

                if (_batching is not null)
                {
                    await _batching.EndBatchAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The peer is gone: the receive side ends too.
            _socket.Abort();
        }
    }

    /// <summary>Receives until the peer closes (null) or breaks ZWS 2.0 (the close status and why).</summary>
    private async Task<(WebSocketCloseStatus Status, string Why)?> ReceiveLoopAsync(CancellationToken cancellationToken)
    {
        var limit = (long)_router.MaxMessageSize;

        // Rented only while a message is being read: an idle connection waits with a zero-byte receive and holds no buffer.
        byte[]? buffer = null;
        byte[]? scratch = null;
        using var handshake = new CancellationTokenSource(_router.HandshakeTimeout, _router.Time);
        using var receiving = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, handshake.Token);
        var token = receiving.Token;
        var pong = new byte[32];
        try
        {
            while (true)
            {
                Release(ref buffer);
                await WaitWhilePausedAsync(cancellationToken).ConfigureAwait(false);

                // One WebSocket message: flags and a frame body, kept while it fits the limit, else only counted.
                var length = 0;
                long size = 0;
                var kept = true;
                while (true)
                {
                    if (kept && buffer is not null && length == buffer.Length)
                    {
                        if (buffer.Length > limit)
                        {
                            kept = false;
                        }
                        else
                        {
                            var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(limit + 1, (long)buffer.Length * 2));
                            buffer.AsSpan(0, length).CopyTo(larger);
                            ArrayPool<byte>.Shared.Return(buffer);
                            buffer = larger;
                        }
                    }

                    ValueWebSocketReceiveResult result;
                    try
                    {
                        var into = buffer is null ? Memory<byte>.Empty
                            : kept ? buffer.AsMemory(length)
                            : (scratch ??= ArrayPool<byte>.Shared.Rent(InitialBuffer)).AsMemory();
                        result = await _socket.ReceiveAsync(into, token).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException
                        && !_zws.Ready && handshake.IsCancellationRequested)
                    {
                        return (WebSocketCloseStatus.PolicyViolation, "no ZWS 2.0 handshake within the handshake timeout");
                    }

                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return null;
                    }

                    if (result.MessageType == WebSocketMessageType.Text)
                    {
                        return (WebSocketCloseStatus.InvalidMessageType, "a text message (ZWS 2.0 frames are binary messages)");
                    }

                    size += result.Count;
                    if (kept)
                    {
                        length += result.Count;
                    }

                    if (result.EndOfMessage)
                    {
                        break;
                    }

                    // Data has come (the first, zero-byte receive returned): now the message needs a buffer.
                    buffer ??= ArrayPool<byte>.Shared.Rent(InitialBuffer);
                }

                var received = _zws.Receive(buffer is null ? [] : buffer.AsSpan(0, kept ? length : 1), size, kept, limit, pong);
                switch (received.Kind)
                {
                    case ZwsReceivedKind.Close:
                        return (received.Status, received.Why!);
                    case ZwsReceivedKind.Ready:
                        handshake.CancelAfter(Timeout.InfiniteTimeSpan);
                        _router.Post(new ZwsInbound(this, ZwsInboundKind.Ready, Identity: received.Identity));
                        break;
                    case ZwsReceivedKind.Pong:
                        var answer = ArrayPool<byte>.Shared.Rent(received.PongLength);
                        pong.AsSpan(0, received.PongLength).CopyTo(answer);
                        Send(new Outbound(answer, received.PongLength, Pooled: true, Last: false));
                        break;
                    case ZwsReceivedKind.Message:
                        var message = _zws.TakeMessage();
                        if (_ended)
                        {
                            message.Release();
                        }
                        else
                        {
                            _router.Post(new ZwsInbound(this, ZwsInboundKind.Message, Message: message));
                        }

                        break;
                }

                Release(ref buffer);
            }
        }
        finally
        {
            _zws.Release();
            Release(ref buffer);
            Release(ref scratch);
        }
    }

    /// <summary>Waits out a pause the rate limit asked for (<see cref="PauseUntil"/>): meanwhile the peer's messages wait in TCP buffers.</summary>
    private async ValueTask WaitWhilePausedAsync(CancellationToken cancellationToken)
    {
        var time = _router.Time;
        while (true)
        {
            var resumeAt = Volatile.Read(ref _resumeAt);
            var now = time.GetTimestamp();
            if (resumeAt <= now)
            {
                return;
            }

            await Task.Delay(time.GetElapsedTime(now, resumeAt), time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Hands the receive buffer back once a message is through: the next waits with a zero-byte receive.</summary>
    private static void Release(ref byte[]? buffer)
    {
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = null;
        }
    }

    /// <summary>A close reason fits a control frame (123 bytes of UTF-8).</summary>
    private static string Shorten(string? why)
    {
        why ??= string.Empty;
        return System.Text.Encoding.UTF8.GetByteCount(why) <= 123 ? why : why[..60];
    }

    /// <summary>One WebSocket message to send, or (with <see cref="Close"/>) the close frame.</summary>
    private readonly record struct Outbound(byte[] Buffer, int Length, bool Pooled, bool Last, WebSocketCloseStatus? Close = null, string? Why = null)
    {
        public void Return()
        {
            if (Pooled)
            {
                ArrayPool<byte>.Shared.Return(Buffer);
            }
        }
    }
}
