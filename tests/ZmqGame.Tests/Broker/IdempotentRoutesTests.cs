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
    public void Reconnector_RoundAfterALoss_StartsAtAnotherOne_AllOfThemGetChosen_AndTheOneLeftComesLast()
    {
        var random = new Random(1);
        var chosen = new HashSet<int>();
        for (var i = 0; i < 200; i++)
        {
            var order = Reconnector.RoundOrder(last: 1, count: 3, random).ToArray();
            Assert.That(order, Is.EquivalentTo(new[] { 0, 1, 2 }));
            Assert.That(order[^1], Is.EqualTo(1), "the broker left is tried last: " + string.Join(",", order));
            chosen.Add(order[0]);
        }

        Assert.That(chosen, Is.EquivalentTo(new[] { 0, 2 }));
        Assert.That(Reconnector.RoundOrder(last: 0, count: 1, random), Is.EqualTo(new[] { 0 }), "a single broker: that one again");
        Assert.That(Enumerable.Range(0, 100).Select(_ => Reconnector.RoundOrder(-1, 3, random).First()).Distinct().Count(), Is.EqualTo(3), "the first one at random");
        Assert.That(Reconnector.RoundOrder(-1, 3, random).ToArray(), Is.EquivalentTo(new[] { 0, 1, 2 }), "every broker once");
    }
}
