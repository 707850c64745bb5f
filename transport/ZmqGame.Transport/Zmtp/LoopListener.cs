#if NET
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ZmqGame.Transport;

/// <summary>
/// A listening TCP socket on an <see cref="EventLoop"/>'s epoll: when it is readable, every pending connection is
/// accepted (non-blocking, TCP_NODELAY) and handed to the owner. Out of descriptors (EMFILE, ENFILE) or memory, the
/// listener is not watched until the next tick instead of spinning on a connection it cannot take, and the owner is
/// told (at most every 10 s while it lasts). Loop thread only, once constructed.
/// </summary>
internal sealed class LoopListener : IPollable, IDisposable
{
    private readonly EventLoop _loop;
    private readonly Socket _socket;
    private readonly int _fd;
    private readonly ulong _token;
    private readonly Action<int> _onAccepted;
    private readonly Action<int> _onAcceptFailed;
    private bool _paused;
    private bool _closed;
    private long _warnedAt;

    /// <param name="loop">The loop that watches it.</param>
    /// <param name="address">The address to bind (IPv6 any: dual mode).</param>
    /// <param name="port">The port; 0 picks a free one (<see cref="Port"/>).</param>
    /// <param name="backlog">The listen backlog.</param>
    /// <param name="onAccepted">Takes each accepted descriptor (and closes it when done).</param>
    /// <param name="onAcceptFailed">Accepting failed with this errno.</param>
    /// <exception cref="SocketException">The address cannot be bound.</exception>
    public LoopListener(EventLoop loop, IPAddress address, int port, int backlog, Action<int> onAccepted, Action<int> onAcceptFailed)
    {
        _loop = loop;
        _onAccepted = onAccepted;
        _onAcceptFailed = onAcceptFailed;
        _socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (address.AddressFamily == AddressFamily.InterNetworkV6)
            {
                _socket.DualMode = true;
            }

            // As libzmq: a restarted broker rebinds its port while old connections sit in TIME_WAIT.
            Native.SetReuseAddress((int)_socket.SafeHandle.DangerousGetHandle());
            _socket.Bind(new IPEndPoint(address, port));
            _socket.Listen(backlog);
            _socket.Blocking = false;
            _fd = (int)_socket.SafeHandle.DangerousGetHandle();
            _token = loop.Add(_fd, Native.EPOLLIN, this);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }

        Port = ((IPEndPoint)_socket.LocalEndPoint!).Port;
        loop.AddTick(ResumeAccepting);
    }

    /// <summary>The port bound.</summary>
    public int Port { get; }

    void IPollable.OnEvents(uint events)
    {
        while (!_closed)
        {
            var fd = Native.Accept(_fd);
            if (fd < 0)
            {
                if (fd is not -Native.EAGAIN and not -Native.EINTR and not -Native.ECONNABORTED && !_paused)
                {
                    // The pending connection stays in the backlog and the listener stays readable: not watched until the next tick.
                    _paused = true;
                    _loop.Modify(_fd, 0, _token);
                    var now = Stopwatch.GetTimestamp();
                    if (_warnedAt == 0 || now - _warnedAt > 10 * Stopwatch.Frequency)
                    {
                        _warnedAt = now;
                        _onAcceptFailed(-fd);
                    }
                }

                return;
            }

            _onAccepted(fd);
        }
    }

    /// <summary>Closes the listening socket: a new peer is refused at once.</summary>
    public void Dispose()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        _loop.Remove(_fd, _token);
        _socket.Dispose();
    }

    private void ResumeAccepting()
    {
        if (_paused && !_closed)
        {
            _paused = false;
            _loop.Modify(_fd, Native.EPOLLIN, _token);
        }
    }
}
#endif
