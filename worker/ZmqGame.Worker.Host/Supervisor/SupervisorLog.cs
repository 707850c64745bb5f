using Microsoft.Extensions.Logging;

namespace ZmqGame.Worker.Host.Supervisor;

/// <summary>Log lines of the supervisor mode. Event ids 1200–1259 are stable: alerting may match on them.</summary>
internal static partial class SupervisorLog
{
    [LoggerMessage(EventId = 1200, Level = LogLevel.Information, Message = "Supervisor starting {Processes} worker process(es): {Command}")]
    public static partial void Starting(ILogger logger, int processes, string command);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "Child {Child} (process slot {Slot}, {Reason}) started: pid {Pid}")]
    public static partial void ChildStarted(ILogger logger, int child, int slot, string reason, int pid);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Information, Message = "Child {Child} (process slot {Slot}, pid {Pid}) READY: {Slots} worker slot(s)")]
    public static partial void ChildReady(ILogger logger, int child, int slot, int pid, int slots);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Information, Message = "Child {Child} (process slot {Slot}, pid {Pid}) exited with code {ExitCode} as asked")]
    public static partial void ChildStopped(ILogger logger, int child, int slot, int pid, int exitCode);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Warning, Message = "Child {Child} (process slot {Slot}, pid {Pid}) crashed: exit code {ExitCode} ({Crashes} crash(es) of this slot within {Window})")]
    public static partial void ChildCrashed(ILogger logger, int child, int slot, int pid, int exitCode, int crashes, TimeSpan window);

    [LoggerMessage(EventId = 1205, Level = LogLevel.Information, Message = "Process slot {Slot}: restarting in {Delay} (attempt {Attempt})")]
    public static partial void RestartScheduled(ILogger logger, int slot, TimeSpan delay, int attempt);

    [LoggerMessage(EventId = 1206, Level = LogLevel.Error, Message = "Process slot {Slot}: crash loop, not restarting it: {Crashes} crashes within {Window} (limit {Limit}), last exit code {ExitCode}; a reload (SIGHUP) starts it again")]
    public static partial void CrashLoop(ILogger logger, int slot, int crashes, TimeSpan window, int limit, int exitCode);

    [LoggerMessage(EventId = 1207, Level = LogLevel.Error, Message = "Process slot {Slot}: cannot start a worker process")]
    public static partial void StartFailed(ILogger logger, Exception exception, int slot);

    [LoggerMessage(EventId = 1210, Level = LogLevel.Information, Message = "Supervisor received {Signal}")]
    public static partial void SignalReceived(ILogger logger, string signal);

    [LoggerMessage(EventId = 1211, Level = LogLevel.Information, Message = "Supervisor stopping: draining {Count} worker process(es), deadline {DrainTimeout}")]
    public static partial void Stopping(ILogger logger, int count, TimeSpan drainTimeout);

    [LoggerMessage(EventId = 1212, Level = LogLevel.Warning, Message = "Child {Child} (process slot {Slot}, pid {Pid}) still running after the drain deadline ({DrainTimeout}): SIGKILL; the broker answers its requests 'worker lost'")]
    public static partial void DrainTimedOut(ILogger logger, int child, int slot, int pid, TimeSpan drainTimeout);

    [LoggerMessage(EventId = 1213, Level = LogLevel.Information, Message = "Supervisor stopped: every worker process has exited ({Killed} killed at the drain deadline)")]
    public static partial void Stopped(ILogger logger, int killed);

    [LoggerMessage(EventId = 1220, Level = LogLevel.Information, Message = "Reload: starting {Count} new worker process(es) from the build on disk; the old ones serve until the new ones are READY")]
    public static partial void ReloadStarting(ILogger logger, int count);

    [LoggerMessage(EventId = 1221, Level = LogLevel.Information, Message = "Reload: {Count} new worker process(es) READY{Confirmation}; draining the old ones one at a time")]
    public static partial void ReloadReady(ILogger logger, int count, string confirmation);

    [LoggerMessage(EventId = 1222, Level = LogLevel.Information, Message = "Reload: process slot {Slot} now child {New}; old child {Old} drained")]
    public static partial void ReloadReplaced(ILogger logger, int slot, int @new, int old);

    [LoggerMessage(EventId = 1223, Level = LogLevel.Information, Message = "Reload complete: {Count} worker process(es) replaced in {Elapsed}")]
    public static partial void ReloadCompleted(ILogger logger, int count, TimeSpan elapsed);

    [LoggerMessage(EventId = 1224, Level = LogLevel.Error, Message = "Reload failed: {Reason}; the new worker processes are stopped and the old ones keep serving")]
    public static partial void ReloadFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 1225, Level = LogLevel.Warning, Message = "Reload ignored: {Reason}")]
    public static partial void ReloadIgnored(ILogger logger, string reason);

    [LoggerMessage(EventId = 1230, Level = LogLevel.Information, Message = "[child {Child}] {Line}")]
    public static partial void ChildOutput(ILogger logger, int child, string line);

    [LoggerMessage(EventId = 1231, Level = LogLevel.Warning, Message = "[child {Child} stderr] {Line}")]
    public static partial void ChildError(ILogger logger, int child, string line);

    [LoggerMessage(EventId = 1240, Level = LogLevel.Warning, Message = "Broker control endpoint {Control} did not answer 'stats'; retrying")]
    public static partial void StatsUnavailable(ILogger logger, string control);

    [LoggerMessage(EventId = 1245, Level = LogLevel.Information, Message = "Supervisor admin endpoint listening on {Endpoint} (trigger workers reload|status --supervisor)")]
    public static partial void AdminListening(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 1250, Level = LogLevel.Warning, Message = "Supervisor (pid {Pid}) is gone: stopping this worker gracefully")]
    public static partial void ParentGone(ILogger logger, int pid);
}
