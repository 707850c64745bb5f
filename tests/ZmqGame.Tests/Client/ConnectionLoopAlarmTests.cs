using System.Collections.Concurrent;
using System.Diagnostics;
using ZmqGame.Tests.Support;
using ZmqGame.Transport;
using ZmqGame.Transport.WebSocket;

namespace ZmqGame.Tests.Client;

/// <summary>
/// <see cref="IConnectionLoop.WakeWithin"/> on each loop: with no tick, no traffic and no wake-up from another thread,
/// the wake handler still runs once the alarm's time has come (not before), and the soonest alarm stands.
/// </summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(30_000)]
public sealed class ConnectionLoopAlarmTests
{
    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(60);

    [Test]
    [Category(Categories.OwnTransport)]
    public Task OwnTransport_Alarm_RunsTheWakeHandlerThen() => AlarmRunsWakeHandler(new ZmtpConnectionLoop(ex => Assert.Fail(ex.ToString())));

    [Test]
    [Category(Categories.OwnTransport)]
    public Task SharedLoop_Alarm_RunsTheWakeHandlerThen() => AlarmRunsWakeHandler(new SharedConnectionLoop(ex => Assert.Fail(ex.ToString())));

    [Test]
    public Task NetMq_Alarm_RunsTheWakeHandlerThen() => AlarmRunsWakeHandler(new NetMqConnectionLoop(new DealerOptions(), ex => Assert.Fail(ex.ToString())));

    [Test]
    public Task WebSocketThreaded_Alarm_RunsTheWakeHandlerThen() =>
        AlarmRunsWakeHandler(new WebSocketConnectionLoop(new ClientWebSocketBridge(), pumped: false, ex => Assert.Fail(ex.ToString())));

    [Test]
    [Category(Categories.OwnTransport)]
    public Task OwnTransport_Alarms_NeverGoOffEarly() => AlarmsNeverGoOffEarly(new ZmtpConnectionLoop(ex => Assert.Fail(ex.ToString())));

    [Test]
    [Category(Categories.OwnTransport)]
    public Task SharedLoop_Alarms_NeverGoOffEarly() => AlarmsNeverGoOffEarly(new SharedConnectionLoop(ex => Assert.Fail(ex.ToString())));

    [Test]
    public Task NetMq_Alarms_NeverGoOffEarly() => AlarmsNeverGoOffEarly(new NetMqConnectionLoop(new DealerOptions(), ex => Assert.Fail(ex.ToString())));

    [Test]
    public Task WebSocketThreaded_Alarms_NeverGoOffEarly() =>
        AlarmsNeverGoOffEarly(new WebSocketConnectionLoop(new ClientWebSocketBridge(), pumped: false, ex => Assert.Fail(ex.ToString())));

    [Test]
    [NonParallelizable]
    public void WebSocketPumped_Alarm_RunsTheWakeHandlerInTheFirstTurnFromThen()
    {
        var wakes = 0;
        using var loop = new WebSocketConnectionLoop(new ClientWebSocketBridge(), pumped: true, ex => Assert.Fail(ex.ToString()));
        loop.Start("alarm", onWake: () => wakes++);
        ZmqGameWebSocket.Pump();
        var armed = Stopwatch.StartNew();
        loop.WakeWithin(Delay); // the pumping thread is the loop's

        ZmqGameWebSocket.Pump();
        Assert.That(wakes, Is.Zero, "not before its time");
        while (wakes == 0 && armed.Elapsed < TimeSpan.FromSeconds(10))
        {
            Thread.Sleep(5); // a player's frame
            ZmqGameWebSocket.Pump();
        }

        Assert.That(wakes, Is.EqualTo(1));
        Assert.That(armed.Elapsed, Is.GreaterThanOrEqualTo(Delay));
        for (var i = 0; i < 5; i++)
        {
            ZmqGameWebSocket.Pump();
        }

        Assert.That(wakes, Is.EqualTo(1), "an alarm goes off once");
    }

    /// <summary>
    /// Forty alarms in a row, each set by the wake handler of the one before for a few milliseconds (fractions of a
    /// millisecond included), after which the turn goes on for most of a millisecond. A wake before the alarm's time (a loop may wake its handler for other reasons) does
    /// nothing, so an alarm that went off early, and so was spent, would leave the chain waiting for ever.
    /// </summary>
    private static async Task AlarmsNeverGoOffEarly(IConnectionLoop loop)
    {
        using var _ = loop;
        const int Count = 40;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var due = long.MaxValue;
        var fired = 0;
        void Arm()
        {
            var delay = TimeSpan.FromMilliseconds(1 + (fired % 5) + (fired % 3 * 0.4));
            due = Stopwatch.GetTimestamp() + (long)(delay.TotalSeconds * Stopwatch.Frequency);
            loop.WakeWithin(delay);
            var rest = Stopwatch.StartNew(); // the rest of the loop's turn, crossing a millisecond now and then
            while (rest.Elapsed < TimeSpan.FromMilliseconds(0.7))
            {
                Thread.SpinWait(20);
            }
        }

        loop.Start("alarms", onWake: () =>
        {
            if (Stopwatch.GetTimestamp() < due)
            {
                return;
            }

            if (++fired == Count)
            {
                done.TrySetResult();
                return;
            }

            Arm();
        });
        loop.Post(Arm);
        var finished = await Task.WhenAny(done.Task, Task.Delay(TimeSpan.FromSeconds(10)));
        Assert.That(finished, Is.SameAs(done.Task), $"alarm {Volatile.Read(ref fired)} of {Count} went off before its time, or never");
    }

    /// <summary>
    /// Arms a far alarm, then a near one, from the loop thread: the wake handler runs by the near one's time and not
    /// before, with nothing else to wake the loop.
    /// </summary>
    private static async Task AlarmRunsWakeHandler(IConnectionLoop loop)
    {
        using var _ = loop;
        var wakes = new ConcurrentQueue<long>();
        var armedAt = 0L;
        loop.Start("alarm", onWake: () => wakes.Enqueue(Stopwatch.GetTimestamp()));
        var armed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        loop.Post(() =>
        {
            armedAt = Stopwatch.GetTimestamp();
            loop.WakeWithin(TimeSpan.FromSeconds(20));
            loop.WakeWithin(Delay);
            loop.WakeWithin(TimeSpan.FromSeconds(30)); // a later one: the sooner stands
            armed.SetResult();
        });
        await armed.Task.WaitAsync(TimeSpan.FromSeconds(10));

        var due = armedAt + (long)(Delay.TotalSeconds * Stopwatch.Frequency);
        var deadline = Stopwatch.StartNew();
        while (!wakes.Any(t => t >= due) && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(10);
        }

        Assert.That(wakes.Any(t => t >= due), Is.True, "the wake handler ran once the alarm's time came");
        Assert.That(
            Stopwatch.GetElapsedTime(armedAt, wakes.First(t => t >= due)),
            Is.LessThan(TimeSpan.FromSeconds(5)),
            "at the near alarm, not the far ones");
    }
}
