using ZmqGame.Client.Internal;
using ZmqGame.Tests.Support;

namespace ZmqGame.Tests.Client;

/// <summary><see cref="ClientLiveness"/> on a manual clock: when a heartbeat is due and when silence ends a connection.</summary>
[TestFixture]
public sealed class ClientLivenessTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private ManualTimeProvider time = null!;
    private ClientLiveness liveness = null!;

    [SetUp]
    public void SetUp()
    {
        time = new ManualTimeProvider();
        liveness = new ClientLiveness(time, Interval, liveness: 3);
        liveness.Opened();
        liveness.Sent();
    }

    [Test]
    public void Check_NothingSentYetOnFirstConnection_HeartbeatAtOnce()
    {
        var fresh = new ClientLiveness(time, Interval, liveness: 3);
        fresh.Opened();
        Assert.That(fresh.Check(helloSentAt: null, tryAnother: false), Is.EqualTo(LivenessVerdict.Heartbeat), "no HELLO went: a heartbeat is due");
    }

    [Test]
    public void Opened_KeepsSendTimesOfThePreviousConnection()
    {
        time.Advance(TimeSpan.FromMilliseconds(900));
        liveness.Opened();
        time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.That(liveness.Check(helloSentAt: null, tryAnother: false), Is.EqualTo(LivenessVerdict.Heartbeat), "nothing sent for an interval, across the reopen");
    }

    [Test]
    public void Check_TrafficBothWaysWithinInterval_Alive()
    {
        time.Advance(TimeSpan.FromMilliseconds(900));
        Assert.That(liveness.Check(helloSentAt: null, tryAnother: false), Is.EqualTo(LivenessVerdict.Alive));
    }

    [Test]
    public void Check_NothingSentForInterval_Heartbeat()
    {
        time.Advance(Interval);
        liveness.Received();
        Assert.That(liveness.Check(helloSentAt: null, tryAnother: false), Is.EqualTo(LivenessVerdict.Heartbeat));
    }

    [Test]
    public void Check_SilentBrokerAfterHeartbeat_NextHeartbeatOnlyAfterAnInterval()
    {
        time.Advance(Interval);
        liveness.HeartbeatSent();
        liveness.Sent();

        time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.That(liveness.Check(helloSentAt: null, tryAnother: false), Is.EqualTo(LivenessVerdict.Alive), "heard nothing, but asked half an interval ago");

        time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.That(liveness.Check(helloSentAt: null, tryAnother: false), Is.EqualTo(LivenessVerdict.Heartbeat));
        Assert.That(liveness.HeartbeatsSent, Is.EqualTo(1));
    }

    [Test]
    public void Check_SilentForLivenessIntervals_Silent()
    {
        time.Advance(Interval * 3);
        Assert.Multiple(() =>
        {
            Assert.That(liveness.Check(helloSentAt: null, tryAnother: false), Is.EqualTo(LivenessVerdict.Silent));
            Assert.That(liveness.Silence, Is.EqualTo(Interval * 3));
        });
    }

    [Test]
    public void Check_HelloUnansweredForLivenessIntervalsWhileBrokerTalks_HelloUnanswered()
    {
        var helloSentAt = time.GetTimestamp();
        time.Advance(Interval * 3);
        liveness.Received();
        Assert.That(liveness.Check(helloSentAt, tryAnother: false), Is.EqualTo(LivenessVerdict.HelloUnanswered));
    }

    [Test]
    public void Check_NothingHeardForAnIntervalWithAnotherBrokerListed_NeverAnswered()
    {
        time.Advance(Interval - TimeSpan.FromMilliseconds(1));
        Assert.That(liveness.Check(helloSentAt: null, tryAnother: true), Is.Not.EqualTo(LivenessVerdict.NeverAnswered), "before an interval");
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Multiple(() =>
        {
            Assert.That(liveness.Check(helloSentAt: null, tryAnother: true), Is.EqualTo(LivenessVerdict.NeverAnswered));
            Assert.That(liveness.Check(helloSentAt: null, tryAnother: false), Is.Not.EqualTo(LivenessVerdict.NeverAnswered), "the only broker: wait out the silence window");
        });
    }

    [Test]
    public void Check_ShortHeartbeatWithAnotherBrokerListed_WaitsAtLeastTheMinimumForAFirstAnswer()
    {
        var fast = new ClientLiveness(time, TimeSpan.FromMilliseconds(100), liveness: 3);
        fast.Opened();
        var helloSentAt = time.GetTimestamp();
        time.Advance(ClientLiveness.MinUnansweredLimit - TimeSpan.FromMilliseconds(1));
        Assert.That(fast.Check(helloSentAt, tryAnother: true), Is.AnyOf(LivenessVerdict.Alive, LivenessVerdict.Heartbeat),
            "a broker just started gets its second, though the silence window (300 ms) is over");
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.That(fast.Check(helloSentAt, tryAnother: true), Is.EqualTo(LivenessVerdict.NeverAnswered));
    }

    [Test]
    public void TickInterval_QuarterOfHeartbeatAtLeastAMillisecond()
    {
        Assert.Multiple(() =>
        {
            Assert.That(ClientLiveness.TickInterval(TimeSpan.FromSeconds(2)), Is.EqualTo(TimeSpan.FromMilliseconds(500)));
            Assert.That(ClientLiveness.TickInterval(TimeSpan.FromMilliseconds(2)), Is.EqualTo(TimeSpan.FromMilliseconds(1)));
        });
    }
}
