using NetMQ.Sockets;
using ZmqGame.Transport;
using static ZmqGame.Tests.Support.Raw;

namespace ZmqGame.Tests.Transport;

/// <summary>
/// The NetMQ side of the connection-loop seam (<see cref="NetMqConnectionLoop"/>, what Unity, CURVE and
/// <c>ZMQGAME_TRANSPORT=netmq</c> run on) against a NetMQ ROUTER: everything observed through signals with deadlines.
/// </summary>
[TestFixture]
public sealed class NetMqConnectionLoopTests
{
    private const string LoopName = "NetMqConnectionLoopTests";

    [Test]
    public async Task Link_RoundTripWithRouter_FramesIntactAndDeliveredOnTheLoopThread()
    {
        using var router = new RouterSocket();
        var port = router.BindRandomPort("tcp://127.0.0.1");
        using var loop = new NetMqConnectionLoop(new DealerOptions(), ex => Assert.Fail(ex.ToString()));
        loop.Start(LoopName);
        var delivered = new TaskCompletionSource<(string?, string[])>(TaskCreationOptions.RunContinuationsAsynchronously);

        var link = await OnLoopAsync(loop, () =>
        {
            var l = loop.Connect(
                $"tcp://127.0.0.1:{port}",
                frames => delivered.TrySetResult((Thread.CurrentThread.Name, frames.Select(S).ToArray())),
                _ => { });
            Assert.That(l.TrySend([B("hello"), [], B("world")]), Is.True);
            return l;
        });

        var received = Receive(router);
        Assert.That(received.Skip(1).Select(S), Is.EqualTo(new[] { "hello", "", "world" }));
        Send(router, received[0], B("reply"), B("two"));

        var (thread, frames) = await delivered.Task.WaitAsync(Wait);
        Assert.That(thread, Is.EqualTo(LoopName));
        Assert.That(frames, Is.EqualTo(new[] { "reply", "two" }));
        Assert.That(link, Is.Not.Null);
    }

    [Test]
    public async Task Close_DropsTheLink_TrySendFalseAndNothingMoreDelivered()
    {
        using var router = new RouterSocket();
        var port = router.BindRandomPort("tcp://127.0.0.1");
        using var loop = new NetMqConnectionLoop(new DealerOptions { FinalLinger = TimeSpan.FromSeconds(1) }, ex => Assert.Fail(ex.ToString()));
        loop.Start(LoopName);
        var messages = 0;
        var lost = 0;

        var link = await OnLoopAsync(loop, () =>
        {
            var l = loop.Connect($"tcp://127.0.0.1:{port}", _ => messages++, _ => lost++);
            l.TrySend([B("ready")]);
            return l;
        });
        var identity = Receive(router)[0];

        var sentAfterClose = await OnLoopAsync(loop, () =>
        {
            link.Close();
            link.Close();
            return link.TrySend([B("after close")]);
        });
        Send(router, identity, B("late"));

        // A posted action runs after whatever the poller had ready: nothing reached onMessage, nor onLost (a link its owner
        // closed is no loss).
        var counts = await OnLoopAsync(loop, () => (messages, lost));
        Assert.That(sentAfterClose, Is.False);
        Assert.That(counts, Is.EqualTo((0, 0)));
    }

    [Test]
    public async Task Link_RouterGoesAway_OnLostOnceOnTheLoopThreadAndTheLinkIsDropped()
    {
        var router = new RouterSocket();
        router.Options.Linger = TimeSpan.Zero;
        var port = router.BindRandomPort("tcp://127.0.0.1");
        using var loop = new NetMqConnectionLoop(new DealerOptions(), ex => Assert.Fail(ex.ToString()));
        loop.Start(LoopName);
        var lost = new List<(string? Thread, string Reason)>();
        var lostOnce = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var link = await OnLoopAsync(loop, () =>
        {
            var l = loop.Connect($"tcp://127.0.0.1:{port}", _ => { }, reason =>
            {
                lost.Add((Thread.CurrentThread.Name, reason));
                lostOnce.TrySetResult();
            });
            l.TrySend([B("ready")]);
            return l;
        });
        Receive(router);
        router.Dispose();

        await lostOnce.Task.WaitAsync(Wait);
        var (sent, reported) = await OnLoopAsync(loop, () =>
        {
            var ok = link.TrySend([B("after loss")]);
            link.Close();
            return (ok, lost.ToArray());
        });
        Assert.That(sent, Is.False, "a lost link sends nothing");
        Assert.That(reported, Has.Length.EqualTo(1), "told once");
        Assert.That(reported[0].Thread, Is.EqualTo(LoopName));
        Assert.That(reported[0].Reason, Does.StartWith("connection lost"));
    }

    [Test]
    public async Task Link_NothingListeningYet_NoLossAndConnectsOnceARouterBinds()
    {
        var endpoint = ZmqGame.Tests.Client.ClientTestSupport.DeadEndpoint();
        using var loop = new NetMqConnectionLoop(new DealerOptions(), ex => Assert.Fail(ex.ToString()));
        loop.Start(LoopName);
        var lost = 0;
        var delivered = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);

        await OnLoopAsync(loop, () =>
        {
            var l = loop.Connect(endpoint, frames => delivered.TrySetResult(S(frames[0])), _ => lost++);
            return l.TrySend([B("queued while refused")]);
        });

        // Refused connects (NetMQ retries them) are no loss; the message queued meanwhile goes once a router listens.
        using var router = new RouterSocket();
        router.Bind(endpoint);
        var received = Receive(router);
        Assert.That(S(received[1]), Is.EqualTo("queued while refused"));
        Send(router, received[0], B("welcome"));
        Assert.That(await delivered.Task.WaitAsync(Wait), Is.EqualTo("welcome"));
        Assert.That(await OnLoopAsync(loop, () => lost), Is.Zero);
    }

    [Test]
    public async Task Dispose_WithOpenLinks_ReportsNoLossAndNoError()
    {
        using var router = new RouterSocket();
        router.Options.Linger = TimeSpan.Zero;
        var port = router.BindRandomPort("tcp://127.0.0.1");
        var errors = new List<Exception>();
        var lost = 0;
        var exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var loop = new NetMqConnectionLoop(new DealerOptions(), errors.Add);
        loop.Start(LoopName, onExit: exited.SetResult);
        await OnLoopAsync(loop, () =>
        {
            for (var i = 0; i < 3; i++)
            {
                loop.Connect($"tcp://127.0.0.1:{port}", _ => { }, _ => lost++).TrySend([B("ready")]);
            }

            return 0;
        });
        for (var i = 0; i < 3; i++)
        {
            Receive(router);
        }

        loop.Dispose();

        await exited.Task.WaitAsync(Wait);
        Assert.That(errors, Is.Empty);
        Assert.That(lost, Is.Zero, "a dispose closes quietly");
    }

    [Test]
    public async Task PostWakeTickStop_RunOnTheLoopThread_ExitHandlerLast()
    {
        var errors = new List<Exception>();
        using var loop = new NetMqConnectionLoop(new DealerOptions(), errors.Add);
        var woken = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var ticked = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var exited = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        loop.Start(
            LoopName,
            tickInterval: TimeSpan.FromMilliseconds(10),
            tick: () => ticked.TrySetResult(Thread.CurrentThread.Name),
            onWake: () => woken.TrySetResult(Thread.CurrentThread.Name),
            onExit: () => exited.TrySetResult(Thread.CurrentThread.Name));

        var posted = await OnLoopAsync(loop, () => Thread.CurrentThread.Name);
        loop.Post(() => throw new InvalidOperationException("a handler failed"));
        loop.Wake();
        loop.Wake();

        Assert.That(posted, Is.EqualTo(LoopName));
        Assert.That(await woken.Task.WaitAsync(Wait), Is.EqualTo(LoopName));
        Assert.That(await ticked.Task.WaitAsync(Wait), Is.EqualTo(LoopName));
        Assert.That(await OnLoopAsync(loop, () => errors.Select(e => e.Message).ToArray()), Is.EqualTo(new[] { "a handler failed" }),
            "a handler that throws goes to the error handler and the loop goes on");

        loop.Stop();
        Assert.That(await exited.Task.WaitAsync(Wait), Is.EqualTo(LoopName));
    }

    [Test]
    public async Task Dispose_RightAfterStart_StopsThePoller()
    {
        var exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var loop = new NetMqConnectionLoop(new DealerOptions(), ex => Assert.Fail(ex.ToString()));
        loop.Start(LoopName, onExit: exited.SetResult);
        loop.Dispose();

        await exited.Task.WaitAsync(Wait);
        Assert.That(() => loop.Post(() => { }), Throws.Nothing, "NetMQ's queue takes it and nothing runs it");
    }

    [Test]
    public async Task PostAndWake_AfterDispose_ReturnAtOnceAndNothingRuns()
    {
        var ran = 0;
        var loop = new NetMqConnectionLoop(new DealerOptions(), ex => Assert.Fail(ex.ToString()));
        loop.Start(LoopName, onWake: () => ran++);
        loop.Dispose();

        // NetMQ closes the queue's socket in the background; once it has, a write to the disposed queue never returns.
        // Off the test thread and under a deadline, so that such a write fails the test instead of hanging the run.
        await Task.Run(() =>
        {
            for (var i = 0; i < 1000; i++)
            {
                loop.Post(() => ran++);
                loop.Wake();
            }
        }).WaitAsync(Wait);
        Assert.That(ran, Is.Zero);
    }

    private static Task<T> OnLoopAsync<T>(NetMqConnectionLoop loop, Func<T> action)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        loop.Post(() =>
        {
            try
            {
                done.SetResult(action());
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        });
        return done.Task.WaitAsync(Wait);
    }
}
