using System.Buffers;
using System.Net;
using System.Net.WebSockets;

namespace ZmqGame.Broker.WebSocket;

/// <summary>
/// One connection of the WebSocket frontend served in the broker's loop (<see cref="WebSocketLoopServer"/>): a
/// non-blocking socket on the loop's epoll, read once per turn when readable. First the HTTP/1.1 upgrade request
/// (<see cref="WebSocketHandshake"/>), answered 101 or refused; then RFC 6455 frames (<see cref="WebSocketFraming"/>):
/// masked client frames, fragments gathered into one WebSocket message (one ZeroMQ frame), control frames answered
/// (ping with pong, close with close), and each whole message given to ZWS 2.0 (<see cref="ZwsReceiver"/>), whose
/// messages go to the <see cref="WebSocketRouter"/> at once. What the router sends is framed into one buffer and
/// written at the end of the turn, one send for everything the turn queued. No thread, task or queue per frame; the
/// loop thread only.
/// </summary>
internal sealed partial class WebSocketLoopConnection : IPollable, IFlushable, IZwsConnection
{
    /// <summary>The first size of the buffer a WebSocket message is gathered in; it grows up to the size limit.</summary>
    private const int InitialBuffer = 4096;

    private readonly WebSocketLoopServer _server;
    private readonly WebSocketRouter _router;
    private readonly EventLoop _loop;
    private readonly int _fd;
    private readonly byte[] _header = new byte[WebSocketFraming.MaxClientHeader];
    private ulong _token;
    private State _state;
    private bool _refused;
    private byte[]? _head;
    private int _headCount;
    private int _headerCount;
    private bool _inFrame;
    private ClientFrameHeader _frame;
    private long _frameDone;
    private bool _inMessage;
    private byte[]? _message;
    private int _messageCount;
    private long _messageSize;
    private bool _messageWhole;
    private byte[]? _control;
    private int _controlCount;
    private ZwsReceiver? _zws;
    private byte[]? _out;
    private int _outStart;
    private int _outCount;
    private bool _flushRequested;
    private bool _waitingWritable;
    private bool _readingPaused;
    private bool _closeWhenFlushed;
    private int _queued;

    /// <param name="server">The frontend it belongs to.</param>
    /// <param name="fd">The accepted socket (non-blocking).</param>
    /// <param name="address">The peer's address (IPv6, IPv4 mapped), for the per-IP limits.</param>
    public WebSocketLoopConnection(WebSocketLoopServer server, int fd, UInt128 address)
    {
        _server = server;
        _router = server.Router;
        _loop = server.Loop;
        _fd = fd;
        Address = address;
    }

    private enum State
    {
        /// <summary>Reading the HTTP upgrade request.</summary>
        Head,

        /// <summary>Upgraded: WebSocket frames both ways.</summary>
        Open,

        /// <summary>A close frame was sent: the peer's is awaited (until <see cref="Deadline"/>), anything else dropped.</summary>
        Closing,

        Closed,
    }

    /// <summary>The peer's address, as the per-IP limits key it.</summary>
    public UInt128 Address { get; }

    /// <summary>The accept filter admitted it: it hears when the connection closes.</summary>
    public bool Admitted { get; private set; }

    /// <summary>When the current wait (the request head, the ZWS handshake, the peer's close frame) runs out, on the router's clock; 0: none.</summary>
    public long Deadline { get; private set; }

    /// <summary>While reading is paused: when it resumes (a timestamp of the router's clock).</summary>
    public long ResumeAt { get; private set; }

    public bool IsClosed => _state == State.Closed;

    /// <summary>In the server's list of connections with a <see cref="Deadline"/>.</summary>
    public bool Timed { get; set; }

    public byte[]? Identity { get; set; }

    public bool Ended => _state != State.Open;

    /// <summary>Watched without EPOLLIN while reading is paused: a hang-up (EPOLLRDHUP) is still noticed.</summary>
    private uint Events => (_readingPaused ? 0 : Native.EPOLLIN) | Native.EPOLLRDHUP | (_waitingWritable ? Native.EPOLLOUT : 0);

    /// <summary>Starts watching the socket; the request head is due within the handshake timeout.</summary>
    public void Start()
    {
        _token = _loop.Add(_fd, Events, this);
        Deadline = After(_router.HandshakeTimeout);
    }

    public void OnEvents(uint events)
    {
        if ((events & Native.EPOLLOUT) != 0)
        {
            Flush();
        }

        if (_state != State.Closed && (events & (Native.EPOLLIN | Native.EPOLLRDHUP | Native.EPOLLHUP | Native.EPOLLERR)) != 0)
        {
            Read();
        }
    }

    public bool TryReserve(int highWatermark)
    {
        if (_state != State.Open || _queued >= highWatermark)
        {
            return false;
        }

        _queued++;
        return true;
    }

    public void Enqueue(ReadOnlySpan<byte> frame, bool more)
    {
        if (_state != State.Open)
        {
            return;
        }

        Span<byte> header = stackalloc byte[WebSocketFraming.MaxServerHeader];
        var headerSize = WebSocketFraming.WriteServerHeader(header, WebSocketFraming.Binary, frame.Length + 1L);
        var into = Reserve(headerSize + 1 + frame.Length);
        header[..headerSize].CopyTo(into);
        into[headerSize] = more ? Zws.FlagMore : (byte)0;
        frame.CopyTo(into[(headerSize + 1)..]);
        RequestFlush();
    }

    public void PauseUntil(long resumeAt)
    {
        if (resumeAt > ResumeAt)
        {
            ResumeAt = resumeAt;
        }

        if (_readingPaused || _state == State.Closed)
        {
            return;
        }

        _readingPaused = true;
        _loop.Modify(_fd, Events, _token);
        _server.Paused(this);
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
            _loop.Modify(_fd, Events, _token);
        }
    }

    public void Close(WebSocketCloseStatus status, string why) => SendClose(status, why);

    public void Abort() => CloseSocket(notify: false);

    /// <summary>The wait named by <see cref="Deadline"/> ran out. Loop thread (the server's tick).</summary>
    public void OnDeadline()
    {
        Deadline = 0;
        switch (_state)
        {
            case State.Head:
                if (!_refused)
                {
                    _router.OnRejected(null, "no WebSocket upgrade request within the handshake timeout from " + Describe(Address));
                }

                CloseSocket(notify: true);
                break;
            case State.Open:
                Reject(WebSocketCloseStatus.PolicyViolation, "no ZWS 2.0 handshake within the handshake timeout");
                break;
            case State.Closing:
                CloseSocket(notify: true);
                break;
        }
    }

    public void Flush()
    {
        _flushRequested = false;
        if (_state == State.Closed)
        {
            return;
        }

        var sent = _out is null ? 0 : Native.SendPending(_fd, _out, ref _outStart, _outCount);
        if (sent == -Native.EAGAIN)
        {
            if (!_waitingWritable)
            {
                _waitingWritable = true;
                _loop.Modify(_fd, Events, _token);
            }

            return;
        }

        if (sent < 0)
        {
            CloseSocket(notify: true);
            return;
        }

        ReturnOut();
        _queued = 0;
        if (_waitingWritable)
        {
            _waitingWritable = false;
            _loop.Modify(_fd, Events, _token);
        }

        if (_closeWhenFlushed)
        {
            CloseSocket(notify: true);
        }
    }

    /// <summary>Closes the socket at once; with <paramref name="notify"/> the router and the accept filter hear of it.</summary>
    public void CloseSocket(bool notify)
    {
        if (_state == State.Closed)
        {
            return;
        }

        var upgraded = _state != State.Head;
        _state = State.Closed;
        _loop.Remove(_fd, _token);
        Native.Close(_fd);
        ReturnOut();
        Return(ref _head);
        Return(ref _message);
        _zws?.Release();
        _server.Closed(this);
        if (notify && upgraded)
        {
            _router.OnGone(this);
        }
    }

    /// <summary>A timestamp of the router's clock <paramref name="span"/> from now.</summary>
    private long After(TimeSpan span) => _router.Time.GetTimestamp() + (long)(span.TotalSeconds * _router.Time.TimestampFrequency);

    private static string Describe(UInt128 address)
    {
        Span<byte> bytes = stackalloc byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt128BigEndian(bytes, address);
        var ip = new IPAddress(bytes);
        return (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString();
    }

    private static void Return(ref byte[]? buffer)
    {
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = null;
        }
    }

    private void Read()
    {
        var buffer = _server.ReadBuffer;
        var n = Native.Receive(_fd, buffer);
        if (n == -Native.EAGAIN || n == -Native.EINTR)
        {
            return;
        }

        if (n <= 0)
        {
            // The peer hung up (or the connection broke): it is gone.
            CloseSocket(notify: true);
            return;
        }

        var data = buffer.AsSpan(0, n);
        if (_state == State.Head)
        {
            ReadHead(data);
        }
        else
        {
            ReadFrames(data);
        }
    }

    /// <summary>Gathers the request head; once whole, answers it, and reads what came after it as frames.</summary>
    private void ReadHead(Span<byte> data)
    {
        if (_refused)
        {
            // Answered and closing: whatever else the peer sends is dropped.
            return;
        }

        _head ??= ArrayPool<byte>.Shared.Rent(WebSocketHandshake.MaxHead);
        var searchFrom = Math.Max(0, _headCount - 3);
        var take = Math.Min(data.Length, WebSocketHandshake.MaxHead - _headCount);
        data[..take].CopyTo(_head.AsSpan(_headCount));
        _headCount += take;
        var end = WebSocketHandshake.HeadEnd(_head.AsSpan(searchFrom, _headCount - searchFrom));
        if (end < 0)
        {
            if (_headCount == WebSocketHandshake.MaxHead)
            {
                _router.OnRejected(null, $"a request head over {WebSocketHandshake.MaxHead} bytes from " + Describe(Address));
                Refuse(431, null);
            }

            return;
        }

        end += searchFrom;
        Upgrade(_head.AsSpan(0, end));
        if (_state == State.Open)
        {
            // A client may send its first frames right behind the request.
            ReadFrames(_head.AsSpan(end, _headCount - end));
            if (_state != State.Closed)
            {
                ReadFrames(data[take..]);
            }
        }

        if (_state != State.Closed)
        {
            Return(ref _head);
            _headCount = 0;
        }
    }

    /// <summary>Answers a whole request head as the Kestrel path does: 503, 429, 404 or 400, else 101 and the broker's ZWS greeting.</summary>
    private void Upgrade(ReadOnlySpan<byte> head)
    {
        if (!_router.Accepting)
        {
            Refuse(503, null);
            return;
        }

        if (_router.AcceptFilter is { } filter)
        {
            // The per-IP limits, as the TCP transport applies them at accept: counted and logged by the limiter.
            if (!filter.TryAccept(Address))
            {
                Refuse(429, null);
                return;
            }

            Admitted = true;
        }

        var request = WebSocketHandshake.Read(head, _server.Path);
        if (request.Status != 101)
        {
            if (request.Refusal is not null)
            {
                _router.OnRejected(null, request.Refusal + " from " + Describe(Address));
            }

            Refuse(request.Status, request.Refusal);
            return;
        }

        var nullMechanism = request.Protocol == Zws.NullProtocol;
        WriteRaw(WebSocketHandshake.Switching(request.Key!, request.Protocol!));
        WriteMessage(WebSocketFraming.Binary, nullMechanism ? Zws.ReadyMessage : Zws.RoutingIdMessage);
        _zws = new ZwsReceiver(nullMechanism);
        _state = State.Open;
        Deadline = After(_router.HandshakeTimeout);
        _server.Timed(this);
    }

    private void Refuse(int status, string? why)
    {
        _refused = true;
        WriteRaw(WebSocketHandshake.Refusal(status, why));
        _closeWhenFlushed = true;
    }

    /// <summary>The peer broke RFC 6455 or ZWS 2.0: counted, and the connection closed with a close frame saying why.</summary>
    private void Reject(WebSocketCloseStatus status, string why)
    {
        if (_state != State.Open)
        {
            CloseSocket(notify: true);
            return;
        }

        _router.OnRejected(this, why);
        SendClose(status, why);
    }

    /// <summary>Sends a close frame behind what is queued; the peer's close frame is awaited for a while, nothing else is handed on.</summary>
    private void SendClose(WebSocketCloseStatus status, string why)
    {
        if (_state != State.Open)
        {
            return;
        }

        Span<byte> payload = stackalloc byte[WebSocketFraming.MaxControlPayload];
        WriteMessage(WebSocketFraming.CloseOpcode, payload[..WebSocketFraming.WriteClosePayload(payload, status, why)]);
        _state = State.Closing;
        Deadline = After(WebSocketLoopServer.CloseWait);
        _server.Timed(this);
    }

    private void WriteMessage(byte opcode, ReadOnlySpan<byte> payload)
    {
        Span<byte> header = stackalloc byte[WebSocketFraming.MaxServerHeader];
        var headerSize = WebSocketFraming.WriteServerHeader(header, opcode, payload.Length);
        var into = Reserve(headerSize + payload.Length);
        header[..headerSize].CopyTo(into);
        payload.CopyTo(into[headerSize..]);
        RequestFlush();
    }

    private void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Reserve(bytes.Length));
        RequestFlush();
    }

    /// <summary>Room for <paramref name="bytes"/> more at the end of the output, counted as written.</summary>
    private Span<byte> Reserve(int bytes)
    {
        if (_out is null)
        {
            _out = ArrayPool<byte>.Shared.Rent(Math.Max(512, bytes));
        }
        else if (_out.Length - _outCount < bytes)
        {
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

        var span = _out.AsSpan(_outCount, bytes);
        _outCount += bytes;
        return span;
    }

    private void ReturnOut()
    {
        Return(ref _out);
        _outStart = 0;
        _outCount = 0;
    }

    private void RequestFlush()
    {
        if (!_flushRequested && !_waitingWritable && _state != State.Closed)
        {
            _flushRequested = true;
            _loop.RequestFlush(this);
        }
    }
}
