using ZmqGame.Tests.Support;
using ZmqGame.Transport;

namespace ZmqGame.Tests.Client;

/// <summary>
/// <see cref="SharedConnectionLoop"/>: several members on one shared loop each get only their own wake-ups, ticks and
/// errors, and stopping one ends only its work. No sockets: this runs on either transport.
/// </summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(30_000)]
public sealed class SharedConnectionLoopTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Test]
    public async Task Members_GetOnlyTheirOwnWakeUpsTicksAndErrors_AndStoppingOneEndsOnlyIt()
    {
        var errorsA = new List<Exception>();
        var errorsB = new List<Exception>();
        var a = new SharedConnectionLoop(ex => { lock (errorsA) { errorsA.Add(ex); } });
        var b = new SharedConnectionLoop(ex => { lock (errorsB) { errorsB.Add(ex); } });
        try
        {
            var wakesA = 0;
            var wakesB = 0;
            var ticksB = 0;
            var wokeA = new SemaphoreSlim(0);
            var wokeB = new SemaphoreSlim(0);
            var tickedB = new SemaphoreSlim(0);
            var exitedA = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            a.Start("a", onWake: () =>
            {
                Interlocked.Increment(ref wakesA);
                wokeA.Release();
                throw new InvalidOperationException("a's handler");
            }, onExit: () => exitedA.TrySetResult());
            b.Start("b", TimeSpan.FromMilliseconds(20), () =>
            {
                Interlocked.Increment(ref ticksB);
                tickedB.Release();
            }, onWake: () =>
            {
                Interlocked.Increment(ref wakesB);
                wokeB.Release();
            });

            a.Wake();
            Assert.That(await wokeA.WaitAsync(Wait), Is.True, "a woke");
            Assert.That(await tickedB.WaitAsync(Wait) && await tickedB.WaitAsync(Wait), Is.True, "b ticks at its own interval");
            Assert.That(wakesB, Is.Zero, "a's wake-up is not b's");
            lock (errorsA)
            {
                Assert.That(errorsA.Select(e => e.Message), Is.EqualTo(new[] { "a's handler" }), "a's error went to a");
            }

            a.Stop();
            await exitedA.Task.WaitAsync(Wait);
            a.Wake();
            b.Wake();
            Assert.That(await wokeB.WaitAsync(Wait), Is.True, "b still wakes after a stopped");
            var ticks = Volatile.Read(ref ticksB);
            await Eventually.True(() => Volatile.Read(ref ticksB) > ticks, "b still ticks after a stopped");
            Assert.That(wakesA, Is.EqualTo(1), "a stopped: its handler no longer runs");
            Assert.That(SharedLoopGroup.Running, Is.InRange(1, SharedLoopGroup.Capacity));
            lock (errorsB)
            {
                Assert.That(errorsB, Is.Empty);
            }
        }
        finally
        {
            a.Dispose();
            b.Dispose();
        }

        Assert.That(SharedLoopGroup.Running, Is.Zero, "the shared loops stop when their last member leaves");
        Assert.Throws<ObjectDisposedException>(() => a.Wake());
    }

    [Test]
    public void Create_SharedLoop_OnTheOwnTransportOnly()
    {
        using var tcp = ConnectionLoop.Create("tcp://127.0.0.1:5555", new DealerOptions { SharedLoop = true }, _ => { });
        using var curve = ConnectionLoop.Create("tcp://127.0.0.1:5555", new DealerOptions { SharedLoop = true, CurveServerKey = new byte[32] }, _ => { });
        using var ws = ConnectionLoop.Create("ws://127.0.0.1:5555/", new DealerOptions { SharedLoop = true }, _ => { });

        Assert.That(tcp is SharedConnectionLoop, Is.EqualTo(TransportChoice.UsesOwnTransport("tcp://127.0.0.1:5555", curve: false)),
            "tcp:// shares a loop where the own transport runs it, and keeps its own loop on NetMQ");
        Assert.That(curve, Is.Not.InstanceOf<SharedConnectionLoop>(), "CURVE runs on NetMQ, one loop per client");
        Assert.That(ws, Is.Not.InstanceOf<SharedConnectionLoop>(), "WebSocket keeps one loop per client");
    }
}
