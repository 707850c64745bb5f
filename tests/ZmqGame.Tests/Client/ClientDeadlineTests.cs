using ZmqGame.Client;
using ZmqGame.Client.Internal;
using ZmqGame.Protocol;
using ZmqGame.Tests.Support;
using static ZmqGame.Tests.Client.ClientTestSupport;

namespace ZmqGame.Tests.Client;

/// <summary>
/// Deadlines kept by the client's I/O loop: no timer per request, the loop's wait bounded by the next deadline (on the
/// own transport or NetMQ, whichever the run uses), and the heap that orders them.
/// </summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(30_000)]
public sealed class ClientDeadlineTests : FakeBrokerFixture
{
    [Test]
    public async Task PendingRequests_CreateNoTimerEach()
    {
        await using var client = await ConnectAsync(Broker);
        var timersBefore = System.Threading.Timer.ActiveCount;

        var calls = Enumerable.Range(0, 200)
            .Select(_ => client.RequestRawAsync("game", 1, new byte[] { 0xC0 }, TimeSpan.FromSeconds(20)))
            .ToList();
        for (var i = 0; i < calls.Count; i++)
        {
            _ = await Broker.ReceiveAsync();
        }

        Assert.That(client.Core.PendingCount, Is.EqualTo(200));
        Assert.That(System.Threading.Timer.ActiveCount - timersBefore, Is.LessThan(20), "200 pending requests, and no timer for each");
    }

    [Test]
    public async Task Deadline_WithTheLivenessTickFarOff_EndsTheRequestByItsOwnAlarm()
    {
        // A tick every 15 s: only the loop's alarm for this deadline can end the request in time.
        var options = new ZmqGameClientOptions { HeartbeatInterval = TimeSpan.FromSeconds(60) };
        await using var client = await ConnectAsync(Broker, options);
        var started = System.Diagnostics.Stopwatch.StartNew();

        var call = client.RequestRawAsync("game", 1, new byte[] { 0xC0 }, TimeSpan.FromMilliseconds(100));
        _ = await Broker.ReceiveAsync();
        var ex = Assert.ThrowsAsync<ZmqGameRequestException>(async () => await call.Within());

        Assert.That(ex!.Status, Is.EqualTo(Status.Timeout));
        Assert.That(
            started.Elapsed,
            Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(100) + RequestTable.BrokerDeadlineGrace - TimeSpan.FromMilliseconds(5)),
            "a sent request waits the broker's grace past its deadline");
        Assert.That(started.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), "well before the next tick");
    }

    [Test]
    public async Task Deadlines_OutOfOrder_EachEndsAtItsOwnTime()
    {
        var options = new ZmqGameClientOptions { HeartbeatInterval = TimeSpan.FromSeconds(60) };
        await using var client = await ConnectAsync(Broker, options);
        var started = System.Diagnostics.Stopwatch.StartNew();

        var slow = client.RequestRawAsync("game", 1, new byte[] { 0xC0 }, TimeSpan.FromSeconds(20));
        var fast = client.RequestRawAsync("game", 1, new byte[] { 0xC1 }, TimeSpan.FromMilliseconds(50));
        var fastEnded = fast.ContinueWith(_ => started.Elapsed, TaskScheduler.Default);

        var ex = Assert.ThrowsAsync<ZmqGameRequestException>(async () => await fast.Within());
        Assert.That(ex!.Status, Is.EqualTo(Status.Timeout));
        Assert.That(await fastEnded, Is.LessThan(TimeSpan.FromSeconds(5)), "the later deadline queued first does not hold it up");
        Assert.That(slow.IsCompleted, Is.False);
    }

    [Test]
    public async Task ManyCallersAtOnce_NoRequestWaitsForTheTick()
    {
        // With the tick 15 s away, a request whose wake-up got lost would sit in the queue until then.
        Broker.Responder = FakeBroker.Echo;
        var options = new ZmqGameClientOptions { HeartbeatInterval = TimeSpan.FromSeconds(60) };
        await using var client = await ConnectAsync(Broker, options);
        var slowest = TimeSpan.Zero;
        var callers = Enumerable.Range(0, 8).Select(c => Task.Run(async () =>
        {
            for (var i = 0; i < 1500; i++)
            {
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                var reply = await client.RequestRawAsync("game", 1, new byte[] { (byte)c }).ConfigureAwait(false);
                Assert.That(reply, Is.EqualTo(new byte[] { (byte)c }));
                var took = System.Diagnostics.Stopwatch.GetElapsedTime(started);
                lock (Broker)
                {
                    slowest = took > slowest ? took : slowest;
                }
            }
        }));

        await Task.WhenAll(callers).WaitAsync(TimeSpan.FromSeconds(25));
        Assert.That(slowest, Is.LessThan(TimeSpan.FromSeconds(5)), "no request waited for the tick");
    }

    [Test]
    public void Heap_PopsSoonestFirst_AndDropsWhatItIsTold()
    {
        var heap = new DeadlineHeap();
        var requests = new[] { 50L, 10, 40, 30, 20, 60, 5 }
            .Select(d => (Deadline: d, Request: new PendingRequest((ulong)d, "game", "game"u8.ToArray(), 1, [], TimeSpan.FromSeconds(1), d)))
            .ToList();
        foreach (var (deadline, request) in requests)
        {
            heap.Push(deadline, request);
        }

        heap.RemoveWhere(r => r.Id is 40 or 5);

        var order = new List<long>();
        while (heap.Count > 0)
        {
            order.Add(heap.Soonest);
            Assert.That(heap.Top.DeadlineTimestamp, Is.EqualTo(heap.Soonest));
            heap.Pop();
        }

        Assert.That(order, Is.EqualTo(new long[] { 10, 20, 30, 50, 60 }));
        Assert.That(heap.Soonest, Is.EqualTo(long.MaxValue));
    }
}
