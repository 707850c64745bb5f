using System.Diagnostics;
using ZmqGame.Broker;
using ZmqGame.Client.Cli;
using ZmqGame.Protocol;
using static ZmqGame.Tests.Client.ClientTestSupport;

namespace ZmqGame.Tests.Client;

/// <summary>The `client` CLI, run in process through its entry function with captured stdout and stderr.</summary>
[TestFixture]
[CancelAfter(30_000)]
public sealed class ClientCliTests
{
    [Test]
    public async Task Call_ThroughRealBroker_PrintsReplyAsJsonAndExitsZero()
    {
        using var broker = ClientBrokerIntegrationTests.StartBroker();
        using var worker = new MdpTestWorker(broker.BackendEndpoint, "game", MdpTestWorker.Game);
        await broker.WaitForIdleWorkersAsync("game", 1, CancellationToken.None).Within();

        var (code, output, error) = await RunCliAsync("call", "game", "1", """{"player":"ann","pos":[1,2]}""", "--broker", broker.FrontendEndpoint);

        Assert.That(error, Is.Empty);
        Assert.That(code, Is.EqualTo(CliApp.ExitOk));
        Assert.That(output, Is.EqualTo("""{"player":"ann","pos":[1,2]}"""));
    }

    [Test]
    public async Task Call_ThroughRealBroker_NoSuchRoute_NamesStatusOnStderrAndExitsFour()
    {
        using var broker = ClientBrokerIntegrationTests.StartBroker();
        using var worker = new MdpTestWorker(broker.BackendEndpoint, "game", MdpTestWorker.Game);
        await broker.WaitForIdleWorkersAsync("game", 1, CancellationToken.None).Within();

        var (code, output, error) = await RunCliAsync("call", "game", "99", "{}", "--broker", broker.FrontendEndpoint);

        Assert.That(code, Is.EqualTo(CliApp.ExitRequestFailed));
        Assert.That(output, Is.Empty);
        Assert.That(error, Is.EqualTo("error: no such route (service game, cmd 99): no route for cmd 99"));
    }

    [Test]
    public async Task Call_AgainstFakeRouter_SendsJsonAsMessagePack()
    {
        using var broker = new FakeBroker();
        var run = RunCliAsync("call", "game", "5", """{"a":1}""", "--broker", broker.Endpoint, "--timeout", "3s");

        var (identity, service, header, payload) = ClientTestSupport.ParseRequest(await broker.ReceiveAsync());
        Assert.That(service, Is.EqualTo("game"));
        Assert.That(header.Command, Is.EqualTo(5));
        Assert.That(header.TimeoutMs, Is.InRange(2000u, 3000u));
        Assert.That(payload, Is.EqualTo(new byte[] { 0x81, 0xA1, (byte)'a', 0x01 }), "{\"a\":1} as MessagePack");
        broker.Send(FakeBroker.Reply(identity, header.RequestId, Status.Ok, [0x93, 0x01, 0x02, 0x03]));

        var (code, output, _) = await run;
        Assert.That(code, Is.EqualTo(CliApp.ExitOk));
        Assert.That(output, Is.EqualTo("[1,2,3]"));
    }

    [Test]
    public async Task Call_RequestTimesOut_ExitsFourNamingTimeout()
    {
        using var broker = new FakeBroker();
        var (code, _, error) = await RunCliAsync("call", "game", "1", "{}", "--broker", broker.Endpoint, "--timeout", "200ms");
        Assert.That(code, Is.EqualTo(CliApp.ExitRequestFailed));
        Assert.That(error, Does.StartWith("error: timeout (service game, cmd 1)"));
    }

    [Test]
    public async Task Call_NoBroker_ExitsThreeWithinConnectTimeout()
    {
        var endpoint = ClientTestSupport.DeadEndpoint();
        var watch = Stopwatch.StartNew();

        var (code, _, error) = await RunCliAsync("call", "game", "1", "{}", "--broker", endpoint, "--connect-timeout", "300ms");

        Assert.That(code, Is.EqualTo(CliApp.ExitNoBroker));
        Assert.That(error, Is.EqualTo($"error: no broker answered at {endpoint} within 0.3 s"));
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(3)));
    }

    [TestCase]
    [TestCase("call")]
    [TestCase("call", "game", "1")]
    [TestCase("call", "game", "one", "{}")]
    [TestCase("call", "game", "1", "{not json")]
    [TestCase("call", "game", "1", "{")]
    [TestCase("call", "game", "1", "[1, 2")]
    [TestCase("call", "mmi.service", "1", "{}")]
    [TestCase("call", "game", "1", "{}", "--timeout", "soon")]
    [TestCase("call", "game", "1", "{}", "--bogus")]
    [TestCase("frobnicate", "game")]
    [TestCase("mdp")]
    [TestCase("call", "game", "1", "{}", "--timeout", "5")]
    [TestCase("call", "game", "1", "{}", "--connect-timeout", "0s")]
    [TestCase("session", "--bogus")]
    [TestCase("session", "--timeout", "soon")]
    [TestCase("load", "--bogus")]
    [TestCase("load", "--duration", "5x")]
    public async Task Cli_BadArguments_ExitsTwoWithErrorLine(params string[] args)
    {
        var (code, output, error) = await RunCliAsync(args);
        Assert.That(code, Is.EqualTo(CliApp.ExitUsage));
        Assert.That(output, Is.Empty);
        Assert.That(error, Does.StartWith("error: "));
        Assert.That(error.TrimEnd().Split('\n'), Has.Length.EqualTo(1), "one line");
    }

    [TestCase("--help")]
    [TestCase("-h")]
    [TestCase("call", "--help")]
    [TestCase("call", "game", "1", "{}", "--help")]
    [TestCase("mdp", "echo", "-h")]
    [TestCase("session", "--help")]
    [TestCase("load", "--help")]
    public async Task Cli_HelpOnTheProgramAndEachCommand_PrintsUsageAndExitsZero(params string[] args)
    {
        var (code, output, error) = await RunCliAsync(args);
        Assert.That(code, Is.EqualTo(CliApp.ExitOk), error);
        Assert.That(output, Does.Contain("Usage:"));
        Assert.That(error, Is.Empty);
    }

    [TestCase("client call:", "call", "--help")]
    [TestCase("client call:", "call", "game", "x", "--timeout", "soon", "-h")]
    [TestCase("client call:", "--broker", "tcp://127.0.0.1:1", "call", "--help")]
    [TestCase("client mdp:", "mdp", "--help")]
    [TestCase("client mdp:", "mdp", "echo", "hello", "-h")]
    public async Task Cli_CommandHelp_PrintsThatCommandsUsageWithAnExample(string title, params string[] args)
    {
        var (code, output, error) = await RunCliAsync(args);
        Assert.That(code, Is.EqualTo(CliApp.ExitOk), error);
        Assert.That(output, Does.StartWith(title).And.Contain("Example:").And.Contain("Exit codes:"));
        Assert.That(output, Does.Not.Contain("client session"), "that command's usage, not the whole program's");
        Assert.That(error, Is.Empty);
    }

    [TestCase("call", "game", "1", "{}", "--broker", "tcp//localhost:5555")]
    [TestCase("call", "game", "1", "{}", "--broker", "udp://localhost:5555")]
    [TestCase("mdp", "echo", "--broker", "tcp//localhost:5555")]
    [TestCase("session", "--broker", "localhost:5555")]
    [TestCase("load", "--broker", "tcp://*:5555")]
    public async Task Cli_MalformedBrokerEndpoint_ExitsTwoWithOneLineNamingIt(params string[] args)
    {
        var (code, output, error) = await RunCliAsync(args);
        Assert.That(code, Is.EqualTo(CliApp.ExitUsage), error);
        Assert.That(output, Is.Empty);
        Assert.That(error, Does.StartWith($"error: --broker: '{args[Array.IndexOf(args, "--broker") + 1]}' "));
        Assert.That(error.Split('\n'), Has.Length.EqualTo(1), "one line");
    }

    [Test]
    public async Task Cli_Help_PrintsUsageWithExitCodes()
    {
        var (code, output, _) = await RunCliAsync("--help");
        Assert.That(code, Is.EqualTo(CliApp.ExitOk));
        Assert.That(output, Does.Contain("client call <service> <cmd> <json>").And.Contain("Exit codes").And.Contain("3  no broker"));
    }

    [Test]
    public async Task Mdp_ThroughRealBroker_PrintsEchoedFrames()
    {
        using var broker = ClientBrokerIntegrationTests.StartBroker();
        using var worker = new MdpTestWorker(broker.BackendEndpoint, "echo", MdpTestWorker.Game);
        await broker.WaitForIdleWorkersAsync("echo", 1, CancellationToken.None).Within();

        var (code, output, error) = await RunCliAsync("mdp", "echo", "hello", "world", "--broker", broker.FrontendEndpoint);

        Assert.That(error, Is.Empty);
        Assert.That(code, Is.EqualTo(CliApp.ExitOk));
        Assert.That(output.Split('\n').Select(l => l.Trim()), Is.EqualTo(new[] { "hello", "world" }));
    }

    [Test]
    public async Task Mdp_MmiService_AnsweredByBroker()
    {
        using var broker = ClientBrokerIntegrationTests.StartBroker();
        var (code, output, _) = await RunCliAsync("mdp", "mmi.service", "nobody", "--broker", broker.FrontendEndpoint);
        Assert.That(code, Is.EqualTo(CliApp.ExitOk));
        Assert.That(output, Is.EqualTo("404"));
    }

    [Test]
    public async Task Call_PayloadOverTheBrokersLimit_PrintsOneTooLargeLineAndExitsFour()
    {
        using var broker = new ZmqGame.Tests.Support.BrokerFixture(o => o.MaxMessageSize = 4096);
        using var worker = new MdpTestWorker(broker.Backend, "game", MdpTestWorker.Game);
        await broker.WaitForIdleWorkers("game");

        var (code, output, error) = await RunCliAsync("call", "game", "1", $"\"{new string('x', 5000)}\"", "--broker", broker.Frontend);

        Assert.That(code, Is.EqualTo(CliApp.ExitRequestFailed));
        Assert.That(output, Is.Empty);
        Assert.That(error, Does.Match("^error: too large \\(service game, cmd 1\\): request of [0-9]+ bytes is over the broker's limit of 4096$"));
        Assert.That(error.Split('\n'), Has.Length.EqualTo(1), "one line");
        Assert.That(broker.Stats.BadInputCount(BadInput.FrontendTooLarge), Is.Zero, "refused by the client: the broker saw nothing of it");
    }

    [Test]
    public async Task Call_ToAServiceNobodyServes_PrintsTheBrokersTextAndExitsFour()
    {
        using var broker = ClientBrokerIntegrationTests.StartBroker();

        // The broker and the client share the deadline; the broker's answer, which names the cause, must win each time.
        for (var i = 0; i < 3; i++)
        {
            var (code, output, error) = await RunCliAsync("call", "nobody", "1", "{}", "--broker", broker.FrontendEndpoint, "--timeout", "300ms");

            Assert.That(code, Is.EqualTo(CliApp.ExitRequestFailed), $"attempt {i}");
            Assert.That(output, Is.Empty);
            Assert.That(error, Is.EqualTo("error: timeout (service nobody, cmd 1): no worker of service 'nobody' is registered"), $"attempt {i}");
        }
    }
}
