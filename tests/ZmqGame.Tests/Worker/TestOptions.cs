using ZmqGame.Worker;

namespace ZmqGame.Tests.WorkerTests;

internal static class TestOptions
{
    /// <summary>
    /// Slow heartbeats (no reconnect during a test) unless a test asks for fast ones. A short shutdown timeout: a fake
    /// broker never confirms a drain, so disposing an app against one waits for it (tests of the stop set their own).
    /// </summary>
    public static WorkerOptions For(string broker, int slots, TimeSpan? heartbeat = null, int liveness = 3, TimeSpan? shutdown = null) => new()
    {
        Broker = broker,
        Slots = slots,
        HeartbeatInterval = heartbeat ?? TimeSpan.FromSeconds(5),
        Liveness = liveness,
        ReconnectDelayMin = TimeSpan.FromMilliseconds(10),
        ReconnectDelayMax = TimeSpan.FromMilliseconds(50),
        ShutdownTimeout = shutdown ?? TimeSpan.FromSeconds(1),
    };
}
