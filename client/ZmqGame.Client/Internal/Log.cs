using Microsoft.Extensions.Logging;

namespace ZmqGame.Client.Internal;

internal static partial class Log
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Connected to broker at {Endpoint} (connection {Epoch})")]
    public static partial void Connected(ILogger logger, string endpoint, long epoch);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning,
        Message = "Lost the broker at {Endpoint} ({SilentMs} ms without traffic); closed connection {Epoch}: {Failed} in-flight request(s) failed, {Resent} idempotent one(s) go again on the next broker")]
    public static partial void LinkLost(ILogger logger, string endpoint, long silentMs, long epoch, int failed, int resent);

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

    [LoggerMessage(EventId = 1009, Level = LogLevel.Information, Message = "Session {SessionId} open at {Endpoint} (resumed: {Resumed}, user: {UserId})")]
    public static partial void SessionWelcomed(ILogger logger, ulong sessionId, string endpoint, bool resumed, string? userId);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "Session {SessionId} closed by the broker at {Endpoint}: {Reason} ({Text})")]
    public static partial void SessionEnded(ILogger logger, ulong sessionId, string endpoint, string reason, string text);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Information, Message = "Broker at {Endpoint} knows no session on this connection; resuming (ticket: {HasTicket})")]
    public static partial void NoSession(ILogger logger, string endpoint, bool hasTicket);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning, Message = "Broker at {Endpoint} did not answer HELLO within {WaitedMs} ms; closing connection {Epoch}")]
    public static partial void HelloUnanswered(ILogger logger, string endpoint, long waitedMs, long epoch);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Warning, Message = "A push handler for command {Command} threw; the subscription goes on")]
    public static partial void PushHandlerFailed(ILogger logger, int command, Exception exception);

    [LoggerMessage(EventId = 1014, Level = LogLevel.Warning, Message = "Push {Command} could not be read as {Type}; skipped ({Count} so far)")]
    public static partial void PushUnreadable(ILogger logger, int command, string type, long count, Exception exception);

    [LoggerMessage(EventId = 1015, Level = LogLevel.Warning, Message = "A session event handler threw")]
    public static partial void EventHandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1016, Level = LogLevel.Warning, Message = "A push subscriber's buffer is full; dropped its oldest push ({Count} dropped so far)")]
    public static partial void PushDropped(ILogger logger, long count);

    [LoggerMessage(EventId = 1017, Level = LogLevel.Debug, Message = "Closing session {SessionId} at {Endpoint}: no CLOSED within {WaitedMs} ms, closing the socket anyway")]
    public static partial void CloseUnanswered(ILogger logger, ulong sessionId, string endpoint, long waitedMs);

    [LoggerMessage(EventId = 1018, Level = LogLevel.Information, Message = "Broker at {Endpoint} asks its clients to move ({Text}); moving once the replies on connection {Epoch} are in")]
    public static partial void MoveAsked(ILogger logger, string endpoint, string text, long epoch);

    [LoggerMessage(EventId = 1019, Level = LogLevel.Information, Message = "Leaving the broker at {Endpoint} (connection {Epoch}) to resume the session on another broker")]
    public static partial void Moving(ILogger logger, string endpoint, long epoch);

    [LoggerMessage(EventId = 1020, Level = LogLevel.Information, Message = "No answer from the broker at {Endpoint} in {WaitedMs} ms; closing connection {Epoch} to try the next broker")]
    public static partial void NeverAnswered(ILogger logger, string endpoint, long waitedMs, long epoch);
}
