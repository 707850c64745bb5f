using ZmqGame.Broker.Sessions;

namespace ZmqGame.Tests.Broker.Sessions;

/// <summary>Ended session ids are remembered until their time, then forgotten.</summary>
[TestFixture]
public sealed class SessionTombstonesTests
{
    [Test]
    public void Forget_DropsOnlyTheIdsWhoseTimeHasCome()
    {
        var ended = new SessionTombstones();
        ended.Add(1, untilMs: 100);
        ended.Add(2, untilMs: 200);

        ended.Forget(99);
        Assert.That(ended.Contains(1) && ended.Contains(2), Is.True);

        ended.Forget(100);
        Assert.That(ended.Contains(1), Is.False);
        Assert.That(ended.Contains(2), Is.True);
        Assert.That(ended.Count, Is.EqualTo(1));

        ended.Forget(1_000);
        Assert.That(ended.Count, Is.Zero);
    }
}
