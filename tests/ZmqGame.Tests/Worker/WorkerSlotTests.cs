using System.Collections.Concurrent;
using ZmqGame.Protocol;
using ZmqGame.Tests.Support;
using ZmqGame.Worker;
using static ZmqGame.Tests.Support.Raw;

namespace ZmqGame.Tests.WorkerTests;

/// <summary>Pull model, heartbeats, reconnects and graceful stop of the slots, seen from a fake broker.</summary>
[TestFixture]
public sealed class WorkerSlotTests
{
    private const int Hold = 20;

    private FakeBroker _broker = null!;

    [SetUp]
    public void SetUp() => _broker = new FakeBroker();

    [TearDown]
    public void TearDown() => _broker.Dispose();

    /// <summary>A route whose handler signals when it starts and then waits for the test to release it.</summary>
    private sealed class Gate
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _running;

        public TaskCompletionSource<RequestContext> FirstStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource AllStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Expected { get; init; } = 1;

        public bool HonourAbort { get; init; }

        public void Release() => _release.TrySetResult();

        public void Map(WorkerApp app) => app.MapService("game").Map<Num, Num>(Hold, async (n, ctx) =>
        {
            FirstStarted.TrySetResult(ctx);
            if (Interlocked.Increment(ref _running) == Expected)
            {
                AllStarted.TrySetResult();
            }

            await (HonourAbort ? _release.Task.WaitAsync(ctx.RequestAborted) : _release.Task);
            return n;
        });
    }

    [Test]
    public async Task Slots_PullOnlyWhenIdle_ReadyOnceThenOneRequestAtATime()
    {
        var gate = new Gate { Expected = 2 };
        await using var app = WorkerApp.Create(TestOptions.For(_broker.Endpoint, slots: 2));
        gate.Map(app);
        await app.StartAsync();

        var a = _broker.Expect(Mdp.Ready).Identity;
        var b = _broker.Expect(Mdp.Ready).Identity;
        Assert.That(a, Is.Not.EqualTo(b), "each slot is its own worker identity");

        _broker.SendRequest(a, "c1", FakeBroker.ZgBody(1, Hold, new Num(1)));
        _broker.SendRequest(b, "c2", FakeBroker.ZgBody(2, Hold, new Num(2)));
        await gate.AllStarted.Task.WaitAsync(Wait);
        gate.Release();

        var replies = new[] { _broker.Expect(Mdp.Reply), _broker.Expect(Mdp.Reply) }.ToDictionary(r => r.Id, WorkerReply.Client);
        Assert.That(replies, Is.EquivalentTo(new Dictionary<string, string> { [Convert.ToHexString(a)] = "c1", [Convert.ToHexString(b)] = "c2" }));

        // The REPLY made slot a idle again: it takes the third request without a new READY.
        _broker.SendRequest(a, "c3", FakeBroker.ZgBody(3, Hold, new Num(3)));
        var third = _broker.Expect(Mdp.Reply);
        Assert.That(third.Identity, Is.EqualTo(a));
        Assert.That(WorkerReply.Client(third), Is.EqualTo("c3"));
        Assert.That(_broker.Collect(TimeSpan.FromMilliseconds(300)), Is.Empty, "no further READY or REPLY");
    }

    [Test]
    public async Task RequestWhileBusy_IsDroppedNotServed()
    {
        var gate = new Gate();
        await using var app = WorkerApp.Create(TestOptions.For(_broker.Endpoint, slots: 1));
        gate.Map(app);
        await app.StartAsync();
        var a = _broker.Expect(Mdp.Ready).Identity;

        _broker.SendRequest(a, "c1", FakeBroker.ZgBody(1, Hold, new Num(1)));
        await gate.FirstStarted.Task.WaitAsync(Wait);
        _broker.SendRequest(a, "c2", FakeBroker.ZgBody(2, Hold, new Num(2)));
        await Eventually.True(() => Interlocked.Read(ref app.Counters.UnexpectedMessages) == 1, "second REQUEST counted as unexpected");
        gate.Release();

        Assert.That(WorkerReply.Client(_broker.Expect(Mdp.Reply)), Is.EqualTo("c1"));
        Assert.That(_broker.Collect(TimeSpan.FromMilliseconds(200)), Is.Empty);
    }

    [Test]
    public async Task Heartbeat_SentWhenIdleAndWhenBusy()
    {
        var gate = new Gate();
        await using var app = WorkerApp.Create(TestOptions.For(_broker.Endpoint, slots: 1, heartbeat: TimeSpan.FromMilliseconds(50), liveness: 100));
        gate.Map(app);
        await app.StartAsync();
        var a = _broker.Expect(Mdp.Ready).Identity;

        var idle = _broker.TryReceive(Wait);
        Assert.That(idle?.Command, Is.EqualTo(Mdp.Heartbeat), "idle slot heartbeats");
        Assert.That(idle!.Identity, Is.EqualTo(a));

        _broker.SendRequest(a, "c1", FakeBroker.ZgBody(1, Hold, new Num(1)));
        await gate.FirstStarted.Task.WaitAsync(Wait);
        var busy = _broker.TryReceive(Wait);
        Assert.That(busy?.Command, Is.EqualTo(Mdp.Heartbeat), "busy slot heartbeats");
        gate.Release();
        Assert.That(WorkerReply.Client(_broker.Expect(Mdp.Reply)), Is.EqualTo("c1"));
    }

    [Test]
    public async Task BlockingHandlers_EverySlotRunsAtOnce_ThenAllReply()
    {
        // Handlers that block their thread (a synchronous database call) in every slot: each slot still runs its
        // request at once, instead of waiting for the thread pool to grow by a thread or two a second.
        const int Slots = 64;
        using var started = new CountdownEvent(Slots);
        using var release = new ManualResetEventSlim();
        await using var app = WorkerApp.Create(TestOptions.For(_broker.Endpoint, slots: Slots));
        app.MapService("game").Map<Num, Num>(Hold, (n, _) =>
        {
            started.Signal();
            release.Wait(Wait);
            return n;
        });
        await app.StartAsync();
        var slots = Enumerable.Range(0, Slots).Select(_ => _broker.Expect(Mdp.Ready).Identity).ToList();

        try
        {
            for (var i = 0; i < Slots; i++)
            {
                _broker.SendRequest(slots[i], "c" + i, FakeBroker.ZgBody((ulong)i, Hold, new Num(i)));
            }

            Assert.That(started.Wait(Wait), Is.True, $"only {Slots - started.CurrentCount} of {Slots} blocking handlers started");
        }
        finally
        {
            release.Set();
        }

        var clients = Enumerable.Range(0, Slots).Select(_ => WorkerReply.Client(_broker.Expect(Mdp.Reply))).ToList();
        Assert.That(clients, Is.EquivalentTo(Enumerable.Range(0, Slots).Select(i => "c" + i)));
    }

    [Test]
    public async Task BrokerSilent_SlotReconnectsWithNewSocketAndReady()
    {
        await using var app = WorkerApp.Create(TestOptions.For(_broker.Endpoint, slots: 1, heartbeat: TimeSpan.FromMilliseconds(50)));
        new Gate().Map(app);
        await app.StartAsync();
        var first = _broker.Expect(Mdp.Ready);

        // The fake broker says nothing: after 50 ms x 3 the slot closes its socket, backs off and says READY again.
        var second = _broker.Expect(Mdp.Ready);

        Assert.That(second.Identity, Is.Not.EqualTo(first.Identity), "a new socket is a new worker identity");
        Assert.That(S(second.Rest[0]), Is.EqualTo("game"));
        Assert.That(Interlocked.Read(ref app.Counters.Reconnects), Is.GreaterThanOrEqualTo(1));
    }

    [Test]
    public async Task BrokerHeartbeats_KeepSlotConnected()
    {
        // Silence limit 50 ms x 8 = 400 ms; the fake broker heartbeats for three times that long.
        await using var app = WorkerApp.Create(TestOptions.For(_broker.Endpoint, slots: 1, heartbeat: TimeSpan.FromMilliseconds(50), liveness: 8));
        new Gate().Map(app);
        await app.StartAsync();
        var a = _broker.Expect(Mdp.Ready).Identity;

        var until = DateTime.UtcNow + TimeSpan.FromMilliseconds(1200);
        while (DateTime.UtcNow < until)
        {
            _broker.Send(a, Mdp.Heartbeat);
            var message = _broker.TryReceive(TimeSpan.FromMilliseconds(40));
            Assert.That(message?.Command ?? Mdp.Heartbeat, Is.EqualTo(Mdp.Heartbeat), "only heartbeats while the broker is alive");
        }
    }

    [Test]
    public async Task BrokerDisconnect_SlotReconnects()
    {
        await using var app = WorkerApp.Create(TestOptions.For(_broker.Endpoint, slots: 1));
        new Gate().Map(app);
        await app.StartAsync();
        var first = _broker.Expect(Mdp.Ready);

        _broker.Send(first.Identity, Mdp.Disconnect);
        var second = _broker.Expect(Mdp.Ready);

        Assert.That(second.Identity, Is.Not.EqualTo(first.Identity));
    }

    [Test]
    public async Task Reconnect_WhileHandlerRuns_DropsLateResultAndCountsIt()
    {
        var gate = new Gate();
        await using var app = WorkerApp.Create(TestOptions.For(_broker.Endpoint, slots: 1, heartbeat: TimeSpan.FromMilliseconds(100)));
        gate.Map(app);
        await app.StartAsync();
        var first = _broker.Expect(Mdp.Ready);
        _broker.SendRequest(first.Identity, "c1", FakeBroker.ZgBody(1, Hold, new Num(1)));
        var ctx = await gate.FirstStarted.Task.WaitAsync(Wait);

        var second = _broker.Expect(Mdp.Ready);
        Assert.That(second.Identity, Is.Not.EqualTo(first.Identity));
        Assert.That(ctx.RequestAborted.IsCancellationRequested, Is.True, "the abandoned request is told so");

        gate.Release();
        await Eventually.True(() => Interlocked.Read(ref app.Counters.LateResultsDropped) == 1, "late result dropped");
        Assert.That(_broker.Collect(TimeSpan.FromMilliseconds(100)).Where(m => m.Command == Mdp.Reply), Is.Empty, "the late result is never sent");
    }

    [Test]
    public async Task GracefulStop_EverySlotSaysDraining_AndLeavesOnlyOnTheBrokersDisconnect()
    {
        var gate = new Gate();
        await using var app = WorkerApp.Create(TestOptions.For(_broker.Endpoint, slots: 2, shutdown: TimeSpan.FromSeconds(30)));
        gate.Map(app);
        await app.StartAsync();
        var a = _broker.Expect(Mdp.Ready).Identity;
        var b = _broker.Expect(Mdp.Ready).Identity;
        _broker.SendRequest(a, "c1", FakeBroker.ZgBody(1, Hold, new Num(7)));
        await gate.FirstStarted.Task.WaitAsync(Wait);

        var stop = app.StopAsync();

        WaitForDraining(a, b);
        Assert.That(_broker.Collect(TimeSpan.FromMilliseconds(200)), Is.Empty, "no slot says DISCONNECT by itself: each waits for the broker");
        _broker.Send(b, Mdp.Disconnect);
        Assert.That(stop.IsCompleted, Is.False, "stop waits for the held request");

        gate.Release();
        var reply = _broker.Expect(Mdp.Reply);
        Assert.That(reply.Identity, Is.EqualTo(a));
        var (header, payload) = WorkerReply.Zg(reply);
        Assert.That(header.Status, Is.EqualTo(Status.Ok));
        Assert.That(Payload.Deserialize<Num>(payload).Value, Is.EqualTo(7));
        Assert.That(_broker.Collect(TimeSpan.FromMilliseconds(200)), Is.Empty, "after its reply the slot waits for the confirmation");
        Assert.That(stop.IsCompleted, Is.False, "slot a has not been confirmed yet");

        _broker.Send(a, Mdp.Disconnect);
        await stop.WaitAsync(Wait);
        Assert.That(_broker.Collect(TimeSpan.FromMilliseconds(100)), Is.Empty);
    }

    [Test]
    public async Task GracefulStop_RequestArrivingAfterTheSlotSaidDraining_IsRunAndAnswered()
    {
        var gate = new Gate();
        gate.Release();
        await using var app = WorkerApp.Create(TestOptions.For(_broker.Endpoint, slots: 1, shutdown: TimeSpan.FromSeconds(30)));
        gate.Map(app);
        await app.StartAsync();
        var a = _broker.Expect(Mdp.Ready).Identity;

        var stop = app.StopAsync();
        WaitForDraining(a);

        // The broker had dispatched this before it read "draining": it crossed on the wire, and only this slot can run it.
        _broker.SendRequest(a, "c1", FakeBroker.ZgBody(9, Hold, new Num(42)));

        var reply = _broker.Expect(Mdp.Reply);
        Assert.That(WorkerReply.Client(reply), Is.EqualTo("c1"));
        var (header, payload) = WorkerReply.Zg(reply);
        Assert.That(header.Status, Is.EqualTo(Status.Ok));
        Assert.That(header.RequestId, Is.EqualTo(9UL));
        Assert.That(Payload.Deserialize<Num>(payload).Value, Is.EqualTo(42));
        Assert.That(Interlocked.Read(ref app.Counters.UnexpectedMessages), Is.Zero, "nothing was dropped");
        Assert.That(stop.IsCompleted, Is.False);

        _broker.Send(a, Mdp.Disconnect);
        await stop.WaitAsync(Wait);
    }

    [Test]
    public async Task GracefulStop_BrokerNeverConfirms_SlotSaysDisconnectItselfAfterTheWait()
    {
        // A stock MDP broker ignores "draining": it heartbeats on and never confirms. The slot gives up after
        // heartbeat × liveness (600 ms here), far inside the 30 s shutdown timeout, and says DISCONNECT itself.
        await using var app = WorkerApp.Create(TestOptions.For(
            _broker.Endpoint, slots: 1, heartbeat: TimeSpan.FromMilliseconds(200), liveness: 3, shutdown: TimeSpan.FromSeconds(30)));
        new Gate().Map(app);
        await app.StartAsync();
        var a = _broker.Expect(Mdp.Ready).Identity;

        var stop = app.StopAsync();
        WorkerMessage? gone = null;
        var deadline = DateTime.UtcNow + Wait;
        while (gone is null && DateTime.UtcNow < deadline)
        {
            _broker.Send(a, Mdp.Heartbeat);
            var message = _broker.TryReceive(TimeSpan.FromMilliseconds(50));
            if (message is not null && message.Command != Mdp.Heartbeat)
            {
                gone = message;
            }
        }

        Assert.That(gone, Is.Not.Null, "the slot said nothing");
        Assert.That(Mdp.CommandName(gone!.Command), Is.EqualTo(Mdp.CommandName(Mdp.Disconnect)));
        Assert.That(_broker.DrainingNotices.Select(Convert.ToHexString), Is.EqualTo(new[] { Convert.ToHexString(a) }), "it said draining first");
        await stop.WaitAsync(Wait);
        Assert.That(Interlocked.Read(ref app.Counters.Replies), Is.Zero);
    }

    /// <summary>Reads what the slots send until each of <paramref name="slots"/> has said HEARTBEAT "draining".</summary>
    private void WaitForDraining(params byte[][] slots)
    {
        var expected = slots.Select(Convert.ToHexString).Order().ToArray();
        var deadline = DateTime.UtcNow + Wait;
        while (!_broker.DrainingNotices.Select(Convert.ToHexString).Order().SequenceEqual(expected))
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "not every slot said draining");
            var message = _broker.TryReceive(TimeSpan.FromMilliseconds(50));
            Assert.That(message?.Command ?? Mdp.Heartbeat, Is.EqualTo(Mdp.Heartbeat), $"unexpected {message}");
        }

    }

    [Test]
    public async Task Stop_ShutdownTimeoutRunsOut_RepliesWorkerLostThenDisconnects()
    {
        var gate = new Gate { HonourAbort = true };
        await using var app = WorkerApp.Create(TestOptions.For(_broker.Endpoint, slots: 1, shutdown: TimeSpan.FromMilliseconds(200)));
        gate.Map(app);
        await app.StartAsync();
        var a = _broker.Expect(Mdp.Ready).Identity;
        _broker.SendRequest(a, "c1", FakeBroker.ZgBody(1, Hold, new Num(1)));
        var ctx = await gate.FirstStarted.Task.WaitAsync(Wait);

        await app.StopAsync().WaitAsync(Wait);

        var reply = _broker.Expect(Mdp.Reply);
        Assert.That(reply.Identity, Is.EqualTo(a));
        var (header, _) = WorkerReply.Zg(reply);
        Assert.That(header.Status, Is.EqualTo(Status.WorkerLost), "the abandoned request is failed by the worker itself, so the broker never runs it again");
        Assert.That(header.RequestId, Is.EqualTo(1UL));
        Assert.That(_broker.Expect(Mdp.Disconnect).Identity, Is.EqualTo(a));
        Assert.That(ctx.RequestAborted.IsCancellationRequested, Is.True);
    }

    [Test]
    public async Task RunAsync_Cancelled_StopsGracefully()
    {
        await using var app = WorkerApp.Create(TestOptions.For(_broker.Endpoint, slots: 1, shutdown: TimeSpan.FromSeconds(30)));
        new Gate().Map(app);
        using var cts = new CancellationTokenSource();
        var run = app.RunAsync(cts.Token);
        var a = _broker.Expect(Mdp.Ready).Identity;

        await cts.CancelAsync();

        WaitForDraining(a);
        _broker.Send(a, Mdp.Disconnect);
        await run.WaitAsync(Wait);
    }
}
