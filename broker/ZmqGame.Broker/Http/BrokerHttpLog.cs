using Microsoft.Extensions.Logging;

namespace ZmqGame.Broker.Http;

internal static partial class BrokerHttpLog
{
    /// <summary>The HTTP endpoint as bound (a port 0 filled in); tests wait for this line.</summary>
    [LoggerMessage(EventId = 60, Level = LogLevel.Information, Message = "Broker HTTP listening on {Addresses} (/metrics, /healthz, /readyz)")]
    public static partial void Listening(ILogger logger, string addresses);
}
