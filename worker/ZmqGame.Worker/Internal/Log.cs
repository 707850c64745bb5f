using Microsoft.Extensions.Logging;

namespace ZmqGame.Worker.Internal;

/// <summary>Log messages of the worker library. Event ids are stable: dashboards and alerts key on them.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "Worker started: {Services} service(s), {Slots} slot(s), broker {Broker}")]
    public static partial void Started(ILogger logger, int services, int slots, string broker);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Slot {Slot} of service '{Service}' READY at {Broker}")]
    public static partial void SlotReady(ILogger logger, string service, int slot, string broker);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Worker stopping: every slot says it is draining ({Busy} finishing a request) and leaves on the broker's DISCONNECT (waiting at most {Wait} for it)")]
    public static partial void Stopping(ILogger logger, int busy, TimeSpan wait);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Debug, Message = "Slot {Slot} of service '{Service}': drained (the broker confirmed with DISCONNECT)")]
    public static partial void SlotDrained(ILogger logger, string service, int slot);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Information, Message = "Slot {Slot} of service '{Service}': the broker did not confirm the drain within {Wait} (a broker without the drain step): the slots still waiting say DISCONNECT themselves")]
    public static partial void DrainUnconfirmed(ILogger logger, string service, int slot, TimeSpan wait);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Worker stopped: {Replies} replies sent, {Abandoned} request(s) abandoned at shutdown, {Late} late result(s) dropped")]
    public static partial void Stopped(ILogger logger, long replies, int abandoned, long late);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "Shutdown timeout ({Timeout}) ran out: abandoning {Count} running request(s)")]
    public static partial void ShutdownTimedOut(ILogger logger, TimeSpan timeout, int count);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Warning, Message = "Slot {Slot} of service '{Service}': {Reason}; reconnecting")]
    public static partial void ConnectionLost(ILogger logger, string service, int slot, string reason);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Debug, Message = "Slot {Slot} of service '{Service}': reconnect attempt {Attempt} in {Delay}")]
    public static partial void ReconnectScheduled(ILogger logger, string service, int slot, int attempt, TimeSpan delay);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning, Message = "Slot {Slot} of service '{Service}': late result of a request lost at reconnect or shutdown dropped ({Total} so far)")]
    public static partial void LateResultDropped(ILogger logger, string service, int slot, long total);

    [LoggerMessage(EventId = 1020, Level = LogLevel.Error, Message = "Handler of service '{Service}' command {Command} failed")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string service, int command);

    [LoggerMessage(EventId = 1021, Level = LogLevel.Error, Message = "Hook of service '{Service}' command {Command} failed (ignored)")]
    public static partial void HookFailed(ILogger logger, Exception exception, string service, int command);

    [LoggerMessage(EventId = 1022, Level = LogLevel.Debug, Message = "Service '{Service}': no route for command {Command}")]
    public static partial void NoSuchRoute(ILogger logger, string service, int command);

    [LoggerMessage(EventId = 1023, Level = LogLevel.Debug, Message = "Service '{Service}' command {Command}: bad request: {Reason}")]
    public static partial void BadRequest(ILogger logger, string service, int command, string reason);

    [LoggerMessage(EventId = 1024, Level = LogLevel.Debug, Message = "Service '{Service}': stock MDP request but no raw route")]
    public static partial void NoRawRoute(ILogger logger, string service);

    [LoggerMessage(EventId = 1030, Level = LogLevel.Warning, Message = "Slot {Slot} of service '{Service}': dropped a message from the broker: {Reason}")]
    public static partial void UnexpectedMessage(ILogger logger, string service, int slot, string reason);

    [LoggerMessage(EventId = 1031, Level = LogLevel.Warning, Message = "Slot {Slot} of service '{Service}': could not send {Command} (send queue full)")]
    public static partial void SendFailed(ILogger logger, string service, int slot, string command);

    [LoggerMessage(EventId = 1032, Level = LogLevel.Error, Message = "Worker I/O thread: unexpected error")]
    public static partial void PollerError(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1040, Level = LogLevel.Debug, Message = "Service '{Service}': session action {Action} sent by slot {Slot}")]
    public static partial void SessionActionSent(ILogger logger, string service, int slot, string action);

    [LoggerMessage(EventId = 1041, Level = LogLevel.Warning, Message = "Session action {Action} dropped: {Reason} ({Total} dropped so far)")]
    public static partial void SessionActionDropped(ILogger logger, string action, string reason, long total);

    [LoggerMessage(EventId = 1042, Level = LogLevel.Error, Message = "Service '{Service}': {Hook} hook failed for {Session} (ignored; the event is answered)")]
    public static partial void ClientHookFailed(ILogger logger, Exception exception, string service, string hook, string session);

    [LoggerMessage(EventId = 1043, Level = LogLevel.Error, Message = "Service '{Service}': handler of event command {Command} failed (ignored; the event is answered)")]
    public static partial void EventHandlerFailed(ILogger logger, Exception exception, string service, int command);

    [LoggerMessage(EventId = 1044, Level = LogLevel.Warning, Message = "Service '{Service}': no handler for event command {Command}; answered without running anything (logged once per command)")]
    public static partial void UnknownEvent(ILogger logger, string service, int command);

    [LoggerMessage(EventId = 1045, Level = LogLevel.Warning, Message = "Service '{Service}': malformed event answered without running anything: {Reason}")]
    public static partial void BadEvent(ILogger logger, string service, string reason);

    [LoggerMessage(EventId = 1050, Level = LogLevel.Error, Message = "Service '{Service}': a reply of {Size} bytes is over the broker's limit of {Limit}; the client is answered too large instead")]
    public static partial void ReplyTooLarge(ILogger logger, string service, long size, long limit);

    [LoggerMessage(EventId = 1060, Level = LogLevel.Warning, Message = "Service '{Service}': {What} held the I/O thread longer than {Budget} again (another thread took over the I/O); it runs on the thread pool from now on (logged once; RouteGroup.RunOnThreadPool() says so up front)")]
    public static partial void MovedToThreadPool(ILogger logger, string service, string what, TimeSpan budget);
}
