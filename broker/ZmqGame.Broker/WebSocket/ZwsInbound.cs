namespace ZmqGame.Broker.WebSocket;

/// <summary>What a WebSocket connection tells the broker's loop, in the order it happened.</summary>
internal enum ZwsInboundKind : byte
{
    /// <summary>The handshake is done: the peer's READY (or routing-id message) named <see cref="ZwsInbound.Identity"/> (empty: none).</summary>
    Ready,

    /// <summary>A whole message: <see cref="ZwsInbound.Message"/>.</summary>
    Message,

    /// <summary>The connection was closed for breaking ZWS 2.0: <see cref="ZwsInbound.Why"/>.</summary>
    Rejected,

    /// <summary>The connection has ended.</summary>
    Gone,
}

/// <summary>One event of one WebSocket connection, queued for the broker's loop (<see cref="WebSocketRouter"/>).</summary>
/// <param name="Connection">Whose it is; null for a request refused before it became a connection.</param>
/// <param name="Kind">What happened.</param>
/// <param name="Identity">For <see cref="ZwsInboundKind.Ready"/>: the routing id the peer asked for.</param>
/// <param name="Message">For <see cref="ZwsInboundKind.Message"/>: its frames.</param>
/// <param name="Why">For <see cref="ZwsInboundKind.Rejected"/>: the reason.</param>
internal readonly record struct ZwsInbound(IZwsConnection? Connection, ZwsInboundKind Kind, byte[]? Identity = null, ZwsMessage? Message = null, string? Why = null);
