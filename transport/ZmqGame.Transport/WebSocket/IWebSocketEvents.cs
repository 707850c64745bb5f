namespace ZmqGame.Transport.WebSocket;

/// <summary>
/// What an <see cref="IWebSocketBridge"/> tells ZmqGame about one connection. Each method may be called from any thread
/// (the browser's event loop, a thread-pool thread) and returns at once: ZmqGame queues the event for its connection
/// loop.
/// </summary>
public interface IWebSocketEvents
{
    /// <summary>The connection is open (the upgrade succeeded with the offered subprotocol).</summary>
    void OnOpen();

    /// <summary>One whole binary message arrived. The array is ZmqGame's from here on.</summary>
    void OnMessage(byte[] message);

    /// <summary>Something failed (the upgrade, the network, a text message); <see cref="OnClose"/> follows.</summary>
    void OnError(string error);

    /// <summary>The connection is closed, with the close status and reason (1006 and empty when it just went away). The last event.</summary>
    void OnClose(int code, string reason);
}
