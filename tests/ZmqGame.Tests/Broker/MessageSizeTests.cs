using System.Text;
using MessagePack;
using NetMQ.Sockets;
using ZmqGame.Broker;
using ZmqGame.Client;
using ZmqGame.Protocol;
using ZmqGame.Tests.Support;
using ZmqGame.Transport;
using static ZmqGame.Tests.Support.Raw;
using static ZmqGame.Tests.Support.RawZg;

namespace ZmqGame.Tests.Broker;

/// <summary>
/// <c>MaxMessageSize</c> bounds a whole message on either transport: a ZmqGame request over it is answered
/// <c>too large</c> with its size and the limit, a stock MDP request is dropped, and the connection stays for what
/// comes next; the client library refuses such a request before sending it.
/// </summary>
[TestFixture]
public sealed class MessageSizeTests
{
    private const byte TooLarge = (byte)Status.TooLarge;

    [Test]
    public async Task ZgRequest_TwentyFramesOf100KB_IsAnsweredTooLargeAndTheConnectionServesTheNext()
    {
        using var broker = new BrokerFixture();
        using var worker = await broker.RawWorkerAsync("size");
        using var client = new DealerSocket(broker.Frontend);
        var payload = Enumerable.Range(0, 20).Select(_ => new byte[100_000]).ToArray();

        SendRequest(client, "size", 1, 0, payload);

        var (status, text) = ReceiveReply(client, 1);
        Assert.That(status, Is.EqualTo(TooLarge));
        Assert.That(S(text.Single()), Does.StartWith("request of ").And.Contain("bytes is over the broker's limit of 1048576"));
        Assert.That(broker.Stats.BadInputCount(BadInput.FrontendTooLarge), Is.EqualTo(1));
        Assert.That(broker.Stats.Requests, Is.Zero, "the oversized request never reached the dispatcher");

        SendRequest(client, "size", 2, 0, B("small"));
        ServeOneEcho(worker);
        var (ok, echoed) = ReceiveReply(client, 2);
        Assert.That(ok, Is.Zero);
        Assert.That(S(echoed.Single()), Is.EqualTo("small"));
        Assert.That(Volatile.Read(ref broker.Stats.ClientDisconnects), Is.Zero, "the connection stayed");
    }

    [Test]
    public async Task ZgRequest_Of2MB_IsAnsweredTooLargeWhileASmallRequestInFlightOnTheSameConnectionSucceeds()
    {
        using var broker = new BrokerFixture();
        using var worker = await broker.RawWorkerAsync("size");
        using var client = new DealerSocket(broker.Frontend);

        SendRequest(client, "size", 1, 0, B("in flight"));
        var held = ReceiveUntil(worker, f => IsWorkerCommand(f, 0x02));
        SendRequest(client, "size", 2, 0, new byte[2 * 1024 * 1024]);

        var (status, text) = ReceiveReply(client, 2);
        Assert.That(status, Is.EqualTo(TooLarge));
        Assert.That(S(text.Single()), Is.EqualTo($"request of {2 * 1024 * 1024 + 5 + 1 + 4 + 20} bytes is over the broker's limit of 1048576"));

        Send(worker, [[], B("MDPW01"), [0x03], held[3], [], ReplyHeader(1, 0), B("done")]);
        var (ok, reply) = ReceiveReply(client, 1);
        Assert.That(ok, Is.Zero);
        Assert.That(S(reply.Single()), Is.EqualTo("done"));
        Assert.That(Volatile.Read(ref broker.Stats.ClientDisconnects), Is.Zero, "the connection stayed");
    }

    [Test]
    public async Task MdpRequest_OverTheLimit_IsDroppedAndCountedAndTheConnectionServesTheNext()
    {
        using var broker = new BrokerFixture();
        using var worker = await broker.RawWorkerAsync("size");
        using var client = new DealerSocket(broker.Frontend);

        Send(client, [], B("MDPC01"), B("size"), new byte[2 * 1024 * 1024]);
        Send(client, [], B("MDPC01"), B("size"), B("small"));

        var request = ReceiveUntil(worker, f => IsWorkerCommand(f, 0x02));
        Assert.That(S(request[5]), Is.EqualTo("small"), "the oversized request was dropped, the next one dispatched");
        Send(worker, [[], B("MDPW01"), [0x03], request[3], [], B("ok")]);
        Assert.That(Receive(client).Select(S), Is.EqualTo(new[] { "", "MDPC01", "size", "ok" }));
        Assert.That(broker.Stats.BadInputCount(BadInput.FrontendTooLarge), Is.EqualTo(1));
        Assert.That(broker.Stats.Requests, Is.EqualTo(1));
        Assert.That(Volatile.Read(ref broker.Stats.ClientDisconnects), Is.Zero, "the connection stayed");
    }

    [Test]
    public async Task WorkerReply_OverTheLimit_IsAnsweredTooLargeToTheClientAndTheWorkerServesOn()
    {
        using var broker = new BrokerFixture();
        using var worker = await broker.RawWorkerAsync("size");
        using var client = new DealerSocket(broker.Frontend);

        SendRequest(client, "size", 1, 0, B("big please"));
        var request = ReceiveUntil(worker, f => IsWorkerCommand(f, 0x02));
        Send(worker, [[], B("MDPW01"), [0x03], request[3], [], ReplyHeader(1, 0), new byte[2 * 1024 * 1024]]);

        var (status, text) = ReceiveReply(client, 1);
        Assert.That(status, Is.EqualTo(TooLarge));
        Assert.That(S(text.Single()), Does.StartWith("the worker's reply of ").And.EndWith("is over the broker's limit of 1048576"));
        Assert.That(broker.Stats.BadInputCount(BadInput.BackendTooLarge), Is.EqualTo(1));

        SendRequest(client, "size", 2, 0, B("next"));
        ServeOneEcho(worker);
        Assert.That(ReceiveReply(client, 2).Status, Is.Zero, "the worker is idle again and serves the next request");
    }

    [Test]
    public async Task Client_RequestOverTheLimitTheBrokerAnnounced_FailsTooLargeWithoutSendingIt()
    {
        using var broker = new BrokerFixture(o => o.MaxMessageSize = 4096);
        await using var client = await ZmqGameClient.ConnectAsync(broker.Frontend);

        var ex = Assert.ThrowsAsync<ZmqGameRequestException>(() => client.RequestRawAsync("size", 1, new byte[5000]));

        Assert.That(ex!.Status, Is.EqualTo(Status.TooLarge));
        Assert.That(ex.ServerMessage, Does.Match("^request of [0-9]+ bytes is over the broker's limit of 4096$"));
        Assert.That(broker.Stats.BadInputCount(BadInput.FrontendTooLarge), Is.Zero, "nothing reached the broker");
        Assert.That(Volatile.Read(ref broker.Stats.Requests), Is.Zero);
    }

    [Test]
    public async Task Client_RequestToAServiceNobodyServes_EndsWithTheBrokersTimeoutText()
    {
        using var broker = new BrokerFixture();
        await using var client = await ZmqGameClient.ConnectAsync(broker.Frontend);

        for (var i = 0; i < 5; i++)
        {
            var ex = Assert.ThrowsAsync<ZmqGameRequestException>(
                () => client.RequestRawAsync("nobody", 1, Encoding.UTF8.GetBytes("hi"), TimeSpan.FromMilliseconds(200)));
            Assert.That(ex!.Status, Is.EqualTo(Status.Timeout));
            Assert.That(ex.ServerMessage, Is.EqualTo("no worker of service 'nobody' is registered"), $"attempt {i}");
        }
    }

    [Test]
    public void ControlMessage_OverTheLimit_IsCountedAndAnsweredWithAnErrorAndTheConnectionServesTheNext()
    {
        using var broker = new BrokerFixture(o => o.MaxMessageSize = 64 * 1024);
        using var admin = new DealerSocket(broker.Control);
        var size = "ZGT01".Length + "stats".Length + (200 * 1024);

        var answer = RawControl.Ask(admin, "stats", new byte[200 * 1024]);

        var error = MessagePackSerializer.Deserialize<Dictionary<string, string>>(answer[3], Payload.Options);
        Assert.That(error, Is.EqualTo(new Dictionary<string, string> { ["error"] = $"too large: a message of {size} bytes is over the broker's limit of {64 * 1024}" }));
        Assert.That(broker.Stats.BadInputCount(BadInput.ControlTooLarge), Is.EqualTo(1));

        var counters = (Dictionary<object, object>)RawControl.Stats(admin)["counters"];
        Assert.That(Convert.ToInt64(counters["bad_input.ControlTooLarge"]), Is.EqualTo(1), "the same connection is answered the next command");
    }

    /// <summary>
    /// One frame of 8 times the limit: the own transport skips it (it is under 64 times the limit) and answers the
    /// request too large on a connection that stays; NetMQ holds a frame whole, so its per-frame cap is 4 times the
    /// limit and it drops the connection instead, before the broker sees the message.
    /// </summary>
    [Test]
    public async Task ZgRequest_OneFrameOfEightTimesTheLimit_IsTooLargeOnTheOwnTransportAndDropsTheConnectionOnNetMq()
    {
        const int limit = 64 * 1024;
        using var broker = new BrokerFixture(o => o.MaxMessageSize = limit);
        using var worker = await broker.RawWorkerAsync("size");
        using var client = new DealerSocket(broker.Frontend);
        var closed = Volatile.Read(ref broker.Stats.ClientDisconnects);

        SendRequest(client, "size", 1, 0, new byte[8 * limit]);

        if (TransportChoice.NetMqForced)
        {
            await Eventually.True(() => Volatile.Read(ref broker.Stats.ClientDisconnects) > closed, "NetMQ closes the connection");
            Assert.That(broker.Stats.BadInputCount(BadInput.FrontendTooLarge), Is.Zero, "the broker never saw the message");
            Assert.That(Volatile.Read(ref broker.Stats.Requests), Is.Zero);
        }
        else
        {
            var (status, text) = ReceiveReply(client, 1);
            Assert.That(status, Is.EqualTo(TooLarge));
            Assert.That(S(text.Single()), Is.EqualTo($"request of {(8 * limit) + 5 + 1 + 4 + 20} bytes is over the broker's limit of {limit}"));
            Assert.That(broker.Stats.BadInputCount(BadInput.FrontendTooLarge), Is.EqualTo(1));
            Assert.That(Volatile.Read(ref broker.Stats.ClientDisconnects), Is.EqualTo(closed), "the connection stayed");
        }

        // Either way the client (NetMQ's DEALER reconnects) and the broker serve on.
        SendRequest(client, "size", 2, 0, B("small"));
        ServeOneEcho(worker);
        var (ok, echoed) = ReceiveReply(client, 2);
        Assert.That(ok, Is.Zero);
        Assert.That(S(echoed.Single()), Is.EqualTo("small"));
    }
}
