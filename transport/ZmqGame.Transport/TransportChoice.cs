namespace ZmqGame.Transport;

/// <summary>
/// Which transport an endpoint runs on, decided here once for the broker, the worker and the client: ZmqGame's own
/// ZMTP transport (<c>Zmtp/</c>) where it can, NetMQ everywhere else, and ZWS 2.0 over a WebSocket (<c>WebSocket/</c>)
/// for <c>ws://</c> and <c>wss://</c> endpoints, whatever the environment says. <c>ZMQGAME_TRANSPORT=netmq</c> in the
/// environment runs every endpoint on NetMQ (to compare the two, or to rule the transport out when chasing a problem).
/// </summary>
internal static class TransportChoice
{
    /// <summary>True when <c>ZMQGAME_TRANSPORT=netmq</c> (any case) was in the environment at start-up.</summary>
    public static bool NetMqForced { get; } =
        string.Equals(Environment.GetEnvironmentVariable("ZMQGAME_TRANSPORT"), "netmq", StringComparison.OrdinalIgnoreCase);

    /// <summary>True when <paramref name="endpoint"/> is a broker's WebSocket frontend (<c>ws://</c>, <c>wss://</c>): ZWS 2.0, never NetMQ.</summary>
    public static bool IsWebSocket(string endpoint) => WebSocket.WebSocketEndpoint.IsWebSocket(endpoint);

    /// <summary>
    /// True when <paramref name="endpoint"/> runs on the own transport: .NET 10 (never netstandard2.1, so never Unity),
    /// Linux epoll (<c>Native.Supported</c>), a <c>tcp://</c> endpoint, no CURVE (<paramref name="curve"/>; the own
    /// transport speaks only the NULL mechanism) and <see cref="NetMqForced"/> unset. Otherwise NetMQ.
    /// </summary>
    public static bool UsesOwnTransport(string endpoint, bool curve)
    {
#if NET10_0_OR_GREATER
        return !curve && Native.Supported && TcpEndpoint.IsTcp(endpoint) && !NetMqForced;
#else
        _ = endpoint;
        _ = curve;
        return false;
#endif
    }
}
