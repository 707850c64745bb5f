using NetMQ;
using NetMQ.Sockets;
using ZmqGame.Protocol;
using ZmqGame.Tests.Support;
using ZmqGame.Worker;
using ZmqGame.Worker.Host;
using static ZmqGame.Tests.Support.Raw;

namespace ZmqGame.Tests.WorkerTests;

/// <summary>The worker library and the sample services against the real in-process broker.</summary>
[TestFixture]
public sealed class WorkerBrokerIntegrationTests
{
    private BrokerFixture _broker = null!;

    [SetUp]
    public void SetUp() => _broker = new BrokerFixture();

    [TearDown]
    public void TearDown() => _broker.Dispose();

    private async Task<WorkerApp> StartSamplesAsync(int slots = 2, TimeSpan? shutdown = null)
    {
        var app = WorkerApp.Create(TestOptions.For(_broker.Backend, slots, shutdown: shutdown));
        SampleServices.Map(app, SampleServices.Default);
        await app.StartAsync();
        await _broker.WaitForIdleWorkers(SampleServices.Game, slots);
        await _broker.WaitForIdleWorkers(SampleServices.Echo, slots);
        return app;
    }

    private static void SendZg<T>(DealerSocket client, ulong id, int command, T request, uint timeoutMs = 0) =>
        Send(client, [], B("ZGC01"), [0x01], B(SampleServices.Game), new RequestHeader(id, command, timeoutMs).ToArray(), Payload.Serialize(request));

    [Test]
    public async Task GameService_ThroughBroker_PingAddAndFail()
    {
        await using var app = await StartSamplesAsync();
        using var client = new DealerSocket(_broker.Frontend);

        SendZg(client, 1, GameCommands.Ping, new PingRequest(41));
        SendZg(client, 2, GameCommands.Add, new AddRequest(2, 3));
        SendZg(client, 3, GameCommands.Fail, new FailRequest("nope"));
        SendZg(client, 4, 4242, new PingRequest(1));

        var replies = new Dictionary<ulong, (Status Status, byte[] Payload)>();
        while (replies.Count < 4)
        {
            var frames = new List<byte[]>();
            Assert.That(client.TryReceiveMultipartBytes(Wait, ref frames), Is.True, $"replies so far: {string.Join(", ", replies.Keys)}");
            Assert.That(ReplyHeader.TryRead(frames[3], out var header), Is.True);
            replies[header.RequestId] = (header.Status, frames[4]);
        }

        var (ping, add, fail, unknown) = (replies[1], replies[2], replies[3], replies[4]);
        Assert.That(ping.Status, Is.EqualTo(Status.Ok));
        Assert.That(Payload.Deserialize<PongReply>(ping.Payload).Seq, Is.EqualTo(41));
        Assert.That(Payload.Deserialize<AddReply>(add.Payload).Sum, Is.EqualTo(5));
        Assert.That(fail.Status, Is.EqualTo(Status.HandlerFailed));
        Assert.That(unknown.Status, Is.EqualTo(Status.NoSuchRoute));
    }

    [Test]
    public async Task EchoService_StockMdpClient_GetsBodyBack()
    {
        await using var app = await StartSamplesAsync();
        using var client = new RequestSocket(_broker.Frontend);

        Send(client, B("MDPC01"), B(SampleServices.Echo), B("hello"), B("world"));
        var reply = Receive(client);

        Assert.That(reply.Select(S), Is.EqualTo(new[] { "MDPC01", SampleServices.Echo, "hello", "world" }));
    }

    [Test]
    public async Task GracefulStop_UnderRequest_ClientGetsReply()
    {
        var app = await StartSamplesAsync(slots: 1);
        using var client = new DealerSocket(_broker.Frontend);
        SendZg(client, 9, GameCommands.Sleep, new SleepRequest(300));
        await Eventually.True(() => Interlocked.Read(ref app.Counters.Requests) == 1, "worker holds the request");

        await app.StopAsync().WaitAsync(Wait);
        await app.DisposeAsync();

        var reply = RawZg.ReceiveReply(client, 9);
        Assert.That((Status)reply.Status, Is.EqualTo(Status.Ok));
        Assert.That(Payload.Deserialize<SleepReply>(reply.Payload.Single()).Ms, Is.EqualTo(300));
    }

    [Test]
    public async Task StopPastShutdownTimeout_MidRequest_ClientGetsWorkerLost()
    {
        var app = await StartSamplesAsync(slots: 1, shutdown: TimeSpan.FromMilliseconds(100));
        using var client = new DealerSocket(_broker.Frontend);
        SendZg(client, 5, GameCommands.Sleep, new SleepRequest(60_000));
        await Eventually.True(() => Interlocked.Read(ref app.Counters.Requests) == 1, "worker holds the request");

        await app.StopAsync().WaitAsync(Wait);
        await app.DisposeAsync();

        var reply = RawZg.ReceiveReply(client, 5);
        Assert.That((Status)reply.Status, Is.EqualTo(Status.WorkerLost));
    }

    [Test]
    public async Task ManyRequests_AcrossSlots_AllAnswered()
    {
        await using var app = await StartSamplesAsync(slots: 3);
        using var client = new DealerSocket(_broker.Frontend);
        const int count = 200;

        for (ulong id = 1; id <= count; id++)
        {
            SendZg(client, id, GameCommands.Add, new AddRequest((long)id, 1));
        }

        var sums = new HashSet<long>();
        for (var i = 0; i < count; i++)
        {
            var reply = ReceiveUntil(client, f => f.Count == 5 && S(f[1]) == "ZGC01");
            Assert.That(ReplyHeader.TryRead(reply[3], out var header), Is.True);
            Assert.That(header.Status, Is.EqualTo(Status.Ok));
            sums.Add(Payload.Deserialize<AddReply>(reply[4]).Sum);
        }

        Assert.That(sums, Is.EquivalentTo(Enumerable.Range(2, count).Select(i => (long)i)));
    }
}
