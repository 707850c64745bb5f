using System.Text.Json;
using ZmqGame.Tests.Support;

namespace ZmqGame.Tests.Logging;

/// <summary>
/// JSON lines, one setting away: <c>--log-format json</c> on the broker and the client CLI, <c>ZMQGAME_LOG_FORMAT=json</c>
/// for the supervisor and its children. Every line is one JSON object with time, level, logger and message, the
/// event id and the named values of the event's message, and the exception when there is one.
/// </summary>
[TestFixture]
[Platform(Exclude = "Win")]
public sealed class JsonLogProcessTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Test]
    public async Task JsonFormat_EveryLineOfEveryProcessIsOneObject_WithTheEventsFields()
    {
        var (broker, frontend, backend, control) = await LogLines.StartBrokerAsync("--log-format", "json");
        using (broker)
        {
            using var supervisor = ProcessUnderTest.StartDll(
                Executables.Dll("ZmqGame.Worker.Host"),
                new Dictionary<string, string> { ["ZMQGAME_LOG_FORMAT"] = "json" },
                "--processes", "1", "--broker", backend, "--control", control, "--slots", "1", "--service", "game");
            await supervisor.WaitForLineAsync(@"Child 1 \(process slot 0, pid \d+\) READY", Patience);

            var failed = await CliRun.RunAsync("ZmqGame.Client.Cli", null, "call", "game", "3", """{"Message": "boom"}""", "--broker", frontend, "-v", "--log-format", "json");
            Assert.That(failed.ExitCode, Is.EqualTo(4), failed.ToString());
            await supervisor.WaitForLineAsync("Handler of service 'game' command 3 failed", Patience);

            supervisor.Terminate();
            Assert.That(await supervisor.WaitForExitAsync(Patience), Is.Zero, supervisor.Output);
            broker.Terminate();
            Assert.That(await broker.WaitForExitAsync(), Is.Zero, broker.Output);

            var brokerLines = LogLines.ParseJson(broker.Lines, "broker");
            var listening = brokerLines.Single(l => l.GetProperty("message").GetString()!.StartsWith("Broker listening: ", StringComparison.Ordinal));
            Assert.That(listening.GetProperty("level").GetString(), Is.EqualTo("INFO"));
            Assert.That(listening.GetProperty("logger").GetString(), Is.EqualTo("ZmqGame.Broker"));
            Assert.That(listening.GetProperty("event").GetInt32(), Is.EqualTo(1));
            Assert.That(listening.GetProperty("properties").GetProperty("Frontend").GetString(), Is.EqualTo(frontend));

            var supervisorLines = LogLines.ParseJson(supervisor.Lines, "supervisor");
            var fromChild = supervisorLines.Where(l => l.TryGetProperty("child", out _)).ToList();
            Assert.That(fromChild.Select(l => l.GetProperty("child").GetInt32()), Is.Not.Empty.And.All.EqualTo(1));
            Assert.That(supervisorLines.Where(l => !l.TryGetProperty("child", out _)).Select(l => l.GetProperty("logger").GetString()), Is.Not.Empty.And.All.EqualTo("ZmqGame.Worker.Host.Supervisor"));
            var handlerFailed = fromChild.Single(l => l.GetProperty("message").GetString() == "Handler of service 'game' command 3 failed");
            Assert.That(handlerFailed.GetProperty("level").GetString(), Is.EqualTo("ERROR"));
            Assert.That(handlerFailed.GetProperty("properties").GetProperty("Command").GetInt32(), Is.EqualTo(3));
            Assert.That(handlerFailed.GetProperty("exception").GetString(), Does.StartWith("System.InvalidOperationException: boom"));

            var clientLines = LogLines.ParseJson(failed.Stderr.Where(l => !l.StartsWith("error: ", StringComparison.Ordinal)), "client");
            var connected = clientLines.First(l => l.GetProperty("message").GetString()!.StartsWith("Connected to broker at ", StringComparison.Ordinal));
            Assert.That(connected.GetProperty("properties").GetProperty("Endpoint").GetString(), Is.EqualTo(frontend));
            Assert.That(failed.Stdout, Is.Empty, failed.ToString());
        }
    }
}
