using System.Net;
using System.Net.Sockets;

namespace ZmqGame.Transport;

/// <summary>
/// A ZeroMQ DEALER connection on the loop: one TCP connection to a ROUTER (a broker's backend), ZMTP 3.1 with the
/// NULL mechanism. Messages written before the handshake completes wait behind it, as with any ZeroMQ socket. It
/// does not reconnect by itself: when the connection ends, <c>onClosed</c> says why and the owner decides.
/// </summary>
internal sealed class ZmtpDealer : ZmtpStream
{
    private readonly Socket _socket;
    private readonly Action<List<byte[]>> _onMessage;
    private readonly Action<string> _onClosed;
    private readonly List<byte[]> _frames = [];

    private ZmtpDealer(EventLoop loop, byte[] readBuffer, Socket socket, bool connecting, int maxFrameSize,
        Action<List<byte[]>> onMessage, Action<string> onClosed)
        : base(loop, readBuffer, maxFrameSize, skipOversized: false, connecting)
    {
        _socket = socket;
        _onMessage = onMessage;
        _onClosed = onClosed;
        Fd = (int)socket.SafeHandle.DangerousGetHandle();
    }

    /// <summary>
    /// Starts connecting to <paramref name="endpoint"/> (<c>tcp://host:port</c>; the name is resolved here). Throws
    /// <see cref="SocketException"/> or <see cref="ArgumentException"/> when it cannot even start.
    /// </summary>
    /// <param name="loop">The loop that will own the connection; call on its thread.</param>
    /// <param name="readBuffer">Read scratch shared by the loop's connections.</param>
    /// <param name="endpoint">Where the ROUTER listens.</param>
    /// <param name="maxFrameSize">A larger message from the peer (its frame bodies together) closes the connection (0: no limit but <see cref="ZmtpStream.MaxUnit"/>).</param>
    /// <param name="onMessage">A whole message from the peer, as frames (the list is reused: copy what you keep).</param>
    /// <param name="onClosed">The connection ended (refused, failed or closed by the peer), with why.</param>
    public static ZmtpDealer Connect(EventLoop loop, byte[] readBuffer, string endpoint, int maxFrameSize,
        Action<List<byte[]>> onMessage, Action<string> onClosed)
    {
        var (host, port) = TcpEndpoint.Split(endpoint);
        var address = TcpEndpoint.Resolve(host);
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, Blocking = false };
        bool connecting;
        try
        {
            socket.Connect(new IPEndPoint(address, port));
            connecting = false;
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress or SocketError.AlreadyInProgress)
        {
            connecting = true;
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var dealer = new ZmtpDealer(loop, readBuffer, socket, connecting, maxFrameSize, onMessage, onClosed);
        try
        {
            dealer.Watch(Zmtp.DealerHello);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return dealer;
    }

    /// <summary>Queues one message (written at the end of the loop's turn).</summary>
    public void Send(IReadOnlyList<byte[]> frames)
    {
        for (var i = 0; i < frames.Count; i++)
        {
            WriteFrame(frames[i], more: i < frames.Count - 1);
        }
    }

    protected override string? OnPeerReady(ReadOnlySpan<byte> readyBody) => Zmtp.ReadReady(readyBody, "DEALER", out _);

    protected override void OnMessage(ArraySegment<byte> message, long truncatedSize)
    {
        // A DEALER does not skip: a message over its limit closed the connection instead (truncatedSize is 0).
        _frames.Clear();
        var at = 0;
        while (Zmtp.NextFrame(message.AsSpan(), ref at, out var frame))
        {
            _frames.Add(frame.ToArray());
        }

        _onMessage(_frames);
    }

    protected override void OnClosed(bool wasReady, string why, bool refused) =>
        _onClosed(refused ? why : wasReady ? "connection closed: " + why : "connection failed: " + why);

    protected override void CloseSocket() => _socket.Dispose();
}
