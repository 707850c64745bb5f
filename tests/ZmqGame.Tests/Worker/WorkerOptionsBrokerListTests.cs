using ZmqGame.Worker;

namespace ZmqGame.Tests.WorkerTests;

/// <summary><see cref="WorkerOptions.Broker"/> takes one broker or a comma-separated list of them.</summary>
[TestFixture]
public sealed class WorkerOptionsBrokerListTests
{
    [TestCase("tcp://localhost:5556")]
    [TestCase("tcp://b1:5556,tcp://b2:5556")]
    [TestCase(" tcp://b1:5556 , tcp://b2:5556 ,")]
    public void Validate_OneBrokerOrAList_IsAccepted(string broker)
    {
        Assert.DoesNotThrow(() => new WorkerOptions { Broker = broker }.Validate());
    }

    [Test]
    public void Validate_ListWithABadEntry_NamesIt()
    {
        var ex = Assert.Throws<ArgumentException>(() => new WorkerOptions { Broker = "tcp://b1:5556,udp://b2:5556" }.Validate());

        Assert.That(ex!.Message, Does.Contain("'udp://b2:5556'"));
    }

    [Test]
    public void Validate_EmptyList_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => new WorkerOptions { Broker = " , " }.Validate());
    }
}
