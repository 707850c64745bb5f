using System.Runtime.InteropServices.JavaScript;
using ZmqGame.Transport.WebSocket;

namespace ZmqGame.WebGl.Player;

/// <summary>
/// The browser's WebSocket for ZmqGame, through the Unity package's own <c>ZmqGameWebSocket.jslib</c> (loaded by the
/// page with a shim for the few Emscripten helpers it uses): the same functions a WebGL build calls with
/// <c>[DllImport("__Internal")]</c>, here through <c>[JSImport]</c>; its callbacks come back through <c>[JSExport]</c>.
/// </summary>
internal sealed partial class BrowserBridge : IWebSocketBridge
{
    private static readonly Dictionary<int, IWebSocketEvents> Sockets = [];

    public IWebSocketConnection Open(string url, string subProtocol, IWebSocketEvents events)
    {
        var id = JsOpen(url, subProtocol);
        if (id == 0)
        {
            throw new ArgumentException(url + ": the browser refused to open a WebSocket to it");
        }

        Sockets[id] = events;
        return new Connection(id);
    }

    [JSExport]
    internal static void OnOpen(int id)
    {
        if (Sockets.TryGetValue(id, out var events))
        {
            events.OnOpen();
        }
    }

    [JSExport]
    internal static void OnMessage(int id, [JSMarshalAs<JSType.Array<JSType.Number>>] byte[] message)
    {
        if (Sockets.TryGetValue(id, out var events))
        {
            events.OnMessage(message);
        }
    }

    [JSExport]
    internal static void OnError(int id, string text)
    {
        if (Sockets.TryGetValue(id, out var events))
        {
            events.OnError(text);
        }
    }

    [JSExport]
    internal static void OnClose(int id, int code, string reason)
    {
        if (Sockets.Remove(id, out var events))
        {
            events.OnClose(code, reason);
        }
    }

    [JSImport("open", "zmqgame-jslib")]
    private static partial int JsOpen(string url, string protocol);

    [JSImport("send", "zmqgame-jslib")]
    private static partial int JsSend(int id, [JSMarshalAs<JSType.Array<JSType.Number>>] byte[] data);

    [JSImport("bufferedAmount", "zmqgame-jslib")]
    private static partial int JsBufferedAmount(int id);

    [JSImport("close", "zmqgame-jslib")]
    private static partial void JsClose(int id);

    /// <summary>One browser WebSocket, by its number in the jslib.</summary>
    private sealed class Connection(int id) : IWebSocketConnection
    {
        private bool closed;

        public long BufferedAmount => closed ? 0 : JsBufferedAmount(id);

        public void Send(byte[] message)
        {
            if (!closed)
            {
                _ = JsSend(id, message);
            }
        }

        public void Close()
        {
            if (!closed)
            {
                closed = true;
                JsClose(id);
            }
        }
    }
}
