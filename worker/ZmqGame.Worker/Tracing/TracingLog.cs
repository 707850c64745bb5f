using Microsoft.Extensions.Logging;

namespace ZmqGame.Worker.Tracing;

/// <summary>Log messages of the worker's tracing. Event ids are stable, in the worker library's range.</summary>
internal static partial class TracingLog
{
    [LoggerMessage(EventId = 1060, Level = LogLevel.Warning, Message = "Service '{Service}': a request's trace context was ignored (the request runs untraced by its client): {Reason} ({Total} so far; logged at most once a minute)")]
    public static partial void BadTraceContext(ILogger logger, string service, string reason, long total);
}
