using ZmqGame.Protocol;
using ZmqGame.Tests.Support;
using ZmqGame.Worker;
using static ZmqGame.Tests.Support.Raw;

namespace ZmqGame.Tests.WorkerTests;

/// <summary>
/// Where handlers run on the own transport: inline on the worker's I/O thread when they complete without waiting, on the
/// thread pool when their group asks or once they have held the I/O thread past the inline budget. Seen from a fake
/// broker; every wait is a signal with a deadline.
/// </summary>
[TestFixture]
[Category(Categories.OwnTransport)]
public sealed class WorkerInlineTests
{
    private const string IoThread = "ZmqGame.Worker";
    private const int Echo = 5;
    private const int Block = 6;

    private FakeBroker _broker = null!;

    [SetUp]
    public void SetUp() => _broker = new FakeBroker();

    [TearDown]
    public void TearDown() => _broker.Dispose();

    [Test]
    public async Task SynchronousHandler_RunsOnTheIoThread_AndIsAnswered()
    {
        string? ranOn = null;
        await using var app = WorkerApp.Create(TestOptions.For(_broker.Endpoint, slots: 1));
        app.MapService("game").Map<Num, Num>(Echo, (n, _) =>
        {
            ranOn = Thread.CurrentThread.Name;
            return new Num(n.Value + 1);
        });
        await app.StartAsync();
        var a = _broker.Expect(Mdp.Ready).Identity;

        _broker.SendRequest(a, "c1", FakeBroker.ZgBody(1, Echo, new Num(41)));
        var (header, payload) = WorkerReply.Zg(_broker.Expect(Mdp.Reply));
        Assert.Multiple(() =>
        {
            Assert.That(header.Status, Is.EqualTo(Status.Ok));
            Assert.That(Payload.Deserialize<Num>(payload).Value, Is.EqualTo(42));
            Assert.That(ranOn, Is.EqualTo(IoThread), "no hand-off to the thread pool");
            Assert.That(Interlocked.Read(ref app.Counters.MovedToThreadPool), Is.Zero);
        });
    }

    [Test]
    public async Task BlockingHandler_IoGoesOn_ItIsStillAnswered_AfterThreeTimesItsRouteRunsOnThePool()
    {
        using var blocked = new SemaphoreSlim(0);
        using var release = new SemaphoreSlim(0);
        var threads = new List<string?>();
        await using var app = WorkerApp.Create(TestOptions.For(_broker.Endpoint, slots: 2, heartbeat: TimeSpan.FromMilliseconds(50), liveness: 100));
        var game = app.MapService("game");
        game.Map<Num, Num>(Echo, (n, _) => n);
        game.Map<Num, Num>(Block, (n, _) =>
        {
            lock (threads)
            {
                threads.Add(Thread.CurrentThread.Name);
            }

            blocked.Release();
            release.Wait(Wait);
            return n;
        });
        await app.StartAsync();
        var a = _broker.Expect(Mdp.Ready).Identity;
        var b = _broker.Expect(Mdp.Ready).Identity;

        for (var round = 1; round <= 3; round++)
        {
            Assert.That(Interlocked.Read(ref app.Counters.MovedToThreadPool), Is.Zero, "not moved before the third takeover");
            _broker.SendRequest(a, "c" + round, FakeBroker.ZgBody((ulong)round, Block, new Num(round)));
            Assert.That(blocked.Wait(Wait), Is.True, "the blocking handler started");

            // While it blocks, the I/O goes on: the other slot answers, and heartbeats keep coming.
            _broker.SendRequest(b, "other", FakeBroker.ZgBody(100, Echo, new Num(2)));
            Assert.That(WorkerReply.Client(_broker.Expect(Mdp.Reply)), Is.EqualTo("other"));
            var heartbeats = 0;
            for (var i = 0; i < 3; i++)
            {
                if (_broker.TryReceive(Wait)?.Command == Mdp.Heartbeat)
                {
                    heartbeats++;
                }
            }

            Assert.That(heartbeats, Is.EqualTo(3), "heartbeats while the handler blocks");
            release.Release();
            Assert.That(WorkerReply.Client(_broker.Expect(Mdp.Reply)), Is.EqualTo("c" + round), "the blocked request is answered");
        }

        Assert.That(Interlocked.Read(ref app.Counters.MovedToThreadPool), Is.EqualTo(1));
        release.Release();
        _broker.SendRequest(a, "c4", FakeBroker.ZgBody(4, Block, new Num(4)));
        Assert.That(WorkerReply.Client(_broker.Expect(Mdp.Reply)), Is.EqualTo("c4"));
        lock (threads)
        {
            Assert.That(threads, Has.Count.EqualTo(4));
            Assert.That(threads.Take(3), Is.All.EqualTo(IoThread), "the first three run inline");
            Assert.That(threads[3], Is.Not.EqualTo(IoThread), "then on the thread pool");
        }

        Assert.That(Interlocked.Read(ref app.Counters.MovedToThreadPool), Is.EqualTo(1), "moved (and logged) once");
    }

    [Test]
    public async Task GroupRunOnThreadPool_ItsHandlersAndEventsRunOnThePool_OthersInline()
    {
        string? pooled = null;
        string? inline = null;
        var pooledEvent = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = WorkerApp.Create(TestOptions.For(_broker.Endpoint, slots: 1));
        var game = app.MapService("game");
        game.Map<Num, Num>(Echo, (n, _) =>
        {
            inline = Thread.CurrentThread.Name;
            return n;
        });
        game.MapGroup().RunOnThreadPool()
            .Map<Num, Num>(Block, (n, _) =>
            {
                pooled = Thread.CurrentThread.Name;
                return n;
            })
            .MapEvent<Num>(7, (_, _) => pooledEvent.TrySetResult(Thread.CurrentThread.IsThreadPoolThread));
        await app.StartAsync();
        var a = _broker.Expect(Mdp.Ready).Identity;

        _broker.SendRequest(a, "c1", FakeBroker.ZgBody(1, Block, new Num(1)));
        _ = _broker.Expect(Mdp.Reply);
        _broker.SendRequest(a, "c2", FakeBroker.ZgBody(2, Echo, new Num(2)));
        _ = _broker.Expect(Mdp.Reply);
        _broker.SendEvent(a, "e1", new EventHeader(SessionEventType.Trigger, command: 7), default, Payload.Serialize(new Num(3)));
        _ = _broker.Expect(Mdp.Reply);
        Assert.Multiple(() =>
        {
            Assert.That(pooled, Is.Not.EqualTo(IoThread));
            Assert.That(inline, Is.EqualTo(IoThread));
            Assert.That(pooledEvent.Task.IsCompleted && pooledEvent.Task.Result, Is.True, "the group's event handler ran on the pool");
        });
    }
}
