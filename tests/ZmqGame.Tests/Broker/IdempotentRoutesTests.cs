using MessagePack;
using ZmqGame.Client.Internal;
using ZmqGame.Protocol;
using ZmqGame.Tests.Support;
using ZmqGame.Tests.WorkerTests;
using ZmqGame.Worker;

namespace ZmqGame.Tests.Broker;

/// <summary>WELCOME's <c>idempotent</c> map: the routes the broker's workers declared idempotent, announced to ZmqGame clients.</summary>
[TestFixture]
public sealed class IdempotentRoutesTests
{
    [Test]
    public async Task WorkerDeclaringIdempotentRoutes_ConnectedSessionGetsAWelcomeNamingThem()
    {
        using var broker = new BrokerFixture();
        using var raw = new RawSessionClient(broker.Frontend);
        Assert.That(raw.Hello().Idempotent, Is.Null, "no worker yet");

        await using var app = WorkerApp.Create(TestOptions.For(broker.Backend, slots: 2));
        var game = app.MapService("game");
        var again = game.MapGroup(idempotent: true);
        again.Map<int, int>(2, (n, _) => n);
        again.Map<int, int>(1, (n, _) => n);
        game.Map<int, int>(3, (n, _) => n);
        await app.StartAsync();
        await broker.WaitForIdleWorkers("game", 2);

        var welcome = raw.NextWelcome();
        Assert.That(welcome.Session, Is.EqualTo(raw.Id), "the same session, told again");
        Assert.That(welcome.Idempotent, Is.EqualTo(new Dictionary<string, int[]> { ["game"] = [1, 2] }));
        using var later = new RawSessionClient(broker.Frontend);
        Assert.That(later.Hello().Idempotent, Is.EqualTo(new Dictionary<string, int[]> { ["game"] = [1, 2] }), "and every new session");
    }

    [Test]
    public void Welcome_IdempotentMap_RoundTrips_AndIsAbsentWhenNone()
    {
        var welcome = new Welcome { Session = 5, Idempotent = new Dictionary<string, int[]> { ["game"] = [1, 4] } };

        Assert.That(Welcome.TryParse(welcome.Serialize(), out var read), Is.True);
        Assert.That(read.Idempotent, Is.EqualTo(welcome.Idempotent));
        var keys = MessagePackSerializer.Deserialize<Dictionary<string, object>>(new Welcome { Session = 5 }.Serialize(), Payload.Options);
        Assert.That(keys["idempotent"], Is.Null);
        Assert.That(IdempotentRoutes.From(read.Idempotent).Contains("game", 4), Is.True);
        Assert.That(IdempotentRoutes.From(read.Idempotent).Contains("game", 2), Is.False);
        Assert.That(IdempotentRoutes.From(null).Contains("game", 1), Is.False);
        Assert.That(ZgClient.Move, Is.EqualTo(0x09), "docs/protocol.md: MOVE");
    }

    [Test]
    public void Reconnector_NextBrokerAfterALoss_IsAnotherOne_AndAllOfThemGetChosen()
    {
        var random = new Random(1);
        var chosen = new HashSet<int>();
        for (var i = 0; i < 200; i++)
        {
            var next = Reconnector.FirstOfRound(last: 1, count: 3, random);
            Assert.That(next, Is.Not.EqualTo(1).And.InRange(0, 2));
            chosen.Add(next);
        }

        Assert.That(chosen, Is.EquivalentTo(new[] { 0, 2 }));
        Assert.That(Reconnector.FirstOfRound(last: 0, count: 1, random), Is.Zero, "a single broker: that one again");
        Assert.That(Enumerable.Range(0, 100).Select(_ => Reconnector.FirstOfRound(-1, 3, random)).Distinct().Count(), Is.EqualTo(3), "the first one at random");
    }
}
