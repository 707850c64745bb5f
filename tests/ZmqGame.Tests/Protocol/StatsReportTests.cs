using MessagePack;
using ZmqGame.Protocol;

namespace ZmqGame.Tests.Protocol;

[TestFixture]
public sealed class StatsReportTests
{
    /// <summary>A map shaped like the broker's stats answer as it was built by hand, key by key, before StatsReport.</summary>
    private static Dictionary<string, object> BrokerShapedMap() => new()
    {
        ["counters"] = new Dictionary<string, long> { ["requests"] = 12, ["replies"] = 11, ["bad_input.ControlMalformed"] = 1 },
        ["services"] = new Dictionary<string, object>
        {
            ["game"] = new Dictionary<string, object>
            {
                ["workers"] = 2,
                ["idle"] = 1,
                ["waiting"] = 3,
                ["worker_list"] = new List<object>
                {
                    new Dictionary<string, object>
                    {
                        ["id"] = "00A1",
                        ["version"] = "7.1.0",
                        ["state"] = "busy",
                        ["uptime_s"] = 12.5,
                        ["served"] = 40L,
                    },
                },
                ["requests"] = 45L,
                ["replies"] = 40L,
                ["errors"] = new Dictionary<string, long> { ["timeout"] = 2, ["handler_failed"] = 1 },
            },
            ["empty"] = new Dictionary<string, object>
            {
                ["workers"] = 0, ["idle"] = 0, ["waiting"] = 0, ["worker_list"] = new List<object>(), ["requests"] = 0, ["replies"] = 0,
                ["errors"] = new Dictionary<string, long>(),
            },
        },
        ["workers"] = 2,
        ["sessions"] = 120,
        ["sessions_logged_in"] = 100,
        ["sessions_detached"] = 4,
        ["sessions_backlogged"] = 0,
        ["groups"] = 9,
        ["last_push_fanout_us"] = 35L,
        ["last_push_written_us"] = 80L,
    };

    [Test]
    public void BrokerShapedMap_DeserializesIntoStatsReport()
    {
        var bytes = MessagePackSerializer.Serialize(BrokerShapedMap(), Payload.Options);

        var report = MessagePackSerializer.Deserialize<StatsReport>(bytes, Payload.Options);

        Assert.That(report.Counters, Is.EqualTo(new Dictionary<string, long> { ["requests"] = 12, ["replies"] = 11, ["bad_input.ControlMalformed"] = 1 }));
        Assert.That(report.Workers, Is.EqualTo(2));
        Assert.That(report.Gauges.Keys, Is.EquivalentTo(new[]
        {
            "workers", "sessions", "sessions_logged_in", "sessions_detached", "sessions_backlogged", "groups", "last_push_fanout_us", "last_push_written_us",
        }));
        Assert.That(report.Gauges["sessions"], Is.EqualTo(120));
        Assert.That(report.Services.Keys, Is.EquivalentTo(new[] { "game", "empty" }));
        var game = report.Services["game"];
        Assert.That((game.Workers, game.Idle, game.Waiting), Is.EqualTo((2L, 1L, 3L)));
        Assert.That((game.Requests, game.Replies), Is.EqualTo((45L, 40L)));
        Assert.That(game.Errors, Is.EqualTo(new Dictionary<string, long> { ["timeout"] = 2, ["handler_failed"] = 1 }));
        var worker = game.WorkerList.Single();
        Assert.That((worker.Id, worker.Version, worker.State, worker.UptimeSeconds, worker.Served), Is.EqualTo(("00A1", "7.1.0", "busy", 12.5, 40L)));
        Assert.That(report.Services["empty"].WorkerList, Is.Empty);
    }

    [Test]
    public void StatsReport_SerializesToTheSameMap()
    {
        var original = MessagePackSerializer.Serialize(BrokerShapedMap(), Payload.Options);
        var report = MessagePackSerializer.Deserialize<StatsReport>(original, Payload.Options);

        var written = MessagePackSerializer.Serialize(report, Payload.Options);

        Assert.That(MessagePackSerializer.ConvertToJson(written, Payload.Options).Length, Is.EqualTo(MessagePackSerializer.ConvertToJson(original, Payload.Options).Length));
        var asMap = MessagePackSerializer.Deserialize<Dictionary<string, object>>(written, Payload.Options);
        Assert.That(asMap.Keys, Is.EquivalentTo(BrokerShapedMap().Keys), "the same top-level keys");
        var again = MessagePackSerializer.Deserialize<StatsReport>(written, Payload.Options);
        Assert.That(again.Counters, Is.EqualTo(report.Counters));
        Assert.That(again.Gauges, Is.EqualTo(report.Gauges));
        Assert.That(again.Services["game"].WorkerList.Single().UptimeSeconds, Is.EqualTo(12.5));
    }

    [Test]
    public void UnknownEntries_NumbersAreGaugesAndTheRestIsSkipped()
    {
        var map = new Dictionary<string, object>
        {
            ["users"] = 100,
            ["ratio"] = 2.75,
            ["note"] = "text",
            ["nested"] = new Dictionary<string, object> { ["x"] = 1 },
            ["counters"] = new Dictionary<string, object> { ["a"] = 1, ["b"] = "not a number", ["c"] = 3.9 },
        };
        var bytes = MessagePackSerializer.Serialize(map, Payload.Options);

        var report = MessagePackSerializer.Deserialize<StatsReport>(bytes, Payload.Options);

        Assert.That(report.Gauges, Is.EqualTo(new Dictionary<string, long> { ["users"] = 100, ["ratio"] = 2 }));
        Assert.That(report.Counters, Is.EqualTo(new Dictionary<string, long> { ["a"] = 1, ["c"] = 3 }));
        Assert.That(report.Services, Is.Empty);
        Assert.That(report.Workers, Is.Zero);
    }

    [Test]
    public void NotAMap_Throws()
    {
        var bytes = MessagePackSerializer.Serialize(new[] { 1, 2 }, Payload.Options);
        Assert.That(() => MessagePackSerializer.Deserialize<StatsReport>(bytes, Payload.Options), Throws.InstanceOf<MessagePackSerializationException>());
    }
}
