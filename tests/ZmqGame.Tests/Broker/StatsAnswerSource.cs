using MessagePack;
using Microsoft.Extensions.Logging.Abstractions;
using ZmqGame.Broker;
using ZmqGame.Broker.Sessions;
using ZmqGame.Protocol;
using ZmqGame.Tests.Broker.Sessions;

namespace ZmqGame.Tests.Broker;

/// <summary>
/// A broker's dispatcher, session manager and counters without sockets (over a recording output), whose <c>stats</c>
/// answer a test builds and reads back as the map the trigger gets.
/// </summary>
internal sealed class StatsAnswerSource
{
    private readonly RecordingSessionOutput _output = new();
    private readonly BrokerStats _stats = new();
    private readonly SessionManager _sessions;

    public StatsAnswerSource()
    {
        var badInput = new BadInputLog(NullLogger.Instance, _stats, TimeProvider.System, TimeSpan.FromSeconds(10));
        _sessions = new SessionManager(new BrokerOptions(), _output, _output.Dispatcher, _output.Pool, _stats, badInput, NullLogger.Instance, TimeProvider.System, new byte[32]);
    }

    public Dispatcher Dispatcher => _output.Dispatcher;

    /// <summary>The <c>stats</c> answer with <paramref name="transport"/>'s figures, serialized and read back as a map.</summary>
    public Dictionary<string, object> Answer(TransportFigures transport)
    {
        var report = StatsReportBuilder.Build(_output.Dispatcher, _sessions, _stats, TimeProvider.System, transport);
        return MessagePackSerializer.Deserialize<Dictionary<string, object>>(MessagePackSerializer.Serialize(report, Payload.Options), Payload.Options);
    }
}
