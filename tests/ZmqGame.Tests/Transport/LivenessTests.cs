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

        // The loop checks every quarter interval (a longer gap is a stall of its own, not silence: see below).
        Assert.That(Check(liveness, clock, TimeSpan.FromMilliseconds(250), times: 4), Is.False, "2 s");
        liveness.Heard();
        Assert.That(Check(liveness, clock, TimeSpan.FromMilliseconds(250), times: 11), Is.False, "hearing anything resets the liveness clock");
        clock.Advance(TimeSpan.FromMilliseconds(249));
        Assert.That(liveness.BrokerSilent(), Is.False, "2999 ms");
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.That(liveness.BrokerSilent(), Is.True);
    }

    [Test]
    public void BrokerSilent_LoopStalledLongerThanTheWindow_StallIsNotSilence_ButADeadBrokerIsStillFound()
    {
        var clock = new ManualTimeProvider();
        var liveness = new Liveness(clock, TimeSpan.FromSeconds(1), liveness: 3);
        Assert.That(Check(liveness, clock, TimeSpan.FromMilliseconds(250), times: 4), Is.False, "checked every quarter interval, heard at the start");

        // The loop does not run for 5 s (more than the 3 s window): what the broker sent waits unread meanwhile.
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.That(liveness.BrokerSilent(), Is.False, "the loop's own stall is not the broker's silence");
        Assert.That(liveness.Silence, Is.EqualTo(TimeSpan.FromSeconds(1.25)), "1 s heard before the stall, plus one check period");

        liveness.Heard();
        Assert.That(Check(liveness, clock, TimeSpan.FromMilliseconds(250), times: 11), Is.False, "2.75 s of silence with the loop running");
        Assert.That(Check(liveness, clock, TimeSpan.FromMilliseconds(250), times: 1), Is.True, "3 s of silence while the loop ran: the broker is gone");
    }

    [Test]
    public void BrokerSilent_ChecksALittleLateButWithinAnInterval_CountEverything()
    {
        var clock = new ManualTimeProvider();
        var liveness = new Liveness(clock, TimeSpan.FromSeconds(1), liveness: 3);

        Assert.That(Check(liveness, clock, TimeSpan.FromMilliseconds(900), times: 3), Is.False, "2.7 s");
        Assert.That(Check(liveness, clock, TimeSpan.FromMilliseconds(900), times: 1), Is.True, "3.6 s: a loop that checks late but within an interval skips nothing");
    }

    private static bool Check(Liveness liveness, ManualTimeProvider clock, TimeSpan every, int times)
    {
        var silent = liveness.BrokerSilent();
        for (var i = 0; i < times; i++)
        {
            clock.Advance(every);
            silent = liveness.BrokerSilent();
        }

        return silent;
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
