using System.Buffers;

namespace ZmqGame.Transport;

/// <summary>
/// One ZMTP 3.1 connection on a non-blocking socket watched by an <see cref="EventLoop"/>: it reads once per turn,
/// parses the peer's greeting, its READY and then whole messages (a message is handed on only when all its frames are
/// in), answers PING, and queues what is written until the end of the turn, when <see cref="Flush"/> sends it with as
/// few system calls as the kernel allows. Subclasses say which peers they accept and what a message means.
/// Touched by the loop thread only.
/// <para>
/// The handshake order (ZeroMQ RFC 23 and RFC 37, NULL mechanism), in both roles: our greeting and READY go out at
/// once; the peer's greeting, then its READY, are read and checked; only then does any message go out. Messages
/// written before that are held, in order, and queued behind the handshake the moment the peer's READY is accepted
/// (libzmq refuses a message that arrives before it has sent its own READY, ZMTP_UNEXPECTED_COMMAND). A message or a
/// command other than READY from the peer before its READY refuses it.
/// </para>
/// </summary>
internal abstract class ZmtpStream : IPollable, IFlushable
{
    /// <summary>Largest frame or message accepted whatever the configured limit (a larger one closes the connection).</summary>
    public const long MaxUnit = int.MaxValue / 2;

    private readonly EventLoop _loop;
    private readonly byte[] _readBuffer;
    private readonly long _maxFrameSize;
    private State _state;
    private long _need;
    private byte[]? _stash;
    private int _stashCount;
    private byte[]? _out;
    private int _outStart;
    private int _outCount;
    private byte[]? _held;
    private int _heldCount;
    private bool _flushRequested;
    private bool _waitingWritable;

    /// <param name="loop">The loop that watches the socket.</param>
    /// <param name="readBuffer">Scratch for reads, shared by the streams of one loop.</param>
    /// <param name="maxFrameSize">A larger frame closes the connection (0: <see cref="MaxUnit"/>).</param>
    /// <param name="connecting">True while a non-blocking connect is in progress (the first writable event completes it).</param>
    protected ZmtpStream(EventLoop loop, byte[] readBuffer, long maxFrameSize, bool connecting)
    {
        _loop = loop;
        _readBuffer = readBuffer;
        _maxFrameSize = maxFrameSize <= 0 ? MaxUnit : Math.Min(maxFrameSize, MaxUnit);
        _state = connecting ? State.Connecting : State.Greeting;
    }

    private enum State
    {
        Connecting,
        Greeting,
        Handshake,
        Ready,
        Closed,
    }

    /// <summary>The socket's descriptor; set by the subclass before <see cref="Watch"/>.</summary>
    protected int Fd { get; set; } = -1;

    public bool IsClosed => _state == State.Closed;

    /// <summary>Ready or closed: no longer subject to a handshake timeout.</summary>
    public bool PastHandshake => _state is State.Ready or State.Closed;

    /// <summary>Messages queued since the output was last empty (for a high watermark).</summary>
    public int Queued { get; set; }

    private uint Events => Native.EPOLLIN | Native.EPOLLRDHUP | (_state == State.Connecting || _waitingWritable ? Native.EPOLLOUT : 0);

    private ulong Token { get; set; }

    /// <summary>Starts watching the socket; queues <paramref name="hello"/> (greeting and READY) first.</summary>
    protected void Watch(byte[] hello)
    {
        Token = _loop.Add(Fd, Events, this);
        WriteRaw(hello);
    }

    /// <summary>The peer's READY: null to go on (record what is needed), else why the peer is refused.</summary>
    protected abstract string? OnPeerReady(ReadOnlySpan<byte> readyBody);

    /// <summary>
    /// One whole message: its frames, each with its ZMTP header (<see cref="Zmtp.NextFrame"/> walks them). The bytes are
    /// the stream's read buffer: valid during the call only.
    /// </summary>
    protected abstract void OnMessage(ArraySegment<byte> message);

    /// <summary>The connection closed: by the peer, by an error, or refused for breaking the protocol (<paramref name="refused"/>); <paramref name="why"/> says which.</summary>
    protected abstract void OnClosed(bool wasReady, string why, bool refused);

    /// <summary>Closes the socket (after it left the loop).</summary>
    protected virtual void CloseSocket() => Native.Close(Fd);

    public void OnEvents(uint events)
    {
        if (_state == State.Connecting)
        {
            if ((events & (Native.EPOLLOUT | Native.EPOLLERR | Native.EPOLLHUP)) == 0)
            {
                return;
            }

            if (Native.SocketError(Fd) is var error and not 0)
            {
                Close($"connect failed: errno {error}", refused: false);
                return;
            }

            _state = State.Greeting;
            _loop.Modify(Fd, Events, Token);
            RequestFlush();
            return;
        }

        if ((events & Native.EPOLLOUT) != 0)
        {
            Flush();
        }

        if (_state != State.Closed && (events & (Native.EPOLLIN | Native.EPOLLRDHUP | Native.EPOLLHUP | Native.EPOLLERR)) != 0)
        {
            Read();
        }
    }

    /// <summary>Queues one frame; before the peer's READY, holds it until then.</summary>
    public void WriteFrame(ReadOnlySpan<byte> frame, bool more)
    {
        Span<byte> header = stackalloc byte[Zmtp.MaxHeaderSize];
        var headerSize = Zmtp.WriteHeader(header, frame.Length, more);
        if (_state != State.Ready)
        {
            Hold(header[..headerSize], frame);
            return;
        }

        Reserve(headerSize + frame.Length);
        header[..headerSize].CopyTo(_out.AsSpan(_outCount));
        frame.CopyTo(_out.AsSpan(_outCount + headerSize));
        _outCount += headerSize + frame.Length;
        RequestFlush();
    }

    /// <summary>Queues bytes already framed (greeting, commands).</summary>
    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        if (_state == State.Closed)
        {
            return;
        }

        Reserve(bytes.Length);
        bytes.CopyTo(_out.AsSpan(_outCount));
        _outCount += bytes.Length;
        RequestFlush();
    }

    public void Flush()
    {
        _flushRequested = false;
        if (_state is State.Closed or State.Connecting || _out is null)
        {
            return;
        }

        while (_outStart < _outCount)
        {
            var n = Native.Send(Fd, _out.AsSpan(_outStart, _outCount - _outStart));
            if (n == -Native.EINTR)
            {
                continue;
            }

            if (n == -Native.EAGAIN)
            {
                if (!_waitingWritable)
                {
                    _waitingWritable = true;
                    _loop.Modify(Fd, Events, Token);
                }

                return;
            }

            if (n < 0)
            {
                Close($"send failed: errno {-n}", refused: false);
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
            _loop.Modify(Fd, Events, Token);
        }
    }

    /// <summary>Closes the connection for breaking the protocol (or a handshake timeout).</summary>
    public void Reject(string why) => Close(why, refused: true);

    /// <summary>Closes the connection; <see cref="OnClosed"/> runs unless <paramref name="quiet"/>.</summary>
    public void Close(bool quiet = false) => Close("closed here", refused: false, quiet);

    private void Close(string why, bool refused, bool quiet = false)
    {
        if (_state == State.Closed)
        {
            return;
        }

        var wasReady = _state == State.Ready;
        _state = State.Closed;
        if (Token != 0)
        {
            _loop.Remove(Fd, Token);
        }

        try
        {
            // Before the socket closes: whoever sees the close (a peer, a test) sees it counted.
            if (!quiet)
            {
                OnClosed(wasReady, why, refused);
            }
        }
        finally
        {
            CloseSocket();
            ReturnStash();
            if (_out is not null)
            {
                ArrayPool<byte>.Shared.Return(_out);
                _out = null;
            }

            ReturnHeld();
        }
    }

    private void Read()
    {
        var fromStash = _stashCount > 0;
        var target = fromStash ? _stash.AsSpan(_stashCount) : _readBuffer;
        var n = Native.Receive(Fd, target);
        if (n == -Native.EAGAIN || n == -Native.EINTR)
        {
            return;
        }

        if (n <= 0)
        {
            // A peer that hangs up before its READY has refused the handshake (libzmq does so without a word).
            var during = _state == State.Ready ? string.Empty : " during the ZMTP handshake (it refused our greeting or READY)";
            Close(n == 0 ? "closed by the peer" + during : $"receive failed: errno {-n}{during}", refused: false);
            return;
        }

        var array = fromStash ? _stash! : _readBuffer;
        var length = fromStash ? _stashCount + n : n;
        var used = Parse(array, length);
        var data = array.AsSpan(0, length);
        if (_state == State.Closed)
        {
            return;
        }

        // Keep the unfinished unit (greeting, command or message) at the start of the stash, with room for the rest of
        // it and for the next read.
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

    /// <summary>Consumes every whole unit (greeting, command, message) in the first <paramref name="length"/> bytes of <paramref name="array"/>; returns bytes used.</summary>
    private int Parse(byte[] array, int length)
    {
        var at = 0;
        while (_state != State.Closed)
        {
            var rest = array.AsSpan(at, length - at);
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

            if (size > _maxFrameSize)
            {
                Reject($"a {size}-byte frame (the limit is {_maxFrameSize})");
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

            try
            {
                OnMessage(new ArraySegment<byte>(array, at, end));
            }
            catch (Exception ex)
            {
                // The owner's failure is not the stream's: the message is consumed and the next one parsed as usual.
                _loop.ReportError(ex);
            }

            at += end;
        }

        return at;
    }

    /// <summary>Length of the whole message at the start of <paramref name="data"/>; -1 if incomplete, -2 if refused.</summary>
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

            if (size > _maxFrameSize || (flags & Zmtp.FlagCommand) != 0)
            {
                Reject(size > _maxFrameSize ? $"a {size}-byte frame (the limit is {_maxFrameSize})" : "a command inside a multipart message");
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

    private void Command(ReadOnlySpan<byte> body)
    {
        switch (Zmtp.Classify(body))
        {
            case Zmtp.CommandKind.Ready when _state == State.Handshake:
                if (OnPeerReady(body) is { } bad)
                {
                    Reject(bad);
                    return;
                }

                if (_state != State.Closed)
                {
                    _state = State.Ready;
                    ReleaseHeld();
                }

                break;
            case Zmtp.CommandKind.Ping when _state == State.Ready:
                Span<byte> pong = stackalloc byte[32];
                WriteRaw(pong[..Zmtp.WritePong(body, pong)]);
                break;
            case Zmtp.CommandKind.Error:
                Close("the peer sent ERROR", refused: false);
                break;
            case Zmtp.CommandKind.Ready:
                Reject("a second READY");
                break;
            default:
                if (_state != State.Ready)
                {
                    Reject("a command other than READY during the handshake");
                }

                // Other commands once ready (PONG, SUBSCRIBE…) mean nothing here.
                break;
        }
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

    /// <summary>Keeps a frame (its encoded header and its bytes) written before the peer's READY; nothing once closed.</summary>
    private void Hold(ReadOnlySpan<byte> header, ReadOnlySpan<byte> frame)
    {
        if (_state == State.Closed)
        {
            return;
        }

        var size = header.Length + frame.Length;
        if (_held is null || _held.Length - _heldCount < size)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(512, Math.Max((_held?.Length ?? 0) * 2, _heldCount + size)));
            if (_held is not null)
            {
                Buffer.BlockCopy(_held, 0, bigger, 0, _heldCount);
                ArrayPool<byte>.Shared.Return(_held);
            }

            _held = bigger;
        }

        header.CopyTo(_held.AsSpan(_heldCount));
        frame.CopyTo(_held.AsSpan(_heldCount + header.Length));
        _heldCount += size;
    }

    /// <summary>The peer's READY is accepted: what was held goes out behind the handshake, in order.</summary>
    private void ReleaseHeld()
    {
        if (_held is not null)
        {
            WriteRaw(_held.AsSpan(0, _heldCount));
            ReturnHeld();
        }
    }

    private void ReturnHeld()
    {
        if (_held is not null)
        {
            ArrayPool<byte>.Shared.Return(_held);
        }

        _held = null;
        _heldCount = 0;
    }

    private void RequestFlush()
    {
        if (!_flushRequested && !_waitingWritable)
        {
            _flushRequested = true;
            _loop.RequestFlush(this);
        }
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
}
