using NetMQ;
using NetMQ.Sockets;
using ZmqGame.Transport;

namespace ZmqGame.Broker;

/// <summary>
/// Where the broker's ROUTERs are made: the broker's own ZMTP transport for plain TCP where epoll exists, else a NetMQ
/// socket (CURVE, inproc, ipc, no epoll, or NetMQ forced) on the side poller. Either way a failure to bind is one
/// <see cref="BrokerBindException"/> naming the endpoint.
/// </summary>
internal static class Routers
{
    /// <summary>Binds a ROUTER endpoint for <paramref name="handler"/>; a tcp port of 0 or * picks a free port.</summary>
    /// <param name="name">The endpoint's role, for errors and logs (frontend, backend, control).</param>
    /// <param name="endpoint">Where to bind.</param>
    /// <param name="curve">The broker's certificate when the endpoint is a CURVE server; null for none.</param>
    /// <param name="options">Message size, high watermark, backlog, handshake timeout.</param>
    /// <param name="loop">The broker's loop, which owns the router.</param>
    /// <param name="side">The side poller that serves NetMQ sockets.</param>
    /// <param name="into">The frame buffer received messages are put in.</param>
    /// <param name="handler">What receives the endpoint's messages and peer-gone notices.</param>
    /// <param name="badInput">Where connections the own transport refuses are reported.</param>
    /// <param name="onAcceptFailed">Accepting failed with this errno (own transport).</param>
    /// <param name="time">The broker's clock (timestamps given to <see cref="IRouter.PauseReading"/>).</param>
    /// <param name="netMqSocket">The NetMQ socket when NetMQ serves the endpoint (for a monitor), else null.</param>
    public static IRouter Bind(string name, string endpoint, NetMQCertificate? curve, BrokerOptions options, EventLoop loop, NetMQPoller side,
        FrameBuffer into, IRouterHandler handler, BadInputLog badInput, Action<int> onAcceptFailed, TimeProvider time, out RouterSocket? netMqSocket)
    {
        netMqSocket = null;
        if (TransportChoice.UsesOwnTransport(endpoint, curve is not null))
        {
            try
            {
                return new ZmtpRouter(loop, endpoint, options.MaxMessageSize, options.SendHighWatermark, options.ListenBacklog,
                    options.HandshakeTimeout, into, handler, (peer, why) => badInput.Report(BadInput.ConnectionDropped, peer, $"{name} connection closed: {why}"),
                    onAcceptFailed, time);
            }
            catch (System.Net.Sockets.SocketException ex) when (ex.SocketErrorCode == System.Net.Sockets.SocketError.AddressAlreadyInUse)
            {
                throw BindError(name, endpoint, "address already in use");
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException or ArgumentException or FormatException)
            {
                throw BindError(name, endpoint, ex.Message);
            }
        }

        var socket = NetMqRouter.CreateSocket();
        socket.Options.MaxMsgSize = (long)options.MaxMessageSize * NetMqRouter.FrameSizeFactor;
        socket.Options.SendHighWatermark = options.SendHighWatermark;
        socket.Options.ReceiveHighWatermark = options.SendHighWatermark;
        socket.Options.Backlog = options.ListenBacklog;
        if (curve is not null)
        {
            socket.Options.CurveServer = true;
            socket.Options.CurveCertificate = curve;
        }

        try
        {
            var bound = BindNetMq(socket, name, endpoint);
            netMqSocket = socket;
            return new NetMqRouter(loop, side, socket, bound, options.MaxMessageSize, into, handler);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Binds; a tcp port of 0 or * picks a free port. Returns an endpoint peers on this host can connect to.</summary>
    private static string BindNetMq(RouterSocket socket, string name, string endpoint)
    {
        try
        {
            if (endpoint.StartsWith("tcp://", StringComparison.Ordinal) && (endpoint.EndsWith(":0", StringComparison.Ordinal) || endpoint.EndsWith(":*", StringComparison.Ordinal)))
            {
                var address = endpoint[..endpoint.LastIndexOf(':')];
                var port = socket.BindRandomPort(address);
                return Connectable(address) + ":" + port;
            }

            socket.Bind(endpoint);
            return endpoint.StartsWith("tcp://", StringComparison.Ordinal)
                ? Connectable(endpoint[..endpoint.LastIndexOf(':')]) + endpoint[endpoint.LastIndexOf(':')..]
                : endpoint;
        }
        catch (AddressAlreadyInUseException)
        {
            throw BindError(name, endpoint, "address already in use");
        }
        catch (Exception ex) when (ex is NetMQException or ArgumentException or FormatException)
        {
            throw BindError(name, endpoint, ex.Message);
        }
    }

    private static BrokerBindException BindError(string name, string endpoint, string why) =>
        new($"cannot bind the {name} endpoint {endpoint}: {why}");

    private static string Connectable(string address) =>
        address is "tcp://*" or "tcp://0.0.0.0" ? "tcp://127.0.0.1" : address;
}
