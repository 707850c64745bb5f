using ZmqGame.Worker;

namespace ZmqGame.Tests.WorkerTests;

/// <summary>
/// For each test, a fresh fake broker and a one-slot worker app on it, not started yet (the test maps its routes
/// first). After the test the app is disposed, then the broker.
/// </summary>
public abstract class OneSlotWorkerFixture
{
    private protected FakeBroker Broker { get; private set; } = null!;

    private protected WorkerApp App { get; private set; } = null!;

    [SetUp]
    public void CreateBrokerAndApp()
    {
        Broker = new FakeBroker();
        App = WorkerApp.Create(TestOptions.For(Broker.Endpoint, slots: 1));
    }

    [TearDown]
    public async Task DisposeAppAndBroker()
    {
        await App.DisposeAsync();
        Broker.Dispose();
    }
}
