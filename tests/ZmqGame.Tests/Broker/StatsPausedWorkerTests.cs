using ZmqGame.Broker;
using ZmqGame.Protocol;

namespace ZmqGame.Tests.Broker;

/// <summary>The <c>stats</c> answer names a paused worker's state.</summary>
[TestFixture]
public sealed class StatsPausedWorkerTests
{
    [Test]
    public void Stats_PausedWorker_IsShownPaused_AndIdleAgainAfterReady()
    {
        var broker = new StatsAnswerSource();
        broker.Dispatcher.WorkerReady([0xA1], "game"u8, new WorkerInfo("1.0.0-test", []));

        broker.Dispatcher.WorkerPaused([0xA1]);
        Assert.That(StateOf(broker), Is.EqualTo("paused"));

        broker.Dispatcher.WorkerResumed([0xA1]);
        Assert.That(StateOf(broker), Is.EqualTo("idle"));
    }

    private static object StateOf(StatsAnswerSource broker)
    {
        var map = broker.Answer(new TransportFigures(0, 0, 0, TimeSpan.Zero));
        var game = (Dictionary<object, object>)((Dictionary<object, object>)map["services"])["game"];
        return ((Dictionary<object, object>)((object[])game["worker_list"]).Single())["state"];
    }
}
