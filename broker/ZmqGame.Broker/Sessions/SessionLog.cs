using Microsoft.Extensions.Logging;
using ZmqGame.Protocol;

namespace ZmqGame.Broker.Sessions;

internal static partial class SessionLog
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "Session {SessionId} opened (events to service '{Service}')")]
    public static partial void Opened(ILogger logger, ulong sessionId, string service);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Session {SessionId} of user {User} resumed from its ticket")]
    public static partial void Resumed(ILogger logger, ulong sessionId, string user);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Debug, Message = "Session {SessionId} of user {User} ended: {Reason} ({Text})")]
    public static partial void Ended(ILogger logger, ulong sessionId, string user, SessionCloseReason reason, string text);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "No session key file is configured: sessions cannot resume after a broker restart (set Broker:SessionKeyFile)")]
    public static partial void EphemeralKey(ILogger logger);
}
