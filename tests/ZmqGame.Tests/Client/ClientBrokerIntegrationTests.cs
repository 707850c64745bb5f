using ZmqGame.Broker;
using ZmqGame.Client;
using ZmqGame.Protocol;

using ZmqGame.Tests.Support;

namespace ZmqGame.Tests.Client;

/// <summary>The client library against the real broker, in process, with raw RFC 7 workers.</summary>
[TestFixture]
[CancelAfter(30_000)]
public sealed class ClientBrokerIntegrationTests
{
    private BrokerHost broker = null!;
    private readonly List<MdpTestWorker> workers = [];

    [SetUp]
    public async Task SetUp()
    {
        broker = StartBroker();
        workers.Add(new MdpTestWorker(broker.BackendEndpoint, "game", MdpTestWorker.Game));
        workers.Add(new MdpTestWorker(broker.BackendEndpoint, "game", MdpTestWorker.Game));
        await broker.WaitForIdleWorkersAsync("game", 2, CancellationToken.None).Within();
    }

    [TearDown]
    public void TearDown()
    {
        workers.ForEach(w => w.Dispose());
        workers.Clear();
        broker.Dispose();
    }

    internal static BrokerHost StartBroker()
    {
        var server = new BrokerHost(new BrokerOptions
        {
            Frontend = "tcp://127.0.0.1:0",
            Backend = "tcp://127.0.0.1:0",
            Control = "tcp://127.0.0.1:0",
            HeartbeatInterval = TimeSpan.FromMilliseconds(500),
        });
        server.Start();
        return server;
    }

    [Test]
    public async Task Request_ThroughBroker_ReturnsWorkersReply()
    {
        await using var client = await ZmqGameClient.ConnectAsync(broker.FrontendEndpoint);
        var move = new Move("ann", 1, 2);
        Assert.That(await client.RequestAsync<Move, Move>("game", 1, move).Within(), Is.EqualTo(move));
    }

    [TestCase(99, Status.NoSuchRoute, "no route for cmd 99")]
    [TestCase(2, Status.HandlerFailed, "boom")]
    public async Task Request_ThroughBroker_WorkerErrorStatus_ThrowsWithStatus(int command, Status status, string text)
    {
        await using var client = await ZmqGameClient.ConnectAsync(broker.FrontendEndpoint);
        var ex = Assert.ThrowsAsync<ZmqGameRequestException>(async () =>
            await client.RequestAsync<Move, Move>("game", command, new Move("ann", 1, 2)).Within());
        Assert.That(ex!.Status, Is.EqualTo(status));
        Assert.That(ex.ServerMessage, Is.EqualTo(text));
    }

    [Test]
    public async Task Request_ThroughBroker_ServiceWithoutWorkers_ThrowsTimeout()
    {
        await using var client = await ZmqGameClient.ConnectAsync(broker.FrontendEndpoint);
        var ex = Assert.ThrowsAsync<ZmqGameRequestException>(async () =>
            await client.RequestRawAsync("nobody", 1, new byte[] { 0xC0 }, TimeSpan.FromMilliseconds(300)).Within());
        Assert.That(ex!.Status, Is.EqualTo(Status.Timeout));
    }

    [Test]
    public async Task Request_ThroughBroker_ManyConcurrentCallers_AllAnswered()
    {
        await using var client = await ZmqGameClient.ConnectAsync(broker.FrontendEndpoint);
        var calls = Enumerable.Range(0, 8).Select(t => Task.Run(async () =>
        {
            for (var i = 0; i < 25; i++)
            {
                var move = new Move($"t{t}", i, t);
                Assert.That(await client.RequestAsync<Move, Move>("game", 1, move), Is.EqualTo(move));
            }
        }));
        await Task.WhenAll(calls).Within();
    }

    [Test]
    public async Task Heartbeat_ThroughBroker_IdleClientStaysOnOneConnection()
    {
        var options = new ZmqGameClientOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(50), Liveness = 20 };
        await using var client = await ZmqGameClient.ConnectAsync(broker.FrontendEndpoint, options);
        await Eventually.True(() => client.Core.HeartbeatsSent >= 10, "ten heartbeats sent");
        Assert.That(client.Core.ConnectionsOpened, Is.EqualTo(1), "the broker answered every heartbeat");
        Assert.That(await client.RequestRawAsync("game", 1, new byte[] { 0x2A }).Within(), Is.EqualTo(new byte[] { 0x2A }));
    }
}
