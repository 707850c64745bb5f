using NetMQ.Sockets;
using ZmqGame.Client;
using ZmqGame.Protocol;
using ZmqGame.Tests.Support;
using ZmqGame.Trigger;
using static ZmqGame.Tests.Broker.Limits.LimitPeers;
using static ZmqGame.Tests.Support.Raw;

namespace ZmqGame.Tests.Broker.Limits;

/// <summary>
/// The per-session request rate limit against a real broker (both transports), on a broker clock that moves only when
/// the test says so: requests over the bucket are answered <c>rate limited</c> at once and never reach a worker; other
/// sessions are served; stock MDP clients over the limit are dropped; every refusal is counted in <c>stats</c>.
/// </summary>
[TestFixture]
public sealed class RequestRateLimitTests
{
    private readonly ManualTimeProvider _time = new();

    [Test]
    public async Task SessionOverItsBurst_IsAnsweredRateLimitedAtOnce_WhileAnotherSessionIsServed()
    {
        using var broker = new BrokerFixture(o => { o.Limits.SessionRequestsPerSecond = 1; o.Limits.SessionRequestBurst = 3; }, _time);
        using var worker = await RawZgWorker.StartAsync(broker, "game");
        using var flooder = RawSessionClient.Welcomed(broker.Frontend);
        using var polite = RawSessionClient.Welcomed(broker.Frontend);

        for (ulong id = 1; id <= 3; id++)
        {
            Assert.That(Serve(flooder, worker, id), Is.Zero, $"request {id} is within the burst of 3");
        }

        var (status, text) = flooder.Call("game", 4, 1, B("four"));
        Assert.That((Status)status, Is.EqualTo(Status.RateLimited));
        Assert.That(S(text), Is.EqualTo("more than 1 requests/s (burst 3) from this session"));

        Assert.That(Serve(polite, worker, 100), Is.Zero, "another session has its own bucket");

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.That(Serve(flooder, worker, 5), Is.Zero, "a second later the flooder has one token again");
        Assert.That(broker.Stats.RateLimitedSession, Is.EqualTo(1));
        Assert.That(broker.Stats.Requests, Is.EqualTo(5), "the refused request never entered the dispatcher");
    }

    [Test]
    public async Task ZmqGameClient_OverTheLimit_GetsRateLimitedWithoutWaitingForItsTimeout()
    {
        using var broker = new BrokerFixture(o => o.Limits.SessionRequestsPerSecond = 1, _time);
        using var worker = await RawZgWorker.StartAsync(broker, "game");
        await using var client = await ZmqGameClient.ConnectAsync(broker.Frontend, new ZmqGameClientOptions { RequestTimeout = TimeSpan.FromMinutes(5) });

        var first = client.RequestRawAsync("game", 1, "one"u8.ToArray());
        var (address, header, _) = worker.NextRequest();
        worker.Reply(address, header.RequestId, B("ok"));
        Assert.That(S(await first.WaitAsync(Wait)), Is.EqualTo("ok"));

        // The request timeout is five minutes: only the broker's immediate answer can end this within the wait.
        var error = Assert.ThrowsAsync<ZmqGameRequestException>(() => client.RequestRawAsync("game", 1, "two"u8.ToArray()).WaitAsync(Wait))!;
        Assert.That(error.Status, Is.EqualTo(Status.RateLimited));
        Assert.That(error.ServerMessage, Does.Contain("more than 1 requests/s (burst 1) from this session"));
    }

    [Test]
    public async Task LimitsOff_ByDefault_AFloodIsServed()
    {
        using var broker = new BrokerFixture(time: _time);
        using var worker = await RawZgWorker.StartAsync(broker, "game");
        using var client = RawSessionClient.Welcomed(broker.Frontend);

        const int Flood = 300;
        for (ulong id = 1; id <= Flood; id++)
        {
            Send(client.Socket, [], B("ZGC01"), [ZgClient.Request], B("game"), RawZg.RequestHeader(id, 1, 0), B("x"));
        }

        for (var i = 0; i < Flood; i++)
        {
            var (address, header, _) = worker.NextRequest();
            worker.Reply(address, header.RequestId, B("ok"));
        }

        var ok = 0;
        for (var i = 0; i < Flood; i++)
        {
            var reply = client.Next(f => f.Count >= 4 && f[2][0] == ZgClient.Reply);
            ok += reply[3][12] == (byte)Status.Ok ? 1 : 0;
        }

        Assert.That(ok, Is.EqualTo(Flood));
        Assert.That(broker.Stats.RateLimitedSession + broker.Stats.RateLimitedConnection + broker.Stats.RateLimitedMdp, Is.Zero);
    }

    [Test]
    public async Task StockMdpClient_OverTheLimit_IsDroppedAndCounted()
    {
        using var broker = new BrokerFixture(o => { o.Limits.SessionRequestsPerSecond = 1; o.Limits.SessionRequestBurst = 2; }, _time);
        using var worker = await broker.RawWorkerAsync("echo");
        using var client = new DealerSocket(broker.Frontend);

        for (var i = 1; i <= 3; i++)
        {
            Send(client, [], B("MDPC01"), B("echo"), B("body" + i));
        }

        Assert.That(S(EchoOne(worker)), Is.EqualTo("body1"));
        Assert.That(S(EchoOne(worker)), Is.EqualTo("body2"));
        await Eventually.True(() => broker.Stats.RateLimitedMdp == 1, "the third request dropped and counted");

        _time.Advance(TimeSpan.FromSeconds(1));
        Send(client, [], B("MDPC01"), B("echo"), B("body4"));
        Assert.That(S(EchoOne(worker)), Is.EqualTo("body4"), "the third never reached the worker; the fourth, a second later, did");
        Assert.That(broker.Stats.MdpUnanswered, Is.Zero);
        for (var i = 0; i < 3; i++)
        {
            Receive(client);
        }
    }

    [Test]
    public async Task Refusals_AreShownByTriggerStats()
    {
        using var broker = new BrokerFixture(o => o.Limits.SessionRequestsPerSecond = 1, _time);
        using var worker = await RawZgWorker.StartAsync(broker, "game");
        using var session = new RawSessionClient(broker.Frontend);
        using var sessionless = new DealerSocket(broker.Frontend);
        session.Hello();
        Assert.That(Serve(session, worker, 1), Is.Zero);
        // One refusal each: on the own transport the connection is then not read until a token is back (the clock stands still).
        Assert.That(session.Call("game", 2, 1, B("x")).Status, Is.EqualTo((byte)Status.RateLimited));

        // A ZmqGame client without a session: its connection has the bucket.
        Send(sessionless, [], B("ZGC01"), [ZgClient.Request], B("game"), RawZg.RequestHeader(10, 1, 0), B("x"));
        var (address, header, _) = worker.NextRequest();
        worker.Reply(address, header.RequestId, B("ok"));
        Assert.That(RawZg.ReceiveReply(sessionless, 10).Status, Is.Zero);
        Send(sessionless, [], B("ZGC01"), [ZgClient.Request], B("game"), RawZg.RequestHeader(11, 1, 0), B("x"));
        var (status, payload) = RawZg.ReceiveReply(sessionless, 11);
        Assert.That((Status)status, Is.EqualTo(Status.RateLimited));
        Assert.That(S(payload.Single()), Does.EndWith("from this connection"));

        await using var trigger = await TriggerClient.ConnectAsync(broker.Control);
        var stats = await trigger.StatsAsync();
        Assert.That(stats.Counters[StatsReport.RateLimitedSessionKey], Is.EqualTo(1));
        Assert.That(stats.Counters[StatsReport.RateLimitedConnectionKey], Is.EqualTo(1));
        Assert.That(stats.Counters[StatsReport.RateLimitedMdpKey], Is.Zero);
        Assert.That(stats.Counters[StatsReport.ConnectionsRefusedIpRateKey], Is.Zero);
        Assert.That(stats.Counters[StatsReport.ConnectionsRefusedIpCapKey], Is.Zero);
        Assert.That(stats.Counters["requests"], Is.EqualTo(2), "old keys stay");
    }
}
