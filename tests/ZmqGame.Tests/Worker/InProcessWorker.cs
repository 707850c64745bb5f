using ZmqGame.Tests.Support;
using ZmqGame.Worker;

namespace ZmqGame.Tests.WorkerTests;

/// <summary>A worker app in the test process, started against an in-process broker (<see cref="BrokerFixture"/>).</summary>
internal static class InProcessWorker
{
    /// <summary>
    /// A worker app with <paramref name="slots"/> slots on <paramref name="broker"/>'s backend and the services
    /// <paramref name="map"/> puts on it, started, and returned once the broker holds its slots idle for
    /// <paramref name="service"/>.
    /// </summary>
    public static async Task<WorkerApp> StartAsync(BrokerFixture broker, int slots, string service, Action<WorkerApp> map)
    {
        var app = WorkerApp.Create(TestOptions.For(broker.Backend, slots));
        try
        {
            map(app);
            await app.StartAsync();
            await broker.WaitForIdleWorkers(service, slots);
            return app;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }
}
