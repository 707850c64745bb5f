namespace ZmqGame.Tests;

/// <summary>
/// NetMQ completes socket I/O on the .NET thread pool. The test host keeps one pool thread blocked for its whole
/// run (its message loop), and the raw-socket helpers block while they wait for frames, so on a two-core machine the
/// pool's default minimum (one thread per core) would leave NetMQ waiting for the pool to grow. The libraries keep
/// their own blocking work off the pool; this only gives the test harness its share.
/// </summary>
[SetUpFixture]
public sealed class PoolThreads
{
    [OneTimeSetUp]
    public void Reserve()
    {
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        var wanted = Math.Max(16, 4 * Environment.ProcessorCount);
        if (workers < wanted)
        {
            ThreadPool.SetMinThreads(wanted, completionPorts);
        }
    }
}
