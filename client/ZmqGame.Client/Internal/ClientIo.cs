using NetMQ;
using NetMQ.Sockets;

namespace ZmqGame.Client.Internal;

/// <summary>
/// A client's own I/O thread and its connection to the broker. Everything but <see cref="Wake"/> and
/// <see cref="Stop"/> runs on that thread. On .NET 10 under Linux, for a <c>tcp://</c> broker without CURVE, it is
/// ZmqGame's own ZMTP transport (one epoll loop); elsewhere (Unity, Windows, macOS, CURVE, other transports, or with
/// <c>ZMQGAME_TRANSPORT=netmq</c>) NetMQ.
/// </summary>
internal interface IClientIo : IDisposable
{
    /// <summary>Starts the thread. <paramref name="onWake"/> runs on it after <see cref="Wake"/>; <paramref name="onExit"/> runs on it last.</summary>
    void Start(string name, Action onWake, Action onExit);

    /// <summary>Has the thread run its wake handler soon. Any thread.</summary>
    void Wake();

    /// <summary>Ends the thread (after its exit handler). Any thread; returns at once.</summary>
    void Stop();

    /// <summary>
    /// A DEALER connection to <paramref name="endpoint"/>: each whole message goes to <paramref name="onMessage"/> (a reused
    /// list of fresh arrays), the end of the connection (when the transport can tell) to <paramref name="onLost"/>.
    /// </summary>
    IClientLink Connect(string endpoint, Action<List<byte[]>> onMessage, Action<string> onLost);
}

/// <summary>The connection to the broker.</summary>
internal interface IClientLink
{
    /// <summary>Queues a message without waiting; false if it cannot go (queue full, connection gone).</summary>
    bool TrySend(IReadOnlyList<byte[]> frames);

    /// <summary>Closes at once, dropping what is queued.</summary>
    void Close();
}

internal static class ClientIo
{
    public static IClientIo Create(string endpoint, byte[]? serverKey, Action<Exception> onError)
    {
#if NET
        if (serverKey is null && Transport.Native.Supported && Transport.TcpEndpoint.IsTcp(endpoint) && !Transport.TransportChoice.NetMqForced)
        {
            return new ZmtpClientIo(onError);
        }
#endif
        return new NetMqClientIo(serverKey, onError);
    }
}

#if NET
/// <summary>The client on ZmqGame's ZMTP transport.</summary>
internal sealed class ZmtpClientIo(Action<Exception> onError) : IClientIo
{
    private readonly Transport.EventLoop _loop = new(onError);
    private readonly byte[] _readBuffer = new byte[64 * 1024];
    private Transport.ZmtpDealer? _dealer;

    public void Start(string name, Action onWake, Action onExit)
    {
        _loop.TickInterval = Timeout.InfiniteTimeSpan;
        _loop.AddSource(onWake);
        _loop.OnExit = onExit;
        _loop.Start(name);
    }

    public void Wake() => _loop.Wake();

    public void Stop() => _loop.RequestStop();

    public IClientLink Connect(string endpoint, Action<List<byte[]>> onMessage, Action<string> onLost)
    {
        var dealer = Transport.ZmtpDealer.Connect(_loop, _readBuffer, endpoint, 0, onMessage, onLost);
        _dealer = dealer;
        return new Link(dealer);
    }

    public void Dispose()
    {
        _loop.Dispose();
        _dealer?.Close(quiet: true);
    }

    private sealed class Link(Transport.ZmtpDealer dealer) : IClientLink
    {
        public bool TrySend(IReadOnlyList<byte[]> frames)
        {
            if (dealer.IsClosed)
            {
                return false;
            }

            dealer.Send(frames);
            return true;
        }

        public void Close() => dealer.Close(quiet: true);
    }
}
#endif

/// <summary>The client on NetMQ: a poller thread, a queue to wake it, a DEALER socket (CURVE when the broker has a key).</summary>
internal sealed class NetMqClientIo : IClientIo
{
    private const int MaxBatch = 256;

    private readonly NetMQPoller _poller = [];
    private readonly NetMQQueue<bool> _wake = new();
    private readonly byte[]? _serverKey;
    private readonly NetMQCertificate? _certificate;
    private readonly Action<Exception> _onError;
    private readonly List<byte[]> _frames = [];
    private DealerSocket? _socket;
    private int _wakePending;

    public NetMqClientIo(byte[]? serverKey, Action<Exception> onError)
    {
        _serverKey = serverKey;
        _certificate = serverKey is null ? null : new NetMQCertificate();
        _onError = onError;
        _poller.Add(_wake);
    }

    public void Start(string name, Action onWake, Action onExit)
    {
        _wake.ReceiveReady += (_, e) =>
        {
            while (e.Queue.TryDequeue(out bool _, TimeSpan.Zero))
            {
            }

            Volatile.Write(ref _wakePending, 0);
            onWake();
        };
        var thread = new Thread(() =>
        {
            try
            {
                _poller.Run();
            }
            catch (Exception ex)
            {
                _onError(ex);
            }
            finally
            {
                onExit();
            }
        })
        { IsBackground = true, Name = name };
        thread.Start();
    }

    public void Wake()
    {
        if (Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            _wake.Enqueue(true);
        }
    }

    public void Stop() => _poller.StopAsync();

    public IClientLink Connect(string endpoint, Action<List<byte[]>> onMessage, Action<string> onLost)
    {
        var socket = new DealerSocket();
        socket.Options.Linger = TimeSpan.Zero;
        if (_serverKey is not null)
        {
            socket.Options.CurveServerKey = _serverKey;
            socket.Options.CurveCertificate = _certificate!;
        }

        try
        {
            socket.Connect(endpoint);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        socket.ReceiveReady += (_, _) => Receive(socket, onMessage);
        _poller.Add(socket);
        _socket = socket;
        return new Link(this, socket);
    }

    public void Dispose()
    {
        _poller.Dispose();
        _socket?.Dispose();
        _wake.Dispose();
    }

    private void Receive(DealerSocket socket, Action<List<byte[]>> onMessage)
    {
        NetMQMessage? message = null;
        for (var i = 0; i < MaxBatch && ReferenceEquals(socket, _socket) && socket.TryReceiveMultipartMessage(TimeSpan.Zero, ref message); i++)
        {
            _frames.Clear();
            foreach (var frame in message)
            {
                _frames.Add(frame.Buffer.Length == frame.MessageSize ? frame.Buffer : frame.ToByteArray());
            }

            message = null;
            try
            {
                onMessage(_frames);
            }
            catch (Exception ex)
            {
                _onError(ex);
            }
        }
    }

    private sealed class Link(NetMqClientIo io, DealerSocket socket) : IClientLink
    {
        public bool TrySend(IReadOnlyList<byte[]> frames)
        {
            if (!ReferenceEquals(io._socket, socket))
            {
                return false;
            }

            var message = new NetMQMessage(frames.Count);
            foreach (var frame in frames)
            {
                message.Append(frame);
            }

            return socket.TrySendMultipartMessage(TimeSpan.Zero, message);
        }

        public void Close()
        {
            if (ReferenceEquals(io._socket, socket))
            {
                io._socket = null;
                io._poller.Remove(socket);
                socket.Dispose();
            }
        }
    }
}
