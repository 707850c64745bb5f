using Microsoft.Extensions.Logging;

namespace ZmqGame.Broker.Limits;

/// <summary>The abuse limits' log lines: each kind of refusal at most once per <c>BadInputLogInterval</c>.</summary>
internal static partial class LimitsLog
{
    [LoggerMessage(EventId = 50, Level = LogLevel.Warning, Message = "Rate limited: {Peer} sent more than {PerSecond} requests/s (burst {Burst}) from one {Scope}; refused [{Count} refused so far, {Suppressed} not logged since the last line]")]
    public static partial void RequestRefused(ILogger logger, string peer, int perSecond, int burst, string scope, long count, long suppressed);

    [LoggerMessage(EventId = 51, Level = LogLevel.Warning, Message = "Frontend connection from {Address} closed at accept: {Reason} [{Count} refused so far, {Suppressed} not logged since the last line]")]
    public static partial void ConnectionRefused(ILogger logger, string address, string reason, long count, long suppressed);

    [LoggerMessage(EventId = 52, Level = LogLevel.Warning, Message = "Broker:Limits:ConnectionsPerSecondPerIp and Broker:Limits:MaxConnectionsPerIp are NOT enforced: the frontend {Endpoint} is served by NetMQ (ZMQGAME_TRANSPORT=netmq, CURVE, ipc or inproc), which does not tell the broker a client's address; only the broker's own TCP transport enforces them")]
    public static partial void ConnectionLimitsNotEnforced(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 53, Level = LogLevel.Information, Message = "Abuse limits: {Requests} requests/s per session (burst {Burst}); {ConnectionsPerSecond} new connections/s and {MaxConnections} open connections per IP (0: no limit)")]
    public static partial void Limits(ILogger logger, int requests, int burst, int connectionsPerSecond, int maxConnections);
}
