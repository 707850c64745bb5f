using NetMQ;
using NetMQ.Sockets;
using ZmqGame.Tests.Support;
using static ZmqGame.Tests.Support.Raw;

namespace ZmqGame.Tests.Broker;

/// <summary>
/// The broker driven by stock Majordomo peers: raw NetMQ sockets framed from ZeroMQ RFC 7 (MDP/0.1)
/// and RFC 8 (mmi.service), not through any ZmqGame library.
/// </summary>
[TestFixture]
public sealed class MdpInteropTests
{
    private const byte Ready = 0x01;
    private const byte Request = 0x02;
    private const byte Reply = 0x03;
    private const byte Heartbeat = 0x04;
    private const byte Disconnect = 0x05;

    [Test]
    public async Task StockReqClient_AndStockWorker_RoundTripMultiFrameBody()
    {
        using var broker = new BrokerFixture();
        using var worker = await broker.RawWorkerAsync("echo");

        using var client = new RequestSocket(broker.Frontend);
        Send(client, B("MDPC01"), B("echo"), B("hello"), B("world"));

        // RFC 7: REQUEST = [""]["MDPW01"][0x02][client address][""][body…]
        var request = Receive(worker);
        Assert.That(request, Has.Count.EqualTo(7));
        Assert.That(request[0], Is.Empty);
        Assert.That(S(request[1]), Is.EqualTo("MDPW01"));
        Assert.That(request[2], Is.EqualTo(new[] { Request }));
        Assert.That(request[4], Is.Empty);
        Assert.That(S(request[5]) + S(request[6]), Is.EqualTo("helloworld"));

        Send(worker, [], B("MDPW01"), [Reply], request[3], [], B("HELLO"), B("WORLD"));

        var reply = Receive(client);
        Assert.That(reply.Select(S), Is.EqualTo(new[] { "MDPC01", "echo", "HELLO", "WORLD" }));
    }

    [Test]
    public async Task StockDealerClient_ManyRequestsOverTwoWorkers_AllAnsweredByBoth()
    {
        using var broker = new BrokerFixture();
        using var w1 = new DealerSocket(broker.Backend);
        using var w2 = new DealerSocket(broker.Backend);
        Send(w1, [], B("MDPW01"), [Ready], B("echo"));
        Send(w2, [], B("MDPW01"), [Ready], B("echo"));
        await broker.WaitForIdleWorkers("echo", 2);

        using var client = new DealerSocket(broker.Frontend);
        const int n = 20;
        for (var i = 0; i < n; i++)
        {
            Send(client, [], B("MDPC01"), B("echo"), B("m" + i));
        }

        // Each worker holds one request at a time: serve alternately until all are answered.
        var served = new Dictionary<DealerSocket, int> { [w1] = 0, [w2] = 0 };
        var answered = new HashSet<string>();
        using var poller = new NetMQPoller { w1, w2 };
        void Serve(object? sender, NetMQSocketEventArgs e)
        {
            var frames = e.Socket.ReceiveMultipartBytes();
            if (frames.Count >= 6 && frames[2][0] == Request)
            {
                served[(DealerSocket)e.Socket]++;
                e.Socket.SendMultipartBytes([], B("MDPW01"), [Reply], frames[3], [], frames[5]);
            }
        }

        w1.ReceiveReady += Serve;
        w2.ReceiveReady += Serve;
        poller.RunAsync();
        for (var i = 0; i < n; i++)
        {
            var reply = Receive(client);
            Assert.That(reply, Has.Count.EqualTo(4));
            Assert.That(reply[0], Is.Empty);
            answered.Add(S(reply[3]));
        }

        poller.Stop();
        Assert.That(answered, Has.Count.EqualTo(n));
        Assert.That(served[w1], Is.GreaterThan(0));
        Assert.That(served[w2], Is.GreaterThan(0));
        Assert.That(served[w1] + served[w2], Is.EqualTo(n));
    }

    [Test]
    public async Task MmiService_AnswersPerRfc8()
    {
        using var broker = new BrokerFixture();
        using var worker = await broker.RawWorkerAsync("echo");
        using var client = new RequestSocket(broker.Frontend);

        Send(client, B("MDPC01"), B("mmi.service"), B("echo"));
        Assert.That(Receive(client).Select(S), Is.EqualTo(new[] { "MDPC01", "mmi.service", "200" }));

        Send(client, B("MDPC01"), B("mmi.service"), B("nobody"));
        Assert.That(Receive(client).Select(S), Is.EqualTo(new[] { "MDPC01", "mmi.service", "404" }));

        Send(client, B("MDPC01"), B("mmi.teapot"), B("x"));
        Assert.That(Receive(client).Select(S), Is.EqualTo(new[] { "MDPC01", "mmi.teapot", "501" }));
    }

    [Test]
    public async Task Broker_HeartbeatsAnIdleWorker()
    {
        using var broker = new BrokerFixture(o => o.HeartbeatInterval = TimeSpan.FromMilliseconds(50));
        using var worker = await broker.RawWorkerAsync("echo");

        var heartbeat = Receive(worker);
        Assert.That(IsWorkerCommand(heartbeat, Heartbeat), Is.True);
    }

    [Test]
    public async Task Worker_SilentPastLiveness_IsRemovedAndToldToDisconnect()
    {
        using var broker = new BrokerFixture(o =>
        {
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(50);
            o.Liveness = 2;
        });
        using var worker = await broker.RawWorkerAsync("echo");

        ReceiveUntil(worker, f => IsWorkerCommand(f, Disconnect));
        var workers = await broker.Server.InvokeAsync(() => broker.Server.Dispatcher.WorkerCount);
        Assert.That(workers, Is.Zero);
        Assert.That(broker.Stats.WorkersExpired, Is.EqualTo(1));
    }

    [Test]
    public async Task Worker_SecondReady_GetsDisconnect()
    {
        using var broker = new BrokerFixture();
        using var worker = await broker.RawWorkerAsync("echo");

        Send(worker, [], B("MDPW01"), [Ready], B("echo"));

        ReceiveUntil(worker, f => IsWorkerCommand(f, Disconnect));
        Assert.That(broker.Stats.BadInputCount(ZmqGame.Broker.BadInput.BackendDuplicateReady), Is.EqualTo(1));
    }

    [TestCase(Reply)]
    [TestCase(Heartbeat)]
    [TestCase(Request)]
    [TestCase((byte)0x42)]
    public void Worker_CommandBeforeReady_GetsDisconnect(byte command)
    {
        using var broker = new BrokerFixture();
        using var worker = new DealerSocket(broker.Backend);

        Send(worker, [], B("MDPW01"), [command], B("client"), [], B("body"));

        ReceiveUntil(worker, f => IsWorkerCommand(f, Disconnect));
    }

    [Test]
    public void Worker_UnknownProtocolHeader_GetsDisconnect()
    {
        using var broker = new BrokerFixture();
        using var worker = new DealerSocket(broker.Backend);

        Send(worker, [], B("MDPW02"), [Ready], B("echo"));

        ReceiveUntil(worker, f => IsWorkerCommand(f, Disconnect));
        Assert.That(broker.Stats.BadInputCount(ZmqGame.Broker.BadInput.BackendUnknownHeader), Is.EqualTo(1));
    }

    [Test]
    public async Task Worker_Disconnect_IsForgotten()
    {
        using var broker = new BrokerFixture();
        using var worker = await broker.RawWorkerAsync("echo");
        using var client = new RequestSocket(broker.Frontend);
        Send(client, B("MDPC01"), B("mmi.service"), B("echo"));
        Assert.That(S(Receive(client)[2]), Is.EqualTo("200"));

        Send(worker, [], B("MDPW01"), [Disconnect]);

        // Messages from one peer are handled in order: a heartbeat after the DISCONNECT comes from
        // a worker the broker no longer knows, so it answers DISCONNECT.
        Send(worker, [], B("MDPW01"), [Heartbeat]);
        ReceiveUntil(worker, f => IsWorkerCommand(f, Disconnect));
        Send(client, B("MDPC01"), B("mmi.service"), B("echo"));
        Assert.That(S(Receive(client)[2]), Is.EqualTo("404"));
        Assert.That(broker.Stats.WorkersDisconnected, Is.EqualTo(1));
    }
}
