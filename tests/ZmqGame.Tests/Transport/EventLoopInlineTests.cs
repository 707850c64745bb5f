using System.Collections.Concurrent;
using ZmqGame.Tests.Support;
using ZmqGame.Transport;

namespace ZmqGame.Tests.Transport;

/// <summary>
/// User code inline on the <see cref="EventLoop"/> thread (<see cref="EventLoop.RunInline"/>): where in the turn it runs,
/// what it sees, and the takeover when it blocks (ticks and posted work go on, the result still arrives, nothing runs
/// twice or is lost, disposal does not wait for it). Every wait is a signal with a deadline.
/// </summary>
[TestFixture]
[Category(Categories.OwnTransport)]
public sealed class EventLoopInlineTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromMilliseconds(20);

    [Test]
    public async Task RunInline_RunsOnTheLoopThreadAfterTheTurnsWork_BeforeItsOutput()
    {
        using var loop = new EventLoop(_ => { });
        loop.InlineBudget = Budget;
        loop.Start("inline-order");
        var order = new List<string>();
        var done = Signal();
        var work = new Work(loop, order, "inline");
        loop.Post(() =>
        {
            // The output is written last in the turn: the test reads the order once it is.
            loop.RequestFlush(new Flushable(order, () => done.SetResult()));
            loop.RunInline(work);
            order.Add("posted");
        });

        await Within(done.Task, "the turn's output");
        Assert.Multiple(() =>
        {
            Assert.That(order, Is.EqualTo(new[] { "posted", "inline", "after inline", "flush" }), "the item runs after the posted work, before the output");
            Assert.That(work.RanOn, Is.EqualTo("inline-order"), "run on the loop thread");
            Assert.That(work.LoopThreadInside, Is.False, "IsLoopThread is false inside user code");
            Assert.That(work.LoopThreadAfter, Is.True, "AfterRun runs as the loop");
            Assert.That(work.ToldTakenOver, Is.False);
            Assert.That(loop.Takeovers, Is.Zero);
        });
    }

    [Test]
    public async Task RunInline_PostFromUserCode_RunsWithoutAnyOtherWakeUp()
    {
        using var loop = new EventLoop(_ => { });
        loop.TickInterval = Timeout.InfiniteTimeSpan;
        loop.InlineBudget = Budget;
        loop.Start("inline-post");
        var posted = Signal();
        var work = new Work(loop, [], "inline", run: () => loop.Post(() => posted.SetResult()));
        loop.Post(() => loop.RunInline(work));

        // With no tick and no I/O, only the post itself can end the loop's next wait.
        await Within(posted.Task, "the action posted by inline user code");
        Assert.That(loop.Takeovers, Is.Zero);
    }

    [Test]
    public async Task RunInline_ManyQuickItems_RunOnceEachInOrder_NoTakeover()
    {
        const int n = 2000;
        using var loop = new EventLoop(_ => { });
        loop.InlineBudget = Budget;
        loop.Start("inline-many");
        var order = new List<string>();
        var done = Signal();
        for (var i = 0; i < n; i++)
        {
            var last = i == n - 1;
            var work = new Work(loop, order, i.ToString(System.Globalization.CultureInfo.InvariantCulture), afterRun: last ? () => done.SetResult() : null);
            loop.Post(() => loop.RunInline(work));
        }

        await Within(done.Task, "the last item");
        var expected = Enumerable.Range(0, n).SelectMany(i => new[] { i.ToString(System.Globalization.CultureInfo.InvariantCulture), "after " + i }).ToArray();
        Assert.That(order, Is.EqualTo(expected));
        Assert.That(loop.Takeovers, Is.Zero, "quick items never trip the watchdog");
    }

    [Test]
    public async Task RunInline_BlockingItem_TakenOver_TicksPostsAndQueuedItemsGoOn_ResultStillArrives()
    {
        using var loop = new EventLoop(_ => { });
        loop.TickInterval = TimeSpan.FromMilliseconds(10);
        loop.InlineBudget = Budget;
        var ticksWhileBlocked = 0;
        using var gate = new ManualResetEventSlim(false);
        var blocking = Signal();
        var ticked = Signal();
        loop.Tick = () =>
        {
            if (blocking.Task.IsCompleted && Interlocked.Increment(ref ticksWhileBlocked) == 3)
            {
                ticked.SetResult();
            }
        };
        loop.Start("inline-block");
        var order = new ConcurrentQueue<string>();
        var blockedDone = Signal();
        var nextDone = Signal();
        var blocker = new Work(loop, null, "blocker", run: () =>
        {
            blocking.SetResult();
            gate.Wait(Raw.Wait);
        }, afterRun: () => blockedDone.SetResult(), log: order);
        var next = new Work(loop, null, "next", afterRun: () => nextDone.SetResult(), log: order);
        loop.Post(() =>
        {
            loop.RunInline(blocker);
            loop.RunInline(next);
        });

        await Within(blocking.Task, "the blocking item to start");
        await Within(nextDone.Task, "the item queued behind the blocked one, run by the new loop thread");
        await Within(ticked.Task, "three ticks while the item blocks");
        var postedWhileBlocked = Signal();
        loop.Post(() => postedWhileBlocked.SetResult());
        await Within(postedWhileBlocked.Task, "a posted action while the item blocks");
        Assert.That(blockedDone.Task.IsCompleted, Is.False, "no result before the item returns");

        gate.Set();
        await Within(blockedDone.Task, "the blocked item's AfterRun");
        Assert.Multiple(() =>
        {
            Assert.That(loop.Takeovers, Is.EqualTo(1));
            Assert.That(blocker.ToldTakenOver, Is.True);
            Assert.That(blocker.LoopThreadAfter, Is.True, "AfterRun runs as the (new) loop");
            Assert.That(blocker.AfterRanOn, Is.Not.EqualTo(blocker.RanOnThread), "on the new loop thread, not the one left behind");
            Assert.That(blocker.TakeoverSeen, Is.EqualTo((true, true)), "TakenOver ran as the new loop, while the item still blocked");
            Assert.That(next.ToldTakenOver, Is.False);
            Assert.That(next.TakeoverSeen, Is.Null);
            Assert.That(order.Count(e => e == "blocker"), Is.EqualTo(1), "run once");
            Assert.That(order.Count(e => e == "after blocker"), Is.EqualTo(1), "AfterRun once");
            Assert.That(order.Count(e => e == "next"), Is.EqualTo(1), "run once");
            Assert.That(order.Count(e => e == "after next"), Is.EqualTo(1), "AfterRun once");
        });

        // The loop goes on on its new thread, inline items included.
        var later = Signal();
        var laterWork = new Work(loop, null, "later", afterRun: () => later.SetResult(), log: order);
        loop.Post(() => loop.RunInline(laterWork));
        await Within(later.Task, "an inline item after the takeover");
        Assert.That(laterWork.LoopThreadInside, Is.False);
    }

    [Test]
    public async Task Dispose_WhileAnItemBlocks_ReturnsWithoutIt_ExitRunsOnce()
    {
        var loop = new EventLoop(_ => { });
        loop.InlineBudget = Budget;
        var exits = 0;
        loop.OnExit = () => Interlocked.Increment(ref exits);
        loop.Start("inline-dispose");
        using var gate = new ManualResetEventSlim(false);
        var blocking = Signal();
        var returned = Signal();
        var blocker = new Work(loop, null, "blocker", run: () =>
        {
            blocking.SetResult();
            gate.Wait(Raw.Wait);
            returned.SetResult();
        });
        loop.Post(() => loop.RunInline(blocker));
        await Within(blocking.Task, "the blocking item to start");

        await Within(Task.Run(loop.Dispose), "Dispose while the item blocks");
        Assert.That(Volatile.Read(ref exits), Is.EqualTo(1), "OnExit ran once, on the thread that took over");

        gate.Set();
        await Within(returned.Task, "the blocked item to return");
        Assert.That(() => loop.Post(() => { }), Throws.TypeOf<ObjectDisposedException>());
        Assert.That(blocker.AfterRuns, Is.Zero, "nobody takes the result of a stopped loop");
        Assert.That(Volatile.Read(ref exits), Is.EqualTo(1));
    }

    private static TaskCompletionSource Signal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static async Task Within(Task task, string what)
    {
        try
        {
            await task.WaitAsync(Raw.Wait);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"timed out waiting for: {what}");
        }
    }

    /// <summary>An inline item that notes where and how it ran.</summary>
    private sealed class Work(EventLoop loop, List<string>? order, string name, Action? run = null, Action? afterRun = null, ConcurrentQueue<string>? log = null) : IInlineWork
    {
        private int _afterRuns;

        public string? RanOn { get; private set; }

        public Thread? RanOnThread { get; private set; }

        public Thread? AfterRanOn { get; private set; }

        public bool LoopThreadInside { get; private set; } = true;

        public bool LoopThreadAfter { get; private set; }

        public bool ToldTakenOver { get; private set; }

        public int AfterRuns => Volatile.Read(ref _afterRuns);

        /// <summary>Set by <see cref="TakenOver"/>: whether it ran as the loop, while <see cref="Run"/> was still inside.</summary>
        public (bool AsLoop, bool WhileRunning)? TakeoverSeen { get; private set; }

        private volatile bool _inside;

        public void Run()
        {
            RanOn = Thread.CurrentThread.Name;
            RanOnThread = Thread.CurrentThread;
            LoopThreadInside = loop.IsLoopThread;
            order?.Add(name);
            log?.Enqueue(name);
            _inside = true;
            run?.Invoke();
            _inside = false;
        }

        public void TakenOver() => TakeoverSeen = (loop.IsLoopThread, _inside);

        public void AfterRun(bool takenOver)
        {
            Interlocked.Increment(ref _afterRuns);
            ToldTakenOver = takenOver;
            AfterRanOn = Thread.CurrentThread;
            LoopThreadAfter = loop.IsLoopThread;
            order?.Add("after " + name);
            log?.Enqueue("after " + name);
            afterRun?.Invoke();
        }
    }

    private sealed class Flushable(List<string> order, Action? flushed = null) : IFlushable
    {
        public void Flush()
        {
            order.Add("flush");
            flushed?.Invoke();
        }
    }
}
