namespace ZmqGame.Transport;

/// <summary>Makes the <see cref="IConnectionLoop"/> for a program that connects to one broker endpoint.</summary>
internal static class ConnectionLoop
{
    /// <summary>
    /// The loop for connections to <paramref name="endpoint"/>: ZWS 2.0 over WebSockets for a <c>ws://</c> or <c>wss://</c>
    /// endpoint (<see cref="WebSocket.ZmqGameWebSocket"/>: its bridge, threaded or pumped; no CURVE: use <c>wss://</c>),
    /// the own ZMTP transport when
    /// <see cref="TransportChoice.UsesOwnTransport"/> allows it (with CURVE when <see cref="DealerOptions.CurveServerKey"/>
    /// is set, never; on a process-wide shared loop when <see cref="DealerOptions.SharedLoop"/> is set), NetMQ otherwise. <paramref name="onError"/> gets what a handler threw; the loop goes on.
    /// </summary>
    public static IConnectionLoop Create(string endpoint, DealerOptions options, Action<Exception> onError)
    {
        if (TransportChoice.IsWebSocket(endpoint))
        {
            return options.CurveServerKey is null ? new WebSocket.WebSocketConnectionLoop(onError)
                : throw new ArgumentException($"{endpoint}: CURVE is not spoken over WebSocket; use wss:// (TLS) instead of a server key");
        }

#if NET10_0_OR_GREATER
        if (TransportChoice.UsesOwnTransport(endpoint, options.CurveServerKey is not null))
        {
            return options.SharedLoop ? new SharedConnectionLoop(onError) : new ZmtpConnectionLoop(onError);
        }
#endif
        return new NetMqConnectionLoop(options, onError);
    }
}
