using NetMQ;
using NetMQ.Sockets;
using ZmqGame.Transport;

namespace ZmqGame.Worker.Internal;

/// <summary>
/// The worker's one I/O thread and its connections to the broker. Everything but <see cref="Post"/> runs on that
/// thread. Where epoll exists and the broker is a <c>tcp://</c> endpoint the worker runs on ZmqGame's own ZMTP
/// transport (<see cref="ZmtpWorkerIo"/>); elsewhere, or with <c>ZMQGAME_TRANSPORT=netmq</c>, on NetMQ.
/// </summary>
internal interface IWorkerIo : IDisposable
{
    /// <summary>Starts the thread; <paramref name="tick"/> runs on it every <paramref name="interval"/>.</summary>
    void Start(string name, TimeSpan interval, Action tick);

    /// <summary>Runs <paramref name="action"/> on the I/O thread. Any thread; throws <see cref="ObjectDisposedException"/> once disposed.</summary>
    void Post(Action action);

    /// <summary>
    /// A DEALER connection to <paramref name="endpoint"/>. <paramref name="onMessage"/> gets each whole message (a reused
    /// list of fresh arrays); <paramref name="onLost"/> the end of the connection, if the transport can tell.
    /// </summary>
    IWorkerLink Connect(string endpoint, Action<List<byte[]>> onMessage, Action<string> onLost);
}

/// <summary>One slot's connection to the broker.</summary>
internal interface IWorkerLink
{
    /// <summary>Queues a message; false if it cannot be sent (connection gone, queue full).</summary>
    bool TrySend(IReadOnlyList<byte[]> frames);

    /// <summary>Closes at once, dropping what is queued.</summary>
    void Close();
}

internal static class WorkerIo
{
    /// <summary>The transport for <paramref name="broker"/> (see <see cref="IWorkerIo"/>).</summary>
    public static IWorkerIo Create(string broker, Action<Exception> onError) =>
        Native.Supported && TcpEndpoint.IsTcp(broker) && !TransportChoice.NetMqForced
            ? new ZmtpWorkerIo(onError)
            : new NetMqWorkerIo(onError);
}

/// <summary>The worker on ZmqGame's ZMTP transport: one epoll loop, each slot a <see cref="ZmtpDealer"/>.</summary>
internal sealed class ZmtpWorkerIo(Action<Exception> onError) : IWorkerIo
{
    private readonly EventLoop _loop = new(onError);
    private readonly byte[] _readBuffer = new byte[64 * 1024];
    private readonly HashSet<Link> _links = [];

    public void Start(string name, TimeSpan interval, Action tick)
    {
        _loop.TickInterval = interval;
        _loop.Tick = tick;
        _loop.Start(name);
    }

    public void Post(Action action) => _loop.Post(action);

    public IWorkerLink Connect(string endpoint, Action<List<byte[]>> onMessage, Action<string> onLost)
    {
        var link = new Link(this);
        link.Dealer = ZmtpDealer.Connect(_loop, _readBuffer, endpoint, 0, onMessage, reason =>
        {
            _links.Remove(link);
            onLost(reason);
        });
        _links.Add(link);
        return link;
    }

    /// <summary>Stops the loop (its last turn writes what is queued, such as final DISCONNECTs), then closes every connection.</summary>
    public void Dispose()
    {
        _loop.Dispose();
        foreach (var link in _links)
        {
            link.Dealer?.Close(quiet: true);
        }

        _links.Clear();
    }

    private sealed class Link(ZmtpWorkerIo io) : IWorkerLink
    {
        public ZmtpDealer? Dealer { get; set; }

        public bool TrySend(IReadOnlyList<byte[]> frames)
        {
            if (Dealer is not { IsClosed: false } dealer)
            {
                return false;
            }

            dealer.Send(frames);
            return true;
        }

        public void Close()
        {
            io._links.Remove(this);
            Dealer?.Close(quiet: true);
        }
    }
}

/// <summary>The worker on NetMQ: a poller thread, a queue for posted work, a timer, a DEALER socket per slot.</summary>
internal sealed class NetMqWorkerIo : IWorkerIo
{
    private const int ReceiveBatch = 64;
    private static readonly TimeSpan FinalLinger = TimeSpan.FromSeconds(1);

    private readonly NetMQPoller _poller = [];
    private readonly NetMQQueue<Action> _queue = new();
    private readonly HashSet<DealerSocket> _sockets = [];
    private readonly Action<Exception> _onError;
    private readonly List<byte[]> _frames = [];
    private NetMQTimer? _timer;

    public NetMqWorkerIo(Action<Exception> onError)
    {
        _onError = onError;
        _queue.ReceiveReady += (_, e) =>
        {
            for (var i = 0; i < ReceiveBatch && e.Queue.TryDequeue(out var action, TimeSpan.Zero); i++)
            {
                Guard(action);
            }
        };
        _poller.Add(_queue);
    }

    public void Start(string name, TimeSpan interval, Action tick)
    {
        _timer = new NetMQTimer(interval);
        _timer.Elapsed += (_, _) => Guard(tick);
        _poller.Add(_timer);
        _poller.RunAsync(name, isBackgroundThread: true);
    }

    public void Post(Action action) => _queue.Enqueue(action);

    public IWorkerLink Connect(string endpoint, Action<List<byte[]>> onMessage, Action<string> onLost)
    {
        var socket = new DealerSocket();
        try
        {
            // Final DISCONNECTs get this long to leave when the worker stops.
            socket.Options.Linger = FinalLinger;
            socket.Connect(endpoint);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        socket.ReceiveReady += (_, _) => Guard(() => Receive(socket, onMessage));
        _poller.Add(socket);
        _sockets.Add(socket);
        return new Link(this, socket);
    }

    /// <summary>Stops the poller, then disposes the sockets (each lingers up to a second for what it still has to send).</summary>
    public void Dispose()
    {
        if (_poller.IsRunning)
        {
            _poller.Stop();
        }

        _poller.Dispose();
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        _sockets.Clear();
        _queue.Dispose();
    }

    private void Receive(DealerSocket socket, Action<List<byte[]>> onMessage)
    {
        for (var i = 0; i < ReceiveBatch && _sockets.Contains(socket); i++)
        {
            NetMQMessage? message = null;
            if (!socket.TryReceiveMultipartMessage(TimeSpan.Zero, ref message))
            {
                return;
            }

            _frames.Clear();
            foreach (var frame in message)
            {
                _frames.Add(frame.Buffer.Length == frame.MessageSize ? frame.Buffer : frame.ToByteArray());
            }

            onMessage(_frames);
        }
    }

    private void Guard(Action action)
    {
        try
        {
            action();
        }
        catch (Exception ex)
        {
            _onError(ex);
        }
    }

    private sealed class Link(NetMqWorkerIo io, DealerSocket socket) : IWorkerLink
    {
        public bool TrySend(IReadOnlyList<byte[]> frames)
        {
            if (!io._sockets.Contains(socket))
            {
                return false;
            }

            var message = new NetMQMessage(frames.Count);
            foreach (var frame in frames)
            {
                message.Append(frame);
            }

            return socket.TrySendMultipartMessage(message);
        }

        public void Close()
        {
            if (io._sockets.Remove(socket))
            {
                io._poller.Remove(socket);
                socket.Options.Linger = TimeSpan.Zero;
                socket.Dispose();
            }
        }
    }
}
