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
/// <para>
/// Size: a message whose frames' bodies add up to more than the limit is, where the stream skips (a ROUTER), cut short
/// instead of buffered: the whole frames received before the one that passes the limit are kept (they are within the
/// limit: the envelope and headers), the rest of the message is read and thrown away as it arrives (each frame header
/// gives the bytes to skip), and the kept frames are handed on flagged with the message's whole size. The connection
/// stays. Only what cannot be skipped safely closes it: a frame or message over <see cref="SkipFactor"/> times the
/// limit (a size field that is garbage, ≥ 2^63, or a peer streaming without end), a command over the limit, or any
/// message over the limit where the stream does not skip (a DEALER).
/// </para>
/// </summary>
internal abstract class ZmtpStream : IPollable, IFlushable
{
    /// <summary>Largest frame or message accepted whatever the configured limit (a larger one closes the connection).</summary>
    public const long MaxUnit = int.MaxValue / 2;

    /// <summary>A message over the limit is skipped up to this many times the limit; beyond, the connection closes.</summary>
    public const long SkipFactor = 64;

    private readonly EventLoop _loop;
    private readonly byte[] _readBuffer;
    private readonly long _maxMessageSize;
    private readonly long _maxSkipped;
    private State _state;
    private byte[]? _kept;
    private int _keptCount;
    private int _skipHeader;
    private long _skipTotal;
    private long _skipBody;
    private bool _skipMore;
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
    private bool _readingPaused;

    /// <param name="loop">The loop that watches the socket.</param>
    /// <param name="readBuffer">Scratch for reads, shared by the streams of one loop.</param>
    /// <param name="maxMessageSize">Most bytes of a message's frame bodies together (0: <see cref="MaxUnit"/>).</param>
    /// <param name="skipOversized">
    /// True: a message over <paramref name="maxMessageSize"/> is skipped and its first frames handed on flagged (see the
    /// class remarks); false: it closes the connection.
    /// </param>
    /// <param name="connecting">True while a non-blocking connect is in progress (the first writable event completes it).</param>
    protected ZmtpStream(EventLoop loop, byte[] readBuffer, long maxMessageSize, bool skipOversized, bool connecting)
    {
        _loop = loop;
        _readBuffer = readBuffer;
        _maxMessageSize = maxMessageSize <= 0 ? MaxUnit : Math.Min(maxMessageSize, MaxUnit);
        _maxSkipped = skipOversized && maxMessageSize > 0 ? _maxMessageSize * SkipFactor : _maxMessageSize;
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

    /// <summary>True while reading is paused (<see cref="PauseReading"/>).</summary>
    public bool ReadingPaused => _readingPaused;

    /// <summary>
    /// Watched without EPOLLIN while reading is paused: EPOLLRDHUP (and the always reported EPOLLHUP and EPOLLERR) still
    /// wake it, so a peer that hangs up is read to its end and noticed.
    /// </summary>
    private uint Events => (_readingPaused ? 0 : Native.EPOLLIN) | Native.EPOLLRDHUP | (_state == State.Connecting || _waitingWritable ? Native.EPOLLOUT : 0);

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
    /// <param name="message">The frames.</param>
    /// <param name="truncatedSize">
    /// 0 for a whole message; else the message was over the size limit and skipped: <paramref name="message"/> holds
    /// only its first whole frames within the limit (maybe none), and this is the size of all its frame bodies.
    /// </param>
    protected abstract void OnMessage(ArraySegment<byte> message, long truncatedSize);

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

    /// <summary>
    /// Stops reading the socket (until <see cref="ResumeReading"/>): the peer's bytes wait in the kernel's buffers and,
    /// once those fill, in the peer's. Bytes already read are parsed as usual. Writing goes on.
    /// </summary>
    public void PauseReading()
    {
        if (_readingPaused || _state == State.Closed || Token == 0)
        {
            return;
        }

        _readingPaused = true;
        _loop.Modify(Fd, Events, Token);
    }

    /// <summary>Reads the socket again (what waited is read on the next turn).</summary>
    public void ResumeReading()
    {
        if (!_readingPaused)
        {
            return;
        }

        _readingPaused = false;
        if (_state != State.Closed)
        {
            _loop.Modify(Fd, Events, Token);
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

        var sent = Native.SendPending(Fd, _out, ref _outStart, _outCount);
        if (sent == -Native.EAGAIN)
        {
            if (!_waitingWritable)
            {
                _waitingWritable = true;
                _loop.Modify(Fd, Events, Token);
            }

            return;
        }

        if (sent < 0)
        {
            Close($"send failed: errno {-sent}", refused: false);
            return;
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
            ReturnKept();
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

            if (_kept is not null)
            {
                // Skipping the rest of a message over the limit.
                if (!Skip(rest, ref at))
                {
                    return at;
                }

                continue;
            }

            if (!Zmtp.TryReadHeader(rest, out var flags, out var size, out var headerSize))
            {
                _need = Zmtp.MaxHeaderSize;
                return at;
            }

            var isCommand = (flags & Zmtp.FlagCommand) != 0;
            if (size > (isCommand ? _maxMessageSize : _maxSkipped))
            {
                Reject($"a {size}-byte frame (the limit is {_maxMessageSize})");
                return at;
            }

            if (isCommand)
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
            if (end == -3)
            {
                // Over the limit: keep the whole frames before the one that passed it, skip the rest.
                StartSkipping(rest[..(int)needed]);
                at += (int)needed + _skipHeader;
                continue;
            }

            if (end < 0)
            {
                _need = needed;
                return at;
            }

            Deliver(new ArraySegment<byte>(array, at, end), 0);
            at += end;
        }

        return at;
    }

    private void Deliver(ArraySegment<byte> message, long truncatedSize)
    {
        try
        {
            OnMessage(message, truncatedSize);
        }
        catch (Exception ex)
        {
            // The owner's failure is not the stream's: the message is consumed and the next one parsed as usual.
            _loop.ReportError(ex);
        }
    }

    /// <summary>
    /// Length of the whole message at the start of <paramref name="data"/>; -1 if incomplete (<paramref name="needed"/>:
    /// bytes to wait for), -2 if refused; -3 if over the limit and to be skipped (<paramref name="needed"/>: the bytes of
    /// the whole frames before the one that passed it; <see cref="_skipHeader"/>, <see cref="_skipTotal"/>,
    /// <see cref="_skipBody"/> and <see cref="_skipMore"/> describe that frame and the rest).
    /// </summary>
    private int MessageEnd(ReadOnlySpan<byte> data, out long needed)
    {
        var at = 0;
        long total = 0;
        needed = 0;
        while (true)
        {
            if (!Zmtp.TryReadHeader(data[at..], out var flags, out var size, out var headerSize))
            {
                needed = at + Zmtp.MaxHeaderSize;
                return -1;
            }

            if ((flags & Zmtp.FlagCommand) != 0)
            {
                Reject("a command inside a multipart message");
                return -2;
            }

            total += size;
            if (total > _maxMessageSize)
            {
                if (total > _maxSkipped)
                {
                    Reject($"a message over the limit of {_maxMessageSize} bytes (at a {size}-byte frame)");
                    return -2;
                }

                _skipHeader = headerSize;
                _skipTotal = total;
                _skipBody = size;
                _skipMore = (flags & Zmtp.FlagMore) != 0;
                needed = at;
                return -3;
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

    /// <summary>A message passed the limit: keeps a copy of its whole frames before the one that did.</summary>
    private void StartSkipping(ReadOnlySpan<byte> kept)
    {
        _kept = ArrayPool<byte>.Shared.Rent(Math.Max(1, kept.Length));
        kept.CopyTo(_kept);
        _keptCount = kept.Length;
        _need = 0;
    }

    /// <summary>Skips bytes of a message over the limit; false when <paramref name="rest"/> is used up (or the stream closed).</summary>
    private bool Skip(ReadOnlySpan<byte> rest, ref int at)
    {
        if (_skipBody > 0)
        {
            var take = (int)Math.Min(_skipBody, rest.Length);
            at += take;
            _skipBody -= take;
            if (_skipBody > 0)
            {
                _need = 0;
                return false;
            }

            rest = rest[take..];
        }

        if (!_skipMore)
        {
            var kept = _kept!;
            try
            {
                Deliver(new ArraySegment<byte>(kept, 0, _keptCount), _skipTotal);
            }
            finally
            {
                ReturnKept();
            }

            return true;
        }

        if (!Zmtp.TryReadHeader(rest, out var flags, out var size, out var headerSize))
        {
            _need = Zmtp.MaxHeaderSize;
            return false;
        }

        if ((flags & Zmtp.FlagCommand) != 0)
        {
            Reject("a command inside a multipart message");
            return false;
        }

        _skipTotal += size;
        if (_skipTotal > _maxSkipped)
        {
            Reject($"a message of over {_skipTotal} bytes (the limit is {_maxMessageSize})");
            return false;
        }

        _skipBody = size;
        _skipMore = (flags & Zmtp.FlagMore) != 0;
        at += headerSize;
        return true;
    }

    private void ReturnKept()
    {
        if (_kept is not null)
        {
            ArrayPool<byte>.Shared.Return(_kept);
        }

        _kept = null;
        _keptCount = 0;
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
