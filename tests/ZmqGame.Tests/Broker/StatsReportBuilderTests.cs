using ZmqGame.Broker;

namespace ZmqGame.Tests.Broker;

/// <summary>The broker's <c>stats</c> answer: built typed, written with the keys, order and values the trigger reads.</summary>
[TestFixture]
public sealed class StatsReportBuilderTests
{
    [Test]
    public void Build_WritesTheStatsMap_WithItsKeysInOrder()
    {
        var broker = new StatsAnswerSource();
        broker.Dispatcher.WorkerReady([0xA1], "game"u8);

        var map = broker.Answer(new TransportFigures(1, 2, 0, TimeSpan.FromMicroseconds(7)));

        Assert.That(map.Keys, Is.EqualTo(new[]
        {
            "counters", "services", "workers", "sessions", "sessions_logged_in", "sessions_detached", "sessions_backlogged", "groups",
            "last_push_fanout_us", "last_push_written_us",
        }));
        Assert.That(Convert.ToInt64(map["workers"]), Is.EqualTo(1));
        Assert.That(Convert.ToInt64(map["last_push_written_us"]), Is.EqualTo(7));
        var counters = (Dictionary<object, object>)map["counters"];
        Assert.That((Convert.ToInt64(counters["curve_rejected.control"]), Convert.ToInt64(counters["curve_rejected.frontend"])), Is.EqualTo((1L, 2L)));
        var game = (Dictionary<object, object>)((Dictionary<object, object>)map["services"])["game"];
        Assert.That(game.Keys, Is.EqualTo(new object[] { "workers", "idle", "waiting", "worker_list", "requests", "replies", "errors" }));
        var worker = (Dictionary<object, object>)((object[])game["worker_list"]).Single();
        Assert.That(worker.Keys, Is.EqualTo(new object[] { "id", "version", "state", "uptime_s", "served" }));
        Assert.That((worker["id"], worker["version"], worker["state"]), Is.EqualTo(("A1", "(stock MDP worker)", "idle")));
    }
}
