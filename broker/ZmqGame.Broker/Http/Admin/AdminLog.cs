using Microsoft.Extensions.Logging;

namespace ZmqGame.Broker.Http.Admin;

/// <summary>The admin console's log lines: what operators did, and refused requests (at most one line per interval).</summary>
internal static partial class AdminLog
{
    [LoggerMessage(EventId = 80, Level = LogLevel.Information, Message = "Admin console at / on the HTTP endpoint: {Protection}")]
    public static partial void Serving(ILogger logger, string protection);

    [LoggerMessage(EventId = 81, Level = LogLevel.Information, Message = "Admin console ({Remote}): kick {Target}, {Sessions} session(s) ended")]
    public static partial void Kicked(ILogger logger, string remote, string target, int sessions);

    [LoggerMessage(EventId = 82, Level = LogLevel.Information, Message = "Admin console ({Remote}): push cmd {Command} to {Target}, {Sessions} session(s) reached, {Dropped} dropped")]
    public static partial void Pushed(ILogger logger, string remote, int command, string target, int sessions, int dropped);

    [LoggerMessage(EventId = 83, Level = LogLevel.Information, Message = "Admin console ({Remote}): drain worker {Worker} of service {Service}: {Outcome}")]
    public static partial void Drained(ILogger logger, string remote, string worker, string service, string outcome);

    [LoggerMessage(EventId = 84, Level = LogLevel.Warning, Message = "Admin console refused a request from {Remote} ({Status}): {Reason} [{Count} refused so far, {Suppressed} not logged since the last line]")]
    public static partial void Refused(ILogger logger, string remote, int status, string reason, long count, long suppressed);

    [LoggerMessage(EventId = 85, Level = LogLevel.Warning, Message = "Admin console: bad request from {Remote}: {Reason} [{Count} so far, {Suppressed} not logged since the last line]")]
    public static partial void BadRequest(ILogger logger, string remote, string reason, long count, long suppressed);
}
