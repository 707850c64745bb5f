using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ZmqGame.Worker.Host.Supervisor;

/// <summary>
/// Child side of supervisor mode: a worker started with <c>--parent-pid P</c> checks twice a second that its parent is
/// still P (<c>getppid(2)</c>; once a parent dies its children are re-parented to init or a subreaper, so the check
/// cannot be fooled by pid reuse) and stops gracefully when it is not: a SIGKILLed supervisor leaves no orphans
/// serving a build nobody watches.
/// </summary>
internal static class ParentWatch
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(500);

    public static void Start(int parentPid, IHostApplicationLifetime lifetime, ILogger logger, TimeProvider time)
    {
        _ = WatchAsync(parentPid, lifetime, logger, time);
    }

    private static async Task WatchAsync(int parentPid, IHostApplicationLifetime lifetime, ILogger logger, TimeProvider time)
    {
        var stopping = lifetime.ApplicationStopping;
        try
        {
            while (Posix.ParentPid() == parentPid)
            {
                await Task.Delay(Period, time, stopping).ConfigureAwait(false);
            }

            SupervisorLog.ParentGone(logger, parentPid);
            lifetime.StopApplication();
        }
        catch (OperationCanceledException)
        {
            // The worker is stopping anyway.
        }
    }
}
