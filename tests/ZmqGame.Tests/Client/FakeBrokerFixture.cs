namespace ZmqGame.Tests.Client;

/// <summary>For each test, a fresh fake broker (that a test may replace, as a restarted one), disposed after the test.</summary>
public abstract class FakeBrokerFixture
{
    private protected FakeBroker Broker { get; set; } = null!;

    [SetUp]
    public void StartFakeBroker() => Broker = CreateBroker();

    [TearDown]
    public void StopFakeBroker() => Broker.Dispose();

    /// <summary>The broker each test starts with: it answers HELLO, heartbeats and CLOSE, and leaves requests to the test.</summary>
    private protected virtual FakeBroker CreateBroker() => new();
}
