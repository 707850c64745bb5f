using System.Threading.Channels;
using ZmqGame.Protocol;
using ZmqGame.Tests.Support;
using ZmqGame.Worker;
using static ZmqGame.Tests.Support.Raw;

namespace ZmqGame.Tests.WorkerTests;

/// <summary>
/// A slot attached to two brokers, seen from two fake brokers: whichever sends a request gets the slot, the other is
/// told "paused" and then "ready"; a request that crosses "paused" runs after the current one, never beside it.
/// </summary>
[TestFixture]
public sealed class MultiBrokerSlotTests
{
    private const int Hold = 20;

    private FakeBroker _a = null!;
    private FakeBroker _b = null!;

    [SetUp]
    public void SetUp()
    {
        _a = new FakeBroker();
        _b = new FakeBroker();
    }

    [TearDown]
    public void TearDown()
    {
        _a.Dispose();
        _b.Dispose();
    }

    /// <summary>A route whose handler announces each start and waits for the test to let one request finish.</summary>
    private sealed class Turnstile
    {
        private readonly SemaphoreSlim _finish = new(0);
        private int _running;
        private int _max;

        public Channel<int> Started { get; } = Channel.CreateUnbounded<int>();

        public int MaxRunning => Volatile.Read(ref _max);

        public void FinishOne() => _finish.Release();

        public void Map(WorkerApp app) => app.MapService("game").Map<Num, Num>(Hold, async (n, ctx) =>
        {
            var now = Interlocked.Increment(ref _running);
            InterlockedMax(ref _max, now);
            Started.Writer.TryWrite(n.Value);
            await _finish.WaitAsync(ctx.RequestAborted);
            Interlocked.Decrement(ref _running);
            return n;
        });

        public async Task<int> NextStartAsync() => await Started.Reader.ReadAsync().AsTask().WaitAsync(Wait);

        private static void InterlockedMax(ref int target, int value)
        {
            int seen;
            while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
            {
            }
        }
    }

    /// <summary>The next message from <paramref name="broker"/> other than a plain HEARTBEAT, shown as "REPLY", "paused", "ready"….</summary>
    private static string Next(FakeBroker broker)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (DateTime.UtcNow < deadline)
        {
            var message = broker.TryReceive(deadline - DateTime.UtcNow);
            if (message is null)
            {
                break;
            }

            if (message.Command == Mdp.Heartbeat && message.Rest.Count == 0)
            {
                continue;
            }

            return message.Command == Mdp.Heartbeat ? S(message.Rest[0]) : Mdp.CommandName(message.Command);
        }

        Assert.Fail("nothing from the worker within the timeout");
        return string.Empty;
    }

    /// <summary>Everything but plain heartbeats that arrives within <paramref name="window"/> (to prove that nothing else comes).</summary>
    private static List<string> Quiet(FakeBroker broker, TimeSpan window)
    {
        var seen = new List<string>();
        var deadline = DateTime.UtcNow + window;
        for (var left = window; left > TimeSpan.Zero; left = deadline - DateTime.UtcNow)
        {
            if (broker.TryReceive(left) is { } message && !(message.Command == Mdp.Heartbeat && message.Rest.Count == 0))
            {
                seen.Add(message.Command == Mdp.Heartbeat ? S(message.Rest[0]) : Mdp.CommandName(message.Command));
            }
        }

        return seen;
    }

    private async Task<(WorkerApp App, byte[] A, byte[] B)> StartAsync(Turnstile turnstile)
    {
        var app = WorkerApp.Create(TestOptions.For($"{_a.Endpoint},{_b.Endpoint}", slots: 1));
        turnstile.Map(app);
        await app.StartAsync();
        return (app, _a.Expect(Mdp.Ready).Identity, _b.Expect(Mdp.Ready).Identity);
    }

    [Test]
    public async Task RequestFromOneBroker_PausesTheSlotAtTheOther_ThenReadyAfterTheReply()
    {
        var turnstile = new Turnstile();
        var (app, a, _) = await StartAsync(turnstile);
        await using var _app = app;

        _a.SendRequest(a, "c1", FakeBroker.ZgBody(1, Hold, new Num(1)));
        Assert.That(await turnstile.NextStartAsync(), Is.EqualTo(1));
        Assert.That(Next(_b), Is.EqualTo("paused"), "the other broker is told the slot is taken");

        turnstile.FinishOne();
        Assert.That(Next(_a), Is.EqualTo("REPLY"));
        Assert.That(Next(_b), Is.EqualTo("ready"), "free again: the other broker may send work");
        Assert.That(Quiet(_a, TimeSpan.FromMilliseconds(200)), Is.Empty, "the broker that gave the work needs no message: the REPLY made the slot idle there");
    }

    [Test]
    public async Task RequestThatCrossedPaused_RunsAfterTheCurrentOne_NeverBesideIt()
    {
        var turnstile = new Turnstile();
        var (app, a, b) = await StartAsync(turnstile);
        await using var _app = app;

        _a.SendRequest(a, "c1", FakeBroker.ZgBody(1, Hold, new Num(1)));
        Assert.That(await turnstile.NextStartAsync(), Is.EqualTo(1));
        // Sent at once: it reaches B's link before or after the run has lasted SlotCredit.PauseAfter (B's link says
        // "paused" only in the second case; in the first it holds request 2, so it is busy at B and needs no pause).
        _b.SendRequest(b, "c2", FakeBroker.ZgBody(2, Hold, new Num(2)));
        var bPaused = Quiet(_b, TimeSpan.FromMilliseconds(200));
        Assert.That(bPaused, Is.SubsetOf(new[] { "paused" }), "request 2 waits for the slot: no reply yet");
        Assert.That(turnstile.Started.Reader.TryRead(out _), Is.False, "its handler has not started");

        turnstile.FinishOne();
        Assert.That(Next(_a), Is.EqualTo("REPLY"));
        Assert.That(await turnstile.NextStartAsync(), Is.EqualTo(2), "request 2 runs next");
        Assert.That(Next(_a), Is.EqualTo("paused"), "the slot now runs broker B's request, which lasts: A's link pauses");

        turnstile.FinishOne();
        Assert.That(Next(_b), Is.EqualTo("REPLY"));
        Assert.That(Next(_a), Is.EqualTo("ready"));
        Assert.That(Quiet(_b, TimeSpan.FromMilliseconds(200)), Is.EqualTo(bPaused.Count == 0 ? Array.Empty<string>() : new[] { "ready" }),
            "B's link says ready only if it had said paused (its REPLY left it paused there); else the REPLY made it idle there");
        Assert.That(turnstile.MaxRunning, Is.EqualTo(1));
    }

    [Test]
    public async Task OneBroker_NoPausedOrReadyOnTheWire()
    {
        var turnstile = new Turnstile();
        await using var app = WorkerApp.Create(TestOptions.For(_a.Endpoint, slots: 2));
        turnstile.Map(app);
        await app.StartAsync();
        var first = _a.Expect(Mdp.Ready).Identity;
        var second = _a.Expect(Mdp.Ready).Identity;

        _a.SendRequest(first, "c1", FakeBroker.ZgBody(1, Hold, new Num(1)));
        _a.SendRequest(second, "c2", FakeBroker.ZgBody(2, Hold, new Num(2)));
        await turnstile.NextStartAsync();
        await turnstile.NextStartAsync();
        turnstile.FinishOne();
        turnstile.FinishOne();

        Assert.That(new[] { Next(_a), Next(_a) }, Is.EqualTo(new[] { "REPLY", "REPLY" }));
        Assert.That(Quiet(_a, TimeSpan.FromMilliseconds(200)), Is.Empty, "plain MDP: nothing but REPLY and plain heartbeats");
        Assert.That(turnstile.MaxRunning, Is.EqualTo(2), "two slots run two requests at once");
    }

    [Test]
    public async Task BrokerLost_WhileIdle_TheSlotKeepsServingTheOther()
    {
        var turnstile = new Turnstile();
        var (app, _, b) = await StartAsync(turnstile);
        await using var _app = app;

        _a.Dispose();
        _b.SendRequest(b, "c1", FakeBroker.ZgBody(1, Hold, new Num(1)));
        Assert.That(await turnstile.NextStartAsync(), Is.EqualTo(1));
        turnstile.FinishOne();
        Assert.That(Next(_b), Is.EqualTo("REPLY"));
    }

    [Test]
    public async Task SessionAction_InAHandler_GoesOnTheLinkTheRequestCameThrough()
    {
        await using var app = WorkerApp.Create(TestOptions.For($"{_a.Endpoint},{_b.Endpoint}", slots: 1));
        app.MapService("game").Map<Num, Num>(Hold, (n, ctx) =>
        {
            ctx.Push(PushTarget.All, 7, n);
            return n;
        });
        await app.StartAsync();
        _a.Expect(Mdp.Ready);
        var b = _b.Expect(Mdp.Ready).Identity;

        _b.SendRequest(b, "c1", FakeBroker.ZgBody(1, Hold, new Num(1)));

        Assert.That(_b.ExpectAction("push").Message.Identity, Is.EqualTo(b));
        Assert.That(_b.Expect(Mdp.Reply).Identity, Is.EqualTo(b));
        Assert.That(Quiet(_a, TimeSpan.FromMilliseconds(200)), Is.SubsetOf(new[] { "paused", "ready" }),
            "broker A sees at most the slot's pause (if the run lasted SlotCredit.PauseAfter): the push goes to B");
    }

    [Test]
    public async Task ShortRequests_CostTheOtherBrokerNoMessage()
    {
        await using var app = WorkerApp.Create(TestOptions.For($"{_a.Endpoint},{_b.Endpoint}", slots: 1));
        app.MapService("game").Map<Num, Num>(Hold, (n, _) => n);
        await app.StartAsync();
        var a = _a.Expect(Mdp.Ready).Identity;
        _b.Expect(Mdp.Ready);

        const int Requests = 40;
        for (var i = 1; i <= Requests; i++)
        {
            _a.SendRequest(a, "c" + i, FakeBroker.ZgBody((ulong)i, Hold, new Num(i)));
            Assert.That(_a.Expect(Mdp.Reply).Identity, Is.EqualTo(a));
        }

        // Saying paused and ready around every request would be 2 x Requests messages.
        Assert.That(Quiet(_b, TimeSpan.FromMilliseconds(200)), Has.Count.LessThan(Requests),
            "requests shorter than SlotCredit.PauseAfter need no paused/ready pair at the other broker (one delayed by a busy machine may)");
    }
}
