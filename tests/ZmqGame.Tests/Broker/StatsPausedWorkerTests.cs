using MessagePack;
using Microsoft.Extensions.Logging.Abstractions;
using ZmqGame.Broker;
using ZmqGame.Broker.Sessions;
using ZmqGame.Protocol;
using ZmqGame.Tests.Broker.Sessions;

namespace ZmqGame.Tests.Broker;

/// <summary>The <c>stats</c> answer names a paused worker's state.</summary>
[TestFixture]
public sealed class StatsPausedWorkerTests
{
    [Test]
    public void Stats_PausedWorker_IsShownPaused_AndIdleAgainAfterReady()
    {
        var output = new RecordingSessionOutput();
        var stats = new BrokerStats();
        var badInput = new BadInputLog(NullLogger.Instance, stats, TimeProvider.System, TimeSpan.FromSeconds(10));
        var sessions = new SessionManager(new BrokerOptions(), output, output.Dispatcher, output.Pool, stats, badInput, NullLogger.Instance, TimeProvider.System, new byte[32]);
        output.Dispatcher.WorkerReady([0xA1], "game"u8, new WorkerInfo("1.0.0-test", []));

        output.Dispatcher.WorkerPaused([0xA1]);
        Assert.That(StateOf(output.Dispatcher, sessions, stats), Is.EqualTo("paused"));

        output.Dispatcher.WorkerResumed([0xA1]);
        Assert.That(StateOf(output.Dispatcher, sessions, stats), Is.EqualTo("idle"));
    }

    private static object StateOf(Dispatcher dispatcher, SessionManager sessions, BrokerStats stats)
    {
        var report = StatsReportBuilder.Build(dispatcher, sessions, stats, TimeProvider.System, new TransportFigures(0, 0, 0, TimeSpan.Zero));
        var map = MessagePackSerializer.Deserialize<Dictionary<string, object>>(MessagePackSerializer.Serialize(report, Payload.Options), Payload.Options);
        var game = (Dictionary<object, object>)((Dictionary<object, object>)map["services"])["game"];
        return ((Dictionary<object, object>)((object[])game["worker_list"]).Single())["state"];
    }
}
