using ZmqGame.Tests.Support;
using ZmqGame.Transport;

namespace ZmqGame.Tests.Transport;

/// <summary>Heartbeat and silence bookkeeping of a connection (<see cref="Liveness"/>) on a manual clock.</summary>
[TestFixture]
public sealed class LivenessTests
{
    [Test]
    public void Liveness_HeartbeatDueAfterIntervalOfSilence_BrokerDeadAfterIntervalTimesLiveness()
    {
        var clock = new ManualTimeProvider();
        var liveness = new Liveness(clock, TimeSpan.FromSeconds(1), liveness: 3);

        clock.Advance(TimeSpan.FromMilliseconds(999));
        Assert.That(liveness.HeartbeatDue(), Is.False);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.That(liveness.HeartbeatDue(), Is.True);

        liveness.Sent();
        Assert.That(liveness.HeartbeatDue(), Is.False, "sending anything resets the heartbeat clock");

        clock.Advance(TimeSpan.FromMilliseconds(1999));
        Assert.That(liveness.BrokerSilent(), Is.False);
        liveness.Heard();
        clock.Advance(TimeSpan.FromMilliseconds(2999));
        Assert.That(liveness.BrokerSilent(), Is.False, "hearing anything resets the liveness clock");
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.That(liveness.BrokerSilent(), Is.True);
    }

    [Test]
    public void HeartbeatOrProbeDue_SendingButBrokerSilent_ProbesOncePerInterval()
    {
        var clock = new ManualTimeProvider();
        var liveness = new Liveness(clock, TimeSpan.FromSeconds(1), liveness: 3);

        clock.Advance(TimeSpan.FromMilliseconds(999));
        liveness.Sent();
        Assert.That(liveness.HeartbeatOrProbeDue(), Is.False, "sent just now, silent less than an interval");
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.That(liveness.HeartbeatDue(), Is.False);
        Assert.That(liveness.HeartbeatOrProbeDue(), Is.True, "silent an interval, no HEARTBEAT for one: probe");

        liveness.HeartbeatSent();
        Assert.That(liveness.HeartbeatOrProbeDue(), Is.False, "a HEARTBEAT went just now");
        clock.Advance(TimeSpan.FromMilliseconds(500));
        liveness.Sent();
        clock.Advance(TimeSpan.FromMilliseconds(500));
        Assert.That(liveness.HeartbeatOrProbeDue(), Is.True, "still silent, the last HEARTBEAT an interval ago");
        Assert.That(liveness.Silence, Is.EqualTo(TimeSpan.FromSeconds(2)));
    }

    [Test]
    public void NothingSent_HeartbeatAndProbeDueUntilSomethingGoes_HeardUnchanged()
    {
        var clock = new ManualTimeProvider();
        var liveness = new Liveness(clock, TimeSpan.FromSeconds(1), liveness: 3);

        liveness.NothingSent();
        Assert.That(liveness.HeartbeatDue(), Is.True, "never sent: a HEARTBEAT is due at once");
        Assert.That(liveness.Silence, Is.EqualTo(TimeSpan.Zero), "the heard time stays");

        liveness.Sent();
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.That(liveness.HeartbeatDue(), Is.True);
        liveness.Sent();
        Assert.That(liveness.HeartbeatOrProbeDue(), Is.True, "silent an interval and never a HEARTBEAT: probe");
    }
}
