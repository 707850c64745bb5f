using Microsoft.Extensions.Logging;

namespace ZmqGame.Broker;

internal static partial class BrokerLog
{
    /// <summary>The start-up line: each endpoint as bound (a wildcard address stays a wildcard) with its port.</summary>
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Broker listening: frontend {Frontend}, backend {Backend}, control {Control}")]
    public static partial void Listening(ILogger logger, string frontend, string backend, string control);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Broker stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Worker {Worker} ready for service {Service} ({Workers} workers)")]
    public static partial void WorkerReady(ILogger logger, string worker, string service, int workers);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "Worker {Worker} of service {Service} removed: {Reason}")]
    public static partial void WorkerRemoved(ILogger logger, string worker, string service, string reason);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "Worker {Worker} of service {Service} lost while holding request {RequestId}: {Reason}")]
    public static partial void WorkerLostRequest(ILogger logger, string worker, string service, ulong requestId, string reason);

    [LoggerMessage(EventId = 20, Level = LogLevel.Warning, Message = "Bad input ({Kind}) from {Peer}: {Detail} [{Count} of this kind so far, {Suppressed} not logged since the last line]")]
    public static partial void BadInput(ILogger logger, BadInput kind, string peer, string detail, long count, long suppressed);

    [LoggerMessage(EventId = 40, Level = LogLevel.Information, Message = "Trigger {PublicKey} authenticated on the control endpoint")]
    public static partial void TriggerAuthenticated(ILogger logger, string publicKey);

    [LoggerMessage(EventId = 31, Level = LogLevel.Warning, Message = "Broker cannot accept on the {Endpoint} endpoint (errno {Errno}: out of file descriptors? raise the limit, ulimit -n); new connections wait in the backlog, retrying each tick")]
    public static partial void AcceptFailed(ILogger logger, string endpoint, int errno);

    [LoggerMessage(EventId = 30, Level = LogLevel.Error, Message = "Broker loop error; continuing")]
    public static partial void LoopError(ILogger logger, Exception exception);
}

/// <summary>Logs each kind of bad input at most once per interval; the rest are only counted.</summary>
internal sealed class BadInputLog
{
    private readonly ILogger _logger;
    private readonly BrokerStats _stats;
    private readonly TimeProvider _time;
    private readonly LogThrottle[] _throttles;

    public BadInputLog(ILogger logger, BrokerStats stats, TimeProvider time, TimeSpan interval)
    {
        _logger = logger;
        _stats = stats;
        _time = time;
        _throttles = new LogThrottle[Enum.GetValues<BadInput>().Length];
        for (var i = 0; i < _throttles.Length; i++)
        {
            _throttles[i] = new LogThrottle(time, interval);
        }
    }

    /// <summary>Counts one occurrence; logs it unless this kind was logged within the interval.</summary>
    public void Report(BadInput kind, ReadOnlySpan<byte> peer, string detail)
    {
        _stats.CountBadInput(kind);
        if (_throttles[(int)kind].ShouldLog(_time.GetTimestamp(), out var suppressed))
        {
            BrokerLog.BadInput(_logger, kind, Convert.ToHexString(peer), detail, _stats.BadInputCount(kind), suppressed);
        }
    }
}
