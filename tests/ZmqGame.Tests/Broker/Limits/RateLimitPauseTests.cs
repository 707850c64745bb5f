using NetMQ;
using NetMQ.Sockets;
using ZmqGame.Protocol;
using ZmqGame.Tests.Support;
using static ZmqGame.Tests.Broker.Limits.LimitPeers;
using static ZmqGame.Tests.Support.Raw;

namespace ZmqGame.Tests.Broker.Limits;

/// <summary>
/// Back-pressure on a client over its rate limit (own transport): its refused request is answered (or, stock MDP,
/// dropped) and its connection is then not read until its bucket holds a token again, on a broker clock that moves
/// only when the test says so. Meanwhile other clients are served, and a paused client that hangs up is noticed.
/// </summary>
[TestFixture]
[Category(Categories.OwnTransport)]
public sealed class RateLimitPauseTests
{
    /// <summary>How long a request the broker should not read is given to come back anyway (a negative check).</summary>
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(500);

    private readonly ManualTimeProvider _time = new();

    [Test]
    public async Task SessionOverItsLimit_IsAnsweredOnce_ThenNotReadUntilItHasATokenAgain()
    {
        using var broker = new BrokerFixture(o => { o.Limits.SessionRequestsPerSecond = 1; o.Limits.SessionRequestBurst = 1; }, _time);
        using var worker = await RawZgWorker.StartAsync(broker, "game");
        using var flooder = RawSessionClient.Welcomed(broker.Frontend);
        using var polite = RawSessionClient.Welcomed(broker.Frontend);

        Assert.That(Serve(flooder, worker, 1), Is.Zero, "within the burst");
        Assert.That((Status)flooder.Call("game", 2, 1, B("x")).Status, Is.EqualTo(Status.RateLimited));
        for (ulong id = 3; id <= 5; id++)
        {
            SendRequest(flooder, id);
        }

        // Another connection is read and served meanwhile.
        Assert.That(Serve(polite, worker, 100), Is.Zero);
        Assert.That(Arrives(flooder.Socket, f => f.Count >= 4 && f[2][0] == ZgClient.Reply), Is.False, "the paused connection's requests are not read, so not answered");
        Assert.That(broker.Stats.RateLimitedSession, Is.EqualTo(1), "one refusal: the rest wait in TCP buffers");

        // A token is back: the next tick reads the connection again (3, 4 and 5 in one read): 3 takes the token, 4 and 5
        // are refused as they are handled.
        _time.Advance(TimeSpan.FromSeconds(1));
        var (_, header, _) = worker.NextRequest(); // waits for the resume (a tick, real time)
        Assert.That(header.RequestId, Is.EqualTo(3UL), "the first request that waited is the one served");
        await Eventually.True(() => broker.Stats.RateLimitedSession == 3, "requests 4 and 5, read with 3, refused");
        Assert.That(broker.Stats.Requests, Is.EqualTo(3), "1, 100 and 3 entered the dispatcher");
    }

    [Test]
    public async Task StockMdpClient_OverTheLimit_IsNotReadUntilItsConnectionHasATokenAgain()
    {
        using var broker = new BrokerFixture(o => { o.Limits.SessionRequestsPerSecond = 1; o.Limits.SessionRequestBurst = 1; }, _time);
        using var worker = await broker.RawWorkerAsync("echo");
        using var client = new DealerSocket(broker.Frontend);

        Send(client, [], B("MDPC01"), B("echo"), B("body1"));
        Assert.That(S(EchoOne(worker)), Is.EqualTo("body1"));
        Send(client, [], B("MDPC01"), B("echo"), B("body2"));
        await Eventually.True(() => broker.Stats.RateLimitedMdp == 1, "the second request dropped and counted");

        Send(client, [], B("MDPC01"), B("echo"), B("body3"));
        Assert.That(Arrives(worker, f => IsWorkerCommand(f, 0x02)), Is.False, "the paused connection is not read");
        Assert.That(broker.Stats.RateLimitedMdp, Is.EqualTo(1), "nor refused again");

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.That(S(EchoOne(worker)), Is.EqualTo("body3"), "read once a token is back, and served");
    }

    [Test]
    public async Task PausedClient_ThatHangsUp_IsStillNoticed()
    {
        using var broker = new BrokerFixture(o => { o.Limits.SessionRequestsPerSecond = 1; o.Limits.SessionRequestBurst = 1; }, _time);
        using var worker = await RawZgWorker.StartAsync(broker, "game");
        var flooder = RawSessionClient.Welcomed(broker.Frontend);
        Assert.That(Serve(flooder, worker, 1), Is.Zero);
        Assert.That((Status)flooder.Call("game", 2, 1, B("x")).Status, Is.EqualTo(Status.RateLimited));
        SendRequest(flooder, 3);
        var before = broker.Stats.ClientDisconnects;

        flooder.Socket.Options.Linger = TimeSpan.Zero;
        flooder.Dispose();

        await Eventually.True(() => broker.Stats.ClientDisconnects == before + 1, "the paused connection's hang-up is seen (peer gone)");
        Assert.That(broker.Stats.Requests, Is.EqualTo(1));
    }

    /// <summary>True if a message matching <paramref name="match"/> arrives within <see cref="Quiet"/> (others, such as heartbeats, are skipped).</summary>
    private static bool Arrives(IReceivingSocket socket, Func<List<byte[]>, bool> match)
    {
        var deadline = DateTime.UtcNow + Quiet;
        var frames = new List<byte[]>();
        for (var left = Quiet; left > TimeSpan.Zero; left = deadline - DateTime.UtcNow)
        {
            if (socket.TryReceiveMultipartBytes(left, ref frames) && match(frames))
            {
                return true;
            }
        }

        return false;
    }
}
