using System.Collections.Concurrent;
using ZmqGame.Tests.Support;
using ZmqGame.Transport;

namespace ZmqGame.Tests.Transport;

/// <summary>
/// The transport's one-thread loop (<see cref="EventLoop"/>): posted work, sources, ticks, flushes and stopping, each
/// observed from the test thread through signals with deadlines.
/// </summary>
[TestFixture]
[Category(Categories.OwnTransport)]
public sealed class EventLoopTests
{
    [Test]
    public async Task Post_RunsActionsOnTheLoopThreadInOrder()
    {
        const int n = 1000;
        using var loop = new EventLoop(_ => { });
        loop.Start("loop-order");
        var seen = new List<int>();
        var offLoop = 0;
        var done = Signal();

        for (var i = 0; i < n; i++)
        {
            var value = i;
            loop.Post(() =>
            {
                if (!loop.IsLoopThread || Thread.CurrentThread.Name != "loop-order")
                {
                    offLoop++;
                }

                seen.Add(value);
            });
        }

        loop.Post(() => done.SetResult());
        await Within(done.Task, "the last posted action");
        Assert.That(offLoop, Is.Zero, "every action ran on the loop thread named at Start");
        Assert.That(seen, Is.EqualTo(Enumerable.Range(0, n)));
        Assert.That(loop.IsLoopThread, Is.False, "the test thread is not the loop thread");
    }

    [Test]
    public async Task Post_FromManyThreads_RunsEveryAction()
    {
        const int threads = 4;
        const int each = 500;
        using var loop = new EventLoop(_ => { });
        loop.Start("loop-many");
        var count = 0;
        var done = Signal();

        await Task.WhenAll(Enumerable.Range(0, threads).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < each; i++)
            {
                loop.Post(() =>
                {
                    // Only the loop thread touches count: no interlocking needed if it is really one thread.
                    if (++count == threads * each)
                    {
                        done.SetResult();
                    }
                });
            }
        })));

        await Within(done.Task, "all posted actions");
        Assert.That(count, Is.EqualTo(threads * each));
    }

    [Test]
    public async Task Post_ActionThrows_IsReportedToOnErrorAndLaterActionsStillRun()
    {
        var errors = new ConcurrentQueue<Exception>();
        using var loop = new EventLoop(errors.Enqueue);
        loop.Start("loop-throws");
        var ran = new List<string>();
        var done = Signal();

        loop.Post(() => ran.Add("before"));
        loop.Post(() => throw new InvalidOperationException("boom"));
        loop.Post(() => ran.Add("after"));
        loop.Post(() => done.SetResult());

        await Within(done.Task, "the actions after the failing one");
        Assert.That(ran, Is.EqualTo(new[] { "before", "after" }));
        Assert.That(errors.Select(e => e.Message), Is.EqualTo(new[] { "boom" }));
    }

    [Test]
    public async Task Tick_RunsRepeatedlyOnTheLoopThread()
    {
        const int wanted = 5;
        using var loop = new EventLoop(_ => { });
        loop.TickInterval = TimeSpan.FromMilliseconds(10);
        var ticks = 0;
        var offLoop = 0;
        var done = Signal();
        loop.Tick = () =>
        {
            if (!loop.IsLoopThread)
            {
                offLoop++;
            }

            if (++ticks == wanted)
            {
                done.SetResult();
            }
        };

        loop.Start("loop-tick");

        // No upper bound on the timing: only that ticks keep coming (5 at 10 ms, within 10 s).
        await Within(done.Task, $"{wanted} ticks");
        Assert.That(offLoop, Is.Zero);
    }

    [Test]
    public async Task AddTick_RunsBeforeTickEveryInterval()
    {
        using var loop = new EventLoop(_ => { });
        loop.TickInterval = TimeSpan.FromMilliseconds(10);
        var order = new List<string>();
        var done = new TaskCompletionSource<string[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        loop.AddTick(() => order.Add("added"));
        loop.Tick = () =>
        {
            order.Add("tick");
            if (order.Count == 6)
            {
                done.SetResult([.. order]);
            }
        };

        loop.Start("loop-addtick");

        var seen = await Within(done.Task, "three intervals");
        Assert.That(seen, Is.EqualTo(new[] { "added", "tick", "added", "tick", "added", "tick" }));
    }

    [Test]
    public async Task Tick_Throws_IsReportedAndTickingGoesOn()
    {
        var errors = new ConcurrentQueue<Exception>();
        using var loop = new EventLoop(errors.Enqueue);
        loop.TickInterval = TimeSpan.FromMilliseconds(10);
        loop.Tick = () => throw new InvalidOperationException("tick failed");

        loop.Start("loop-tick-throws");

        await Eventually.True(() => errors.Count >= 3, "three failing ticks reported");
        Assert.That(errors.Select(e => e.Message).Distinct(), Is.EqualTo(new[] { "tick failed" }));
    }

    [Test]
    public async Task AddSource_AfterWake_DrainsOnTheLoopThread()
    {
        using var loop = new EventLoop(_ => { });
        var queue = new ConcurrentQueue<int>();
        var drained = new List<int>();
        var offLoop = 0;
        var done = Signal();
        loop.AddSource(() =>
        {
            if (!loop.IsLoopThread)
            {
                offLoop++;
            }

            while (queue.TryDequeue(out var item))
            {
                drained.Add(item);
                if (item == 3)
                {
                    done.SetResult();
                }
            }
        });
        // No ticks: only the wake-up can end the loop's wait.
        loop.TickInterval = Timeout.InfiniteTimeSpan;
        loop.Start("loop-source");

        queue.Enqueue(1);
        queue.Enqueue(2);
        queue.Enqueue(3);
        loop.Wake();

        await Within(done.Task, "the source drained after Wake");
        Assert.That(drained, Is.EqualTo(new[] { 1, 2, 3 }));
        Assert.That(offLoop, Is.Zero);
    }

    [Test]
    public async Task RequestFlush_FlushesAtTheEndOfTheTurn_BetweenAfterTurnAndAfterFlush()
    {
        using var loop = new EventLoop(_ => { });
        var order = new List<string>();
        var flushable = new RecordingFlushable(loop, order);
        var done = new TaskCompletionSource<string[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        loop.AfterTurn = () => order.Add("after-turn");
        loop.AfterFlush = () =>
        {
            order.Add("after-flush");
            if (order.Contains("flush"))
            {
                // A snapshot: later turns go on adding to the list.
                done.TrySetResult([.. order]);
            }
        };
        loop.Start("loop-flush");

        loop.Post(() =>
        {
            order.Clear();
            order.Add("posted");
            loop.RequestFlush(flushable);
        });

        var seen = await Within(done.Task, "the flush");
        Assert.That(seen, Is.EqualTo(new[] { "posted", "after-turn", "flush", "after-flush" }));
        Assert.That(flushable.OffLoop, Is.Zero);
    }

    [Test]
    public async Task Flush_Throws_IsReportedAndOtherFlushesStillRun()
    {
        var errors = new ConcurrentQueue<Exception>();
        using var loop = new EventLoop(errors.Enqueue);
        var order = new List<string>();
        var failing = new RecordingFlushable(loop, order, fail: true);
        var healthy = new RecordingFlushable(loop, order);
        var requested = false;
        var done = Signal();
        loop.AfterFlush = () =>
        {
            if (requested)
            {
                done.TrySetResult();
            }
        };
        loop.Start("loop-flush-throws");

        loop.Post(() =>
        {
            loop.RequestFlush(failing);
            loop.RequestFlush(healthy);
            requested = true;
        });

        await Within(done.Task, "the end of the turn");
        Assert.That(order, Is.EqualTo(new[] { "flush", "flush" }), "both flushed once");
        Assert.That(errors.Select(e => e.Message), Is.EqualTo(new[] { "flush failed" }));
    }

    [Test]
    public async Task RequestStop_RunsOnExitOnTheLoopThreadAndEndsTheLoop()
    {
        using var loop = new EventLoop(_ => { });
        var exited = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        loop.OnExit = () => exited.SetResult(loop.IsLoopThread);
        loop.Start("loop-stop");

        loop.RequestStop();

        Assert.That(await Within(exited.Task, "OnExit"), Is.True, "OnExit runs on the loop thread");

        // The loop no longer runs posted work (Post itself is still allowed before Dispose).
        var ran = false;
        loop.Post(() => ran = true);
        loop.Dispose();
        Assert.That(ran, Is.False);
    }

    [Test]
    public async Task RequestStop_FromAPostedAction_RunsOnExitOnce()
    {
        using var loop = new EventLoop(_ => { });
        var exits = 0;
        var exited = Signal();
        loop.OnExit = () =>
        {
            exits++;
            exited.TrySetResult();
        };
        loop.Start("loop-stop-inside");

        loop.Post(loop.RequestStop);

        await Within(exited.Task, "OnExit");
        loop.Dispose();
        Assert.That(exits, Is.EqualTo(1));
    }

    [Test]
    public void OnExit_Throws_IsReportedToOnError()
    {
        var errors = new ConcurrentQueue<Exception>();
        var loop = new EventLoop(errors.Enqueue);
        loop.OnExit = () => throw new InvalidOperationException("exit failed");
        loop.Start("loop-exit-throws");

        // Dispose waits for the loop thread, which runs OnExit before it ends.
        loop.Dispose();

        Assert.That(errors.Select(e => e.Message), Is.EqualTo(new[] { "exit failed" }));
    }

    [Test]
    public void Dispose_WaitsForOnExit()
    {
        var loop = new EventLoop(_ => { });
        var exited = 0;
        loop.OnExit = () => Volatile.Write(ref exited, 1);
        loop.Start("loop-dispose");

        loop.Dispose();

        Assert.That(Volatile.Read(ref exited), Is.EqualTo(1), "OnExit ran before Dispose returned");
    }

    [Test]
    public void PostAndWake_AfterDispose_ThrowObjectDisposedException()
    {
        var loop = new EventLoop(_ => { });
        loop.Start("loop-disposed");
        loop.Dispose();

        Assert.That(() => loop.Post(() => { }), Throws.TypeOf<ObjectDisposedException>());
        Assert.That(loop.Wake, Throws.TypeOf<ObjectDisposedException>());
        Assert.That(loop.Wake, Throws.TypeOf<ObjectDisposedException>(), "a second Wake too");
    }

    [Test]
    public void Dispose_Twice_IsFine()
    {
        var loop = new EventLoop(_ => { });
        loop.Start("loop-twice");

        loop.Dispose();

        Assert.That(loop.Dispose, Throws.Nothing);
    }

    [Test]
    public void Dispose_NeverStarted_IsFine()
    {
        var loop = new EventLoop(_ => { });

        Assert.That(loop.Dispose, Throws.Nothing);
        Assert.That(() => loop.Post(() => { }), Throws.TypeOf<ObjectDisposedException>());
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

    private static async Task<T> Within<T>(Task<T> task, string what)
    {
        await Within((Task)task, what);
        return await task;
    }

    /// <summary>Notes each flush in a shared list (touched on the loop thread only); throws if asked to.</summary>
    private sealed class RecordingFlushable(EventLoop loop, List<string> order, bool fail = false) : IFlushable
    {
        public int OffLoop { get; private set; }

        public void Flush()
        {
            if (!loop.IsLoopThread)
            {
                OffLoop++;
            }

            order.Add("flush");
            if (fail)
            {
                throw new InvalidOperationException("flush failed");
            }
        }
    }
}
