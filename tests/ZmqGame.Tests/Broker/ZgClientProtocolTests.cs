using System.Buffers.Binary;
using NetMQ;
using NetMQ.Sockets;
using ZmqGame.Protocol;
using ZmqGame.Tests.Support;
using static ZmqGame.Tests.Support.Raw;
using static ZmqGame.Tests.Support.RawZg;

namespace ZmqGame.Tests.Broker;

/// <summary>The ZGC01 frontend extension, frame by frame, with raw sockets.</summary>
[TestFixture]
public sealed class ZgClientProtocolTests
{
    [Test]
    public async Task Request_ReachesWorkerWithHeaderAndPayload_AndReplyComesBack()
    {
        using var broker = new BrokerFixture();
        using var worker = await broker.RawWorkerAsync("game");
        using var client = new DealerSocket(broker.Frontend);

        Send(client, [], B("ZGC01"), [0x01], B("game"), RequestHeader(42, 7, 0), B("payload"));

        var request = ReceiveUntil(worker, f => IsWorkerCommand(f, 0x02));
        Assert.That(request, Has.Count.EqualTo(7));
        Assert.That(request[5], Is.EqualTo(RequestHeader(42, 7, 0)), "the header reaches the worker unchanged");
        Assert.That(S(request[6]), Is.EqualTo("payload"));

        Send(worker, [], B("MDPW01"), [0x03], request[3], [], ReplyHeader(42, 0), B("result"));

        var reply = Receive(client);
        Assert.That(reply, Has.Count.EqualTo(5));
        Assert.That(reply[0], Is.Empty);
        Assert.That(S(reply[1]), Is.EqualTo("ZGC01"));
        Assert.That(reply[2], Is.EqualTo(new byte[] { 0x02 }));
        Assert.That(reply[3], Is.EqualTo(ReplyHeader(42, 0)));
        Assert.That(S(reply[4]), Is.EqualTo("result"));
    }

    [Test]
    public void Request_NoWorker_AnsweredTimeoutAtClientDeadline()
    {
        using var broker = new BrokerFixture();
        using var client = new DealerSocket(broker.Frontend);

        SendRequest(client, "nobody", 1, timeoutMs: 100);

        var (status, payload) = ReceiveReply(client, 1);
        Assert.That((Status)status, Is.EqualTo(Status.Timeout));
        Assert.That(S(payload.Single()), Does.Contain("nobody"));
    }

    [Test]
    public void Request_QueueFull_AnsweredBusy()
    {
        using var broker = new BrokerFixture(o => o.MaxQueuedPerService = 2);
        using var client = new DealerSocket(broker.Frontend);

        SendRequest(client, "slow", 1);
        SendRequest(client, "slow", 2);
        SendRequest(client, "slow", 3);

        var (status, _) = ReceiveReply(client, 3);
        Assert.That((Status)status, Is.EqualTo(Status.Busy));
    }

    [Test]
    public async Task Request_WorkerKilledWhileHoldingIt_AnsweredWorkerLost()
    {
        using var broker = new BrokerFixture(o => o.HeartbeatInterval = TimeSpan.FromSeconds(30));
        using var client = new DealerSocket(broker.Frontend);
        var worker = new DealerSocket(broker.Backend);
        worker.Options.Linger = TimeSpan.Zero;
        Send(worker, [], B("MDPW01"), [0x01], B("game"));
        await broker.WaitForIdleWorkers("game");

        SendRequest(client, "game", 5);
        ReceiveUntil(worker, f => IsWorkerCommand(f, 0x02));
        worker.Dispose(); // the TCP connection closes; heartbeats are far off, so only the disconnect notice can tell

        var (status, payload) = ReceiveReply(client, 5);
        Assert.That((Status)status, Is.EqualTo(Status.WorkerLost));
        Assert.That(S(payload.Single()), Does.Contain("worker lost"));
    }

    [Test]
    public async Task Reply_WithoutReplyHeader_AnsweredHandlerFailed()
    {
        using var broker = new BrokerFixture();
        using var worker = await broker.RawWorkerAsync("game");
        using var client = new DealerSocket(broker.Frontend);

        SendRequest(client, "game", 8, 0, B("x"));
        var request = ReceiveUntil(worker, f => IsWorkerCommand(f, 0x02));
        Send(worker, [], B("MDPW01"), [0x03], request[3], [], B("not a header"));

        var (status, _) = ReceiveReply(client, 8);
        Assert.That((Status)status, Is.EqualTo(Status.HandlerFailed));
        await AssertServing(broker);
    }

    [Test]
    public void Heartbeat_IsAnswered()
    {
        using var broker = new BrokerFixture();
        using var client = new DealerSocket(broker.Frontend);

        Send(client, [], B("ZGC01"), [0x04]);

        var answer = Receive(client);
        Assert.That(answer.Select(f => f.Length), Is.EqualTo(new[] { 0, 5, 1 }));
        Assert.That(answer[2][0], Is.EqualTo(0x04));
    }

    [TestCase("")]
    [TestCase("mmi.service")]
    public void Request_BadServiceName_AnsweredBadRequest(string service)
    {
        using var broker = new BrokerFixture();
        using var client = new DealerSocket(broker.Frontend);

        SendRequest(client, service, 11);

        var (status, _) = ReceiveReply(client, 11);
        Assert.That((Status)status, Is.EqualTo(Status.BadRequest));
    }

    [Test]
    public async Task ManyOutstandingRequests_OneConnection_EachAnsweredById()
    {
        using var broker = new BrokerFixture();
        using var worker = await broker.RawWorkerAsync("game");
        using var client = new DealerSocket(broker.Frontend);

        for (ulong id = 1; id <= 10; id++)
        {
            SendRequest(client, "game", id, 0, B("n" + id));
        }

        for (var i = 0; i < 10; i++)
        {
            ServeOneEcho(worker);
        }

        var seen = new HashSet<ulong>();
        for (var i = 0; i < 10; i++)
        {
            var reply = Receive(client);
            var id = BinaryPrimitives.ReadUInt64BigEndian(reply[3].AsSpan(4));
            Assert.That(S(reply[4]), Is.EqualTo("n" + id));
            seen.Add(id);
        }

        Assert.That(seen, Has.Count.EqualTo(10));
    }
}
