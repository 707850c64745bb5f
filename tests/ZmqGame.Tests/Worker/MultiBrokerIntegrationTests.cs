using ZmqGame.Client;
using ZmqGame.Tests.Chaos;
using ZmqGame.Tests.Support;
using ZmqGame.Worker;
using ZmqGame.Worker.Host;
using static ZmqGame.Tests.Support.Raw;

namespace ZmqGame.Tests.WorkerTests;

/// <summary>
/// Worker processes attached to two real in-process brokers: each slot serves whichever broker has work, never runs
/// two requests at once, outlives the loss of one broker and drains from both. Every request is counted.
/// </summary>
[TestFixture]
public sealed class MultiBrokerIntegrationTests
{
    private BrokerFixture _a = null!;
    private BrokerFixture _b = null!;

    [SetUp]
    public void SetUp()
    {
        // Heartbeats fast enough that a link to a broker that is gone is noticed within a test step (NetMQ does not report
        // a closed connection: the worker notices the silence).
        _a = new BrokerFixture(o => o.HeartbeatInterval = TimeSpan.FromMilliseconds(1000));
        _b = new BrokerFixture(o => o.HeartbeatInterval = TimeSpan.FromMilliseconds(1000));
    }

    [TearDown]
    public void TearDown()
    {
        _a.Dispose();
        _b.Dispose();
    }

    private string Both => $"{_a.Backend},{_b.Backend}";

    /// <summary>The game service's Sleep route, counting how many of its handlers run at once in this process.</summary>
    private sealed class Concurrency
    {
        private int _running;
        private int _max;

        public int Max => Volatile.Read(ref _max);

        public int Running => Volatile.Read(ref _running);

        public TaskCompletionSource Release { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Gated { get; set; }

        public void Map(WorkerApp app) => app.MapService(SampleServices.Game).Map<SleepRequest, SleepReply>(GameCommands.Sleep, async (sleep, ctx) =>
        {
            var now = Interlocked.Increment(ref _running);
            int seen;
            while ((seen = Volatile.Read(ref _max)) < now && Interlocked.CompareExchange(ref _max, now, seen) != seen)
            {
            }

            try
            {
                if (Gated)
                {
                    await Release.Task.WaitAsync(ctx.RequestAborted);
                }
                else
                {
                    await Task.Delay(sleep.Ms, ctx.RequestAborted);
                }
            }
            finally
            {
                Interlocked.Decrement(ref _running);
            }

            return new SleepReply(sleep.Ms);
        });
    }

    private async Task<WorkerApp> StartWorkerAsync(Concurrency concurrency, int slots, TimeSpan? shutdown = null)
    {
        var options = TestOptions.For(Both, slots, heartbeat: TimeSpan.FromMilliseconds(1000), shutdown: shutdown ?? TimeSpan.FromSeconds(10));
        var app = WorkerApp.Create(options);
        concurrency.Map(app);
        await app.StartAsync();
        return app;
    }

    private static Task<int> IdleAsync(BrokerFixture broker) =>
        broker.Server.InvokeAsync(() => broker.Server.Dispatcher.IdleWorkersOf("game"u8));

    [Test]
    public async Task LoadOnOneBroker_GetsEverySlot_ThenLoadOnTheOtherDoesToo()
    {
        const int Slots = 3;
        var concurrency = new Concurrency { Gated = true };
        await using var app = await StartWorkerAsync(concurrency, Slots);
        await _a.WaitForIdleWorkers(SampleServices.Game, Slots);
        await _b.WaitForIdleWorkers(SampleServices.Game, Slots);

        foreach (var (loaded, other) in new[] { (_a, _b), (_b, _a) })
        {
            await using var client = await ZmqGameClient.ConnectAsync(loaded.Frontend);
            var requests = Enumerable.Range(0, Slots)
                .Select(_ => client.RequestAsync<SleepRequest, SleepReply>(SampleServices.Game, GameCommands.Sleep, new SleepRequest(0)))
                .ToList();

            await Eventually.True(() => concurrency.Running == Slots, $"every slot runs a request of one broker ({concurrency.Running} running)");
            await Eventually.True(async () => await IdleAsync(other) == 0, "the other broker sees every slot paused");

            concurrency.Release.SetResult();
            await Task.WhenAll(requests).WaitAsync(Wait);
            concurrency.Release = new(TaskCreationOptions.RunContinuationsAsynchronously);
            await _a.WaitForIdleWorkers(SampleServices.Game, Slots);
            await _b.WaitForIdleWorkers(SampleServices.Game, Slots);
        }

        Assert.That(concurrency.Max, Is.EqualTo(Slots));
    }

    [Test]
    public async Task LoadOnBothBrokers_NoSlotEverRunsTwoRequestsAtOnce()
    {
        const int Slots = 2;
        var concurrency = new Concurrency();
        await using var app = await StartWorkerAsync(concurrency, Slots);
        await _a.WaitForIdleWorkers(SampleServices.Game, Slots);
        await _b.WaitForIdleWorkers(SampleServices.Game, Slots);

        await using var onA = await SteadyLoad.StartAsync(_a.Frontend, clients: 4, sleepMs: 1, requestTimeout: TimeSpan.FromSeconds(10));
        await using var onB = await SteadyLoad.StartAsync(_b.Frontend, clients: 4, sleepMs: 1, requestTimeout: TimeSpan.FromSeconds(10));
        await onA.WaitForOkAsync(300, Wait);
        await onB.WaitForOkAsync(300, Wait);

        Assert.That((await onA.StopAsync(), await onB.StopAsync()), Is.EqualTo((0L, 0L)), "unanswered");
        Assert.That((onA.ErrorCount, onB.ErrorCount), Is.EqualTo((0L, 0L)), $"A: {onA.Describe()}; B: {onB.Describe()}");
        Assert.That(concurrency.Max, Is.LessThanOrEqualTo(Slots), "slots × one request each");
        TestContext.Out.WriteLine($"A: {onA.Describe()}; B: {onB.Describe()}; most at once {concurrency.Max}");
    }

    [Test]
    public async Task OneBrokerDies_UnderLoadOnBoth_TheOtherIsServedWithoutAnError()
    {
        const int Slots = 2;
        var concurrency = new Concurrency();
        await using var app = await StartWorkerAsync(concurrency, Slots);
        await _a.WaitForIdleWorkers(SampleServices.Game, Slots);
        await _b.WaitForIdleWorkers(SampleServices.Game, Slots);

        var clientOptions = new ZmqGameClientOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(200) };
        var onA = await SteadyLoad.StartAsync(_a.Frontend, clients: 3, sleepMs: 2, requestTimeout: TimeSpan.FromSeconds(2), clientOptions);
        await using var onB = await SteadyLoad.StartAsync(_b.Frontend, clients: 3, sleepMs: 2, requestTimeout: TimeSpan.FromSeconds(10));
        await onA.WaitForOkAsync(100, Wait);
        await onB.WaitForOkAsync(100, Wait);

        _a.Dispose();
        await onB.WaitForOkAsync(500, Wait);
        await onA.StopAsync();
        await onA.DisposeAsync();
        await onB.WaitForOkAsync(200, Wait);

        Assert.That(await onB.StopAsync(), Is.Zero, "unanswered on B");
        Assert.That(onB.ErrorCount, Is.Zero, onB.Describe());
        Assert.That(concurrency.Max, Is.LessThanOrEqualTo(Slots));
        TestContext.Out.WriteLine($"A (killed): {onA.Describe()}; B: {onB.Describe()}");
    }

    [Test]
    public async Task WorkerStops_UnderLoadOnBothBrokers_NoRequestIsLost()
    {
        const int Slots = 2;
        var stopping = new Concurrency();
        var staying = new Concurrency();
        var leaving = await StartWorkerAsync(stopping, Slots);
        await using var stays = await StartWorkerAsync(staying, Slots);
        await _a.WaitForIdleWorkers(SampleServices.Game, 2 * Slots);
        await _b.WaitForIdleWorkers(SampleServices.Game, 2 * Slots);

        await using var onA = await SteadyLoad.StartAsync(_a.Frontend, clients: 4, sleepMs: 3, requestTimeout: TimeSpan.FromSeconds(10));
        await using var onB = await SteadyLoad.StartAsync(_b.Frontend, clients: 4, sleepMs: 3, requestTimeout: TimeSpan.FromSeconds(10));
        await onA.WaitForOkAsync(100, Wait);
        await onB.WaitForOkAsync(100, Wait);

        await leaving.StopAsync().WaitAsync(Wait);
        await leaving.DisposeAsync();
        var workers = (await _a.Server.InvokeAsync(() => _a.Server.Dispatcher.WorkersOf("game"u8)), await _b.Server.InvokeAsync(() => _b.Server.Dispatcher.WorkersOf("game"u8)));
        await onA.WaitForOkAsync(100, Wait);
        await onB.WaitForOkAsync(100, Wait);

        Assert.That((await onA.StopAsync(), await onB.StopAsync()), Is.EqualTo((0L, 0L)), "unanswered");
        Assert.That((onA.ErrorCount, onB.ErrorCount), Is.EqualTo((0L, 0L)), $"A: {onA.Describe()}; B: {onB.Describe()}");
        Assert.That(workers, Is.EqualTo((Slots, Slots)), "the stopped worker left both brokers; the other stayed on both");
        Assert.That((_a.Stats.WorkerLost, _b.Stats.WorkerLost), Is.EqualTo((0L, 0L)));
        Assert.That(Math.Max(stopping.Max, staying.Max), Is.LessThanOrEqualTo(Slots));
    }
}
