namespace ZmqGame.Transport.WebSocket;

/// <summary>
/// What opens WebSocket connections for ZmqGame's <c>ws://</c> and <c>wss://</c> endpoints: the runtime's own
/// <c>ClientWebSocket</c> by default, the browser's <c>WebSocket</c> in a Unity WebGL build (the package's
/// <c>ZmqGameWebSocket.jslib</c>). Set it with <see cref="ZmqGameWebSocket.Bridge"/> before connecting. The bridge
/// moves whole binary messages only; ZeroMQ's framing over them (ZWS 2.0) is ZmqGame's.
/// </summary>
public interface IWebSocketBridge
{
    /// <summary>
    /// Starts opening a WebSocket to <paramref name="url"/> offering the one subprotocol <paramref name="subProtocol"/>,
    /// and returns at once. What happens next is told to <paramref name="events"/>, from any thread: <see
    /// cref="IWebSocketEvents.OnOpen"/> once it is open, <see cref="IWebSocketEvents.OnMessage"/> per binary message,
    /// <see cref="IWebSocketEvents.OnError"/> when something failed, and <see cref="IWebSocketEvents.OnClose"/> last, once.
    /// Throws only when it cannot even start (a malformed URL).
    /// </summary>
    IWebSocketConnection Open(string url, string subProtocol, IWebSocketEvents events);
}

/// <summary>One WebSocket opened by an <see cref="IWebSocketBridge"/>, used by one thread at a time.</summary>
public interface IWebSocketConnection
{
    /// <summary>Bytes handed to <see cref="Send"/> and not yet written out (the browser's <c>bufferedAmount</c>).</summary>
    long BufferedAmount { get; }

    /// <summary>Sends <paramref name="message"/> as one binary message, after those sent before it; returns at once. The
    /// array is the connection's from here on. Does nothing once the connection is closing or closed.</summary>
    void Send(byte[] message);

    /// <summary>Closes the connection (a normal close), dropping what is not sent yet. Closing twice does nothing.</summary>
    void Close();
}
