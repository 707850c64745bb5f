using Microsoft.Extensions.Logging;

namespace ZmqGame.Client.Internal;

internal static partial class Log
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Connected to broker at {Endpoint} (connection {Epoch})")]
    public static partial void Connected(ILogger logger, string endpoint, long epoch);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning,
        Message = "No traffic from broker at {Endpoint} for {SilentMs} ms; closing connection {Epoch}, {Failed} in-flight request(s) failed")]
    public static partial void LinkLost(ILogger logger, string endpoint, long silentMs, long epoch, int failed);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Reopening connection to {Endpoint} in {DelayMs} ms (attempt {Attempt})")]
    public static partial void Reconnecting(ILogger logger, string endpoint, long delayMs, int attempt);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "Dropped a malformed message from the broker: {Reason} ({Count} so far)")]
    public static partial void Malformed(ILogger logger, string reason, long count);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Debug, Message = "Dropped a reply for unknown request {RequestId} (late or cancelled; {Count} so far)")]
    public static partial void UnknownReply(ILogger logger, ulong requestId, long count);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Warning, Message = "Send queue to {Endpoint} is full; request {RequestId} failed")]
    public static partial void SendQueueFull(ILogger logger, string endpoint, ulong requestId);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Error, Message = "Connection loop to {Endpoint} stopped")]
    public static partial void LoopFailed(ILogger logger, string endpoint, Exception exception);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Error, Message = "Unexpected error on the client's socket thread")]
    public static partial void PollerError(ILogger logger, Exception exception);
}
