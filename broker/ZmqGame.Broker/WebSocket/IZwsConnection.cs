using System.Net.WebSockets;

namespace ZmqGame.Broker.WebSocket;

/// <summary>
/// One ZWS 2.0 connection as the <see cref="WebSocketRouter"/> sees it, whichever server runs it: Kestrel
/// (<see cref="WebSocketConnection"/>, for <c>wss://</c> and NetMQ mode) or the broker's own loop
/// (<see cref="WebSocketLoopConnection"/>). The router calls it on the loop thread.
/// </summary>
internal interface IZwsConnection
{
    /// <summary>The routing identity, once the router admitted the connection.</summary>
    byte[]? Identity { get; set; }

    /// <summary>The connection has ended, or is closing: nothing more of it is handed on.</summary>
    bool Ended { get; }

    /// <summary>Takes a place in the send queue for one message, unless <paramref name="highWatermark"/> messages are waiting.</summary>
    bool TryReserve(int highWatermark);

    /// <summary>Queues one frame of the message reserved with <see cref="TryReserve"/>; it goes out at the end of the loop's turn.</summary>
    void Enqueue(ReadOnlySpan<byte> frame, bool more);

    /// <summary>Reads no further message before <paramref name="resumeAt"/> (a timestamp of the broker's clock); a later call keeps the later time.</summary>
    void PauseUntil(long resumeAt);

    /// <summary>Sends a close frame after what is queued, and stops handing on what the peer sends.</summary>
    void Close(WebSocketCloseStatus status, string why);

    /// <summary>Ends the connection at once (the broker is stopping).</summary>
    void Abort();
}
