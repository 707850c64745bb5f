using MessagePack;
using NetMQ;
using NetMQ.Sockets;
using ZmqGame.Client;
using ZmqGame.Protocol;
using ZmqGame.Tests.Support;
using ZmqGame.Worker;
using static ZmqGame.Tests.Support.Raw;

namespace ZmqGame.Tests.EndToEnd;

/// <summary>
/// Requests a departing worker held: handed back (crossed its DISCONNECT) or lost (connection gone)
/// while running an idempotent route, they run on another worker; otherwise the client is told.
/// </summary>
[TestFixture]
public sealed class RedispatchTests
{
    private const int Pure = 5;
    private const int Effectful = 6;

    [TestCase(true)]
    [TestCase(false)]
    public async Task DepartingWorker_HeldRequest_ServedByAnotherWorkerWhenSafe(bool idempotent)
    {
        using var broker = new BrokerFixture();
        var command = idempotent ? Pure : Effectful;

        // A ZmqGame worker (raw socket) that takes the request and then its connection dies.
        var doomed = new DealerSocket(broker.Backend);
        doomed.Options.Linger = TimeSpan.Zero;
        Send(doomed, [], B("MDPW01"), [0x01], B("game"), new WorkerInfo("old", [Pure]).Serialize());
        await broker.WaitForIdleWorkers("game");

        await using var app = WorkerApp.Create(new WorkerOptions { Broker = broker.Backend, Slots = 1, Version = "new" });
        var game = app.MapService("game");
        game.MapGroup(idempotent: true).Map<Num, Num>(Pure, (n, _) => new Num(n.Value * 10));
        game.Map<Num, Num>(Effectful, (n, _) => new Num(n.Value * 10));
        await app.StartAsync();
        await broker.WaitForIdleWorkers("game", 2);

        await using var client = await ZmqGameClient.ConnectAsync(broker.Frontend);
        var call = client.RequestAsync<Num, Num>("game", command, new Num(4));
        ReceiveUntil(doomed, f => IsWorkerCommand(f, 0x02)); // least recently used: the doomed one has it
        doomed.Dispose();

        if (idempotent)
        {
            Assert.That((await call.WaitAsync(Wait)).Value, Is.EqualTo(40));
            Assert.That(broker.Stats.Redispatched, Is.EqualTo(1));
        }
        else
        {
            var lost = Assert.ThrowsAsync<ZmqGameRequestException>(async () => await call.WaitAsync(Wait));
            Assert.That(lost!.Status, Is.EqualTo(Status.WorkerLost));
            Assert.That(broker.Stats.Redispatched, Is.Zero);
        }
    }

    [Test]
    public async Task RequestCrossingAWorkersDisconnect_IsServedByAnotherWorker()
    {
        using var broker = new BrokerFixture();
        using var leaving = new DealerSocket(broker.Backend);
        Send(leaving, [], B("MDPW01"), [0x01], B("game"), new WorkerInfo("old", []).Serialize());
        await broker.WaitForIdleWorkers("game");
        await using var app = WorkerApp.Create(new WorkerOptions { Broker = broker.Backend, Slots = 1 });
        app.MapService("game").Map<Num, Num>(Effectful, (n, _) => new Num(n.Value + 1));
        await app.StartAsync();
        await broker.WaitForIdleWorkers("game", 2);
        await using var client = await ZmqGameClient.ConnectAsync(broker.Frontend);

        var call = client.RequestAsync<Num, Num>("game", Effectful, new Num(1));
        ReceiveUntil(leaving, f => IsWorkerCommand(f, 0x02));
        // The worker had already decided to leave: it says DISCONNECT without running the request.
        Send(leaving, [], B("MDPW01"), [0x05]);

        Assert.That((await call.WaitAsync(Wait)).Value, Is.EqualTo(2));
        Assert.That(broker.Stats.WorkerLost, Is.Zero);
    }

    [MessagePackObject(true)]
    public record Num(int Value);
}
