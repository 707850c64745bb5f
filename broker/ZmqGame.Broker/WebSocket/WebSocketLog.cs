using Microsoft.Extensions.Logging;

namespace ZmqGame.Broker.WebSocket;

internal static partial class WebSocketLog
{
    /// <summary>The WebSocket frontend as bound (a port 0 filled in); tests wait for this line.</summary>
    [LoggerMessage(EventId = 70, Level = LogLevel.Information, Message = "Broker WebSocket frontend listening on {Endpoint} (ZWS 2.0)")]
    public static partial void Listening(ILogger logger, string endpoint);
}
