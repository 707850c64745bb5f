using ZmqGame.Tests.Support;
using ZmqGame.Trigger;

namespace ZmqGame.Tests.Logging;

/// <summary>
/// The broker, the worker host with its supervisor and the client CLI as processes: every line they log is in the one
/// format, a child's line passes the supervisor with one timestamp, and a client call at default verbosity prints its
/// reply and nothing else, and leaves no Information line in the broker's log.
/// </summary>
[TestFixture]
[Platform(Exclude = "Win")]
public sealed class LogFormatProcessTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Test]
    public async Task BrokerAndSupervisedWorkers_EveryLineInTheOneFormat_ChildLinesStampedOnce()
    {
        var (broker, frontend, backend, control) = await LogLines.StartBrokerAsync();
        using (broker)
        {
            using var supervisor = ProcessUnderTest.Start("ZmqGame.Worker.Host", "--processes", "2", "--broker", backend, "--control", control, "--slots", "1", "--service", "game");
            await supervisor.WaitForLineAsync(@"Child 1 \(process slot \d, pid \d+\) READY", Patience);
            await supervisor.WaitForLineAsync(@"Child 2 \(process slot \d, pid \d+\) READY", Patience);

            var call = await CliRun.RunAsync("ZmqGame.Client.Cli", null, "call", "game", "2", """{"A": 40, "B": 2}""", "--broker", frontend);
            Assert.That(call.ExitCode, Is.Zero, call.ToString());

            supervisor.Terminate();
            Assert.That(await supervisor.WaitForExitAsync(Patience), Is.Zero, supervisor.Output);
            broker.Terminate();
            Assert.That(await broker.WaitForExitAsync(), Is.Zero, broker.Output);

            LogLines.AssertEveryLine(broker.Lines, "broker", LogLines.Text);
            LogLines.AssertEveryLine(supervisor.Lines, "supervisor", LogLines.Text, LogLines.ChildText);
            var passedThrough = supervisor.Lines.Where(l => l.StartsWith("[child ", StringComparison.Ordinal)).ToList();
            Assert.That(passedThrough.Count(l => l.Contains("Slot 0 of service 'game' READY", StringComparison.Ordinal)), Is.EqualTo(2), supervisor.Output);
            Assert.That(passedThrough.Count(l => l.Contains("Worker stopped: ", StringComparison.Ordinal)), Is.EqualTo(2), supervisor.Output);
        }
    }

    [Test]
    public async Task ClientCall_AtDefaultVerbosity_PrintsOnlyTheReply_AndLeavesNoInformationLineInTheBrokersLog()
    {
        var (broker, frontend, backend, control) = await LogLines.StartBrokerAsync();
        using (broker)
        {
            using var worker = ProcessUnderTest.Start("ZmqGame.Worker.Host", "--broker", backend, "--slots", "1", "--service", "game");
            await worker.WaitForLineAsync("Slot 0 of service 'game' READY", Patience);
            await broker.WaitForLineAsync("ready for service game");
            var before = broker.Lines.Count;

            var call = await CliRun.RunAsync("ZmqGame.Client.Cli", null, "call", "game", "2", """{"A": 40, "B": 2}""", "--broker", frontend);

            Assert.That(call.ExitCode, Is.Zero, call.ToString());
            Assert.That(call.Stdout, Is.EqualTo(new[] { """{"Sum":42}""" }), call.ToString());
            Assert.That(call.Stderr, Is.Empty, call.ToString());

            // Once the broker has counted the session's close, a line about it is written; a worker leaving after that
            // logs a line of its own, which is the mark up to which the broker's output is complete.
            await using (var trigger = await TriggerClient.ConnectAsync(control))
            {
                await Eventually.True(async () => (await trigger.StatsAsync()).Counters["sessions_closed.client_closed"] >= 1, "the broker counted the closed session");
            }

            worker.Terminate();
            Assert.That(await worker.WaitForExitAsync(), Is.Zero, worker.Output);
            await broker.WaitForLineAsync("of service game removed");
            var during = broker.Lines.Skip(before).TakeWhile(l => !l.Contains("of service game removed", StringComparison.Ordinal)).ToList();
            Assert.That(during, Is.Empty, "the broker logged the call:\n" + string.Join('\n', during));

            var verbose = await CliRun.RunAsync("ZmqGame.Client.Cli", null, "call", "game", "2", """{"A": 1, "B": 2}""", "--broker", frontend, "--timeout", "1s", "-v");
            Assert.That(verbose.ExitCode, Is.EqualTo(4), verbose.ToString());
            Assert.That(verbose.Stdout, Is.Empty, verbose.ToString());
            var logged = verbose.Stderr.Where(l => !l.StartsWith("error: ", StringComparison.Ordinal)).ToList();
            LogLines.AssertEveryLine(logged, "client -v", LogLines.Text);
            Assert.That(logged, Has.Some.Matches(@" INFO  ZmqGame\.Client \[\d+\] Connected to broker at "), verbose.ToString());
        }
    }

    [TestCase("ZmqGame.Broker", "tcp://127.0.0.1:0", "tcp://127.0.0.1:0", "--control", "tcp://127.0.0.1:0")]
    [TestCase("ZmqGame.Worker.Host", "--broker", "tcp://127.0.0.1:1", "--slots", "1")]
    [TestCase("ZmqGame.Worker.Host", "--processes", "1", "--broker", "tcp://127.0.0.1:1", "--slots", "1")]
    public async Task LogFormatThatIsNeitherTextNorJson_IsOneLineNamingTheSetting_ExitTwo(string project, params string[] args)
    {
        var run = await CliRun.RunAsync(project, null, [.. args, "--log-format", "xml"]);

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Stdout, Is.Empty, run.ToString());
        Assert.That(run.Stderr, Is.EqualTo(new[] { "error: setting Logging:Format = 'xml' (from the command line) is not text or json" }), run.ToString());
    }

    [Test]
    public async Task Client_LogFormatThatIsNeitherTextNorJson_IsAUsageError()
    {
        var run = await CliRun.RunAsync("ZmqGame.Client.Cli", new Dictionary<string, string> { ["ZMQGAME_LOG_FORMAT"] = "yaml" }, "call", "game", "1", "{}");

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Stderr, Has.Count.EqualTo(1).And.Some.StartsWith("error: setting Logging:Format = 'yaml' (from environment variable ZMQGAME_LOG_FORMAT)"), run.ToString());
    }
}
