namespace ZmqGame.Transport.WebSocket;

/// <summary>
/// One DEALER connection over ZWS 2.0 (ZeroMQ RFC 45) with the bare <c>ZWS2.0</c> subprotocol, as a browser speaks it
/// (docs/protocol.md, "Frontend over WebSocket"). Used on its loop's turns only; the bridge's events reach it through
/// the loop's queue.
/// <list type="bullet">
/// <item>Handshake: once the socket is open the client sends its routing id (one frame, empty: <c>00</c>), and the
/// broker's first message is its own (<c>00</c>). Messages written before that wait, in order, at most
/// <see cref="MaxWaiting"/> of them.</item>
/// <item>Frames: each ZeroMQ frame is one binary message, a flags byte (<see cref="Zws.FlagMore"/>,
/// <see cref="Zws.FlagCommand"/>) and the body. A PING command is answered with PONG carrying its context; other commands
/// are ignored.</item>
/// <item>Bad input from the broker (an empty message, unknown flag bits, a command with MORE or inside a message, more
/// than <see cref="FrameBuffer.MaxFrames"/> frames, a command for a routing id) ends the connection: <c>onLost</c> says
/// why. So does the bridge's close, with the close status.</item>
/// <item><see cref="TrySend"/> refuses (false) while more than <see cref="MaxBuffered"/> bytes wait in the socket.</item>
/// </list>
/// </summary>
internal sealed class ZwsDealer : IDealerLink
{
    /// <summary>Messages that may wait for the end of the handshake.</summary>
    public const int MaxWaiting = 1024;

    /// <summary>Bytes the socket may hold unsent before <see cref="TrySend"/> refuses.</summary>
    public const long MaxBuffered = 16L * 1024 * 1024;

    private static readonly byte[] Ping = [4, (byte)'P', (byte)'I', (byte)'N', (byte)'G'];

    private readonly WebSocketConnectionLoop _loop;
    private readonly Action<List<byte[]>> _onMessage;
    private readonly Action<string> _onLost;
    private readonly Queue<byte[][]> _waiting = new();
    private readonly List<byte[]> _frames = [];
    private IWebSocketConnection? _socket;
    private string? _error;
    private State _state;

    public ZwsDealer(WebSocketConnectionLoop loop, Action<List<byte[]>> onMessage, Action<string> onLost)
    {
        _loop = loop;
        _onMessage = onMessage;
        _onLost = onLost;
    }

    private enum State
    {
        Opening,
        Handshake,
        Ready,
        Closed,
    }

    /// <summary>Opens the socket through <paramref name="bridge"/>.</summary>
    public void Open(IWebSocketBridge bridge, string url) =>
        _socket = bridge.Open(url, ZmqGameWebSocket.SubProtocol, new Events(this));

    public bool TrySend(IReadOnlyList<byte[]> frames)
    {
        switch (_state)
        {
            case State.Ready:
                return Write(frames);
            case State.Opening or State.Handshake when _waiting.Count < MaxWaiting:
                _waiting.Enqueue([.. frames]);
                return true;
            default:
                return false;
        }
    }

    public void Close()
    {
        _loop.Forget(this);
        CloseQuietly();
    }

    /// <summary>Closes without telling <c>onLost</c>.</summary>
    public void CloseQuietly()
    {
        if (_state == State.Closed)
        {
            return;
        }

        _state = State.Closed;
        _waiting.Clear();
        _frames.Clear();
        _socket?.Close();
    }

    private bool Write(IReadOnlyList<byte[]> frames)
    {
        if (_socket!.BufferedAmount > MaxBuffered)
        {
            return false;
        }

        for (var i = 0; i < frames.Count; i++)
        {
            var frame = frames[i];
            var message = new byte[frame.Length + 1];
            message[0] = i < frames.Count - 1 ? Zws.FlagMore : (byte)0;
            Buffer.BlockCopy(frame, 0, message, 1, frame.Length);
            _socket.Send(message);
        }

        return true;
    }

    private void Opened()
    {
        if (_state != State.Opening)
        {
            return;
        }

        _state = State.Handshake;
        _socket!.Send([0]); // the client's routing id: one frame, empty
    }

    private void Received(byte[] message)
    {
        if (_state is State.Closed or State.Opening)
        {
            return;
        }

        if (message.Length == 0)
        {
            Fail("broke ZWS 2.0: an empty message (no flags byte)");
            return;
        }

        var flags = message[0];
        if (!Zws.ValidFlags(flags))
        {
            Fail($"broke ZWS 2.0: unknown flag bits 0x{flags:X2}");
            return;
        }

        if (_state == State.Handshake)
        {
            if (flags != 0)
            {
                Fail("broke ZWS 2.0: its first message is not its routing id");
                return;
            }

            _state = State.Ready;
            while (_state == State.Ready && _waiting.Count > 0)
            {
                Write(_waiting.Dequeue());
            }

            return;
        }

        if ((flags & Zws.FlagCommand) != 0)
        {
            if ((flags & Zws.FlagMore) != 0 || _frames.Count > 0)
            {
                Fail("broke ZWS 2.0: a command with MORE or inside a message");
                return;
            }

            if (message.AsSpan(1).StartsWith(Ping))
            {
                Pong(message);
            }

            return;
        }

        if (_frames.Count == FrameBuffer.MaxFrames)
        {
            Fail($"sent a message of more than {FrameBuffer.MaxFrames} frames");
            return;
        }

        _frames.Add(message.AsSpan(1).ToArray());
        if ((flags & Zws.FlagMore) == 0)
        {
            try
            {
                _onMessage(_frames);
            }
            finally
            {
                _frames.Clear();
            }
        }
    }

    /// <summary>PONG for a PING (<c>02 04 "PING" ttl:2 context</c>): <c>02 04 "PONG" context</c> (<see cref="Zws.WritePong"/>).</summary>
    private void Pong(byte[] ping)
    {
        Span<byte> pong = stackalloc byte[22];
        var length = Zws.WritePong(ping.AsSpan(1), pong);
        _socket!.Send(pong[..length].ToArray());
    }

    private void Errored(string error) => _error ??= error;

    private void Closed(int code, string reason)
    {
        if (_state == State.Closed)
        {
            return;
        }

        var why = _error is null ? $"the WebSocket closed ({code}{(reason.Length > 0 ? " " + reason : string.Empty)})"
            : $"the WebSocket failed: {_error} ({code})";
        Fail(why);
    }

    private void Fail(string reason)
    {
        if (_state == State.Closed)
        {
            return;
        }

        CloseQuietly();
        _onLost(reason);
    }

    /// <summary>The bridge's events, queued for the loop's turn (any thread).</summary>
    private sealed class Events(ZwsDealer owner) : IWebSocketEvents
    {
        public void OnOpen() => owner._loop.Post(owner.Opened);

        public void OnMessage(byte[] message) => owner._loop.Post(() => owner.Received(message));

        public void OnError(string error) => owner._loop.Post(() => owner.Errored(error));

        public void OnClose(int code, string reason) => owner._loop.Post(() => owner.Closed(code, reason));
    }
}
