using Microsoft.Extensions.Logging;

namespace ZmqGame.Broker.Cluster;

internal static partial class ClusterLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Broker {Broker} joined cluster '{Cluster}' through NATS {Url}")]
    public static partial void Joined(ILogger logger, string broker, string cluster, string url);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Cluster link to NATS lost ({Reason}): local traffic goes on; cross-broker pushes, kicks and single login wait for NATS")]
    public static partial void Disconnected(ILogger logger, string reason);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Cluster link to NATS back: interests renewed, {Users} single-login record(s) put again")]
    public static partial void Reconnected(ILogger logger, int users);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Cluster link: {What} failed: {Error} [{Count} so far]")]
    public static partial void Failed(ILogger logger, string what, string error, long count);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Information, Message = "Session key: {Source}")]
    public static partial void SessionKey(ILogger logger, string source);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Warning, Message = "Cluster message dropped: {Reason} [{Count} so far]")]
    public static partial void BadMessage(ILogger logger, string reason, long count);
}
