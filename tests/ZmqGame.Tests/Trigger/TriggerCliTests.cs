using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using MessagePack;
using NetMQ;
using ZmqGame.Tests.Support;
using ZmqGame.Trigger;

namespace ZmqGame.Tests.Trigger;

[TestFixture]
public sealed class TriggerCliTests
{
    [Test]
    public async Task Stats_PrintsCountersAsJson()
    {
        using var broker = new BrokerFixture();
        await RawZg.AssertServing(broker);
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var code = await TriggerCli.RunAsync(["stats", "--json", "--broker", broker.Control], stdout, stderr);

        Assert.That(code, Is.EqualTo(TriggerCli.ExitOk), stderr.ToString());
        using var json = JsonDocument.Parse(stdout.ToString());
        Assert.That(json.RootElement.GetProperty("counters").GetProperty("replies").GetInt64(), Is.EqualTo(1));
    }

    [Test]
    public async Task Stats_NoBroker_FailsWithinTimeout()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var clock = Stopwatch.StartNew();

        var code = await TriggerCli.RunAsync(["stats", "--broker", "tcp://127.0.0.1:" + FreePort(), "--timeout", "500ms"], stdout, stderr);

        Assert.That(code, Is.EqualTo(TriggerCli.ExitNoBroker));
        Assert.That(stderr.ToString(), Does.Contain("no answer from tcp://127.0.0.1:").And.Contain("is the broker running"));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), "never a hang");
    }

    [Test]
    public async Task WorkersStatus_ListsEachWorkerWithVersionAndState()
    {
        using var broker = new BrokerFixture();
        await using var app = ZmqGame.Worker.WorkerApp.Create(new ZmqGame.Worker.WorkerOptions { Broker = broker.Backend, Slots = 2, Version = "7.1.0" });
        app.MapService("game").Map<int, int>(1, (n, _) => n);
        await app.StartAsync();
        await broker.WaitForIdleWorkers("game", 2);
        var stdout = new StringWriter();

        var code = await TriggerCli.RunAsync(["workers", "status", "--broker", broker.Control], stdout, new StringWriter());

        Assert.That(code, Is.EqualTo(TriggerCli.ExitOk));
        var lines = stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()).ToArray();
        Assert.That(lines[0], Does.StartWith("SERVICE"));
        Assert.That(lines.Count(l => l.StartsWith("game", StringComparison.Ordinal) && l.Contains("idle") && l.Contains("7.1.0")), Is.EqualTo(2), stdout.ToString());
        Assert.That(lines[^1], Is.EqualTo("2 worker(s)"));
    }

    [Test]
    public async Task UnknownCommand_IsAUsageError()
    {
        var stderr = new StringWriter();
        var code = await TriggerCli.RunAsync(["frobnicate"], new StringWriter(), stderr);
        Assert.That(code, Is.EqualTo(TriggerCli.ExitUsage));
        Assert.That(stderr.ToString(), Does.Contain("unknown command"));
    }

    [Test]
    public async Task Push_ToUsers_PrintsSessionsAndDropped_AndSendsTheJsonAsMessagePack()
    {
        using var broker = new FakeControlEndpoint { Respond = _ => FakeControlEndpoint.Result(2, 0) };
        var (code, stdout, stderr) = await Run("push", "--user", "42", "43", "--exclude", "44", "--cmd", "7", "--json", """{"text": "hi", "n": 3}""", "--broker", broker.Endpoint);

        Assert.That(code, Is.EqualTo(TriggerCli.ExitOk), stderr);
        Assert.That(stdout.Trim(), Is.EqualTo("pushed cmd 7 to 2 sessions (0 dropped)"));
        var request = await broker.NextRequestAsync();
        Assert.That(request.Command, Is.EqualTo("push"));
        Assert.That(request.Args.Users, Is.EqualTo(new[] { "42", "43" }));
        Assert.That(request.Args.Exclude, Is.EqualTo(new[] { "44" }));
        Assert.That(request.Args.Command, Is.EqualTo(7));
        Assert.That(MessagePack.MessagePackSerializer.ConvertToJson(request.Arguments[1]), Is.EqualTo("""{"text":"hi","n":3}"""));
    }

    [Test]
    public async Task Push_RawHexToSessionsAndGroups_SendsTheBytesAsIs()
    {
        using var broker = new FakeControlEndpoint { Respond = _ => FakeControlEndpoint.Result(1, 1) };
        var (code, stdout, _) = await Run("push", "--session", "5", "--session", "6", "--group", "lobby", "--cmd", "-2", "--raw-hex", "c0ff", "--broker", broker.Endpoint);

        Assert.That(code, Is.EqualTo(TriggerCli.ExitOk));
        Assert.That(stdout.Trim(), Is.EqualTo("pushed cmd -2 to 1 session (1 dropped)"));
        var request = await broker.NextRequestAsync();
        Assert.That(request.Args.Sessions, Is.EqualTo(new ulong[] { 5, 6 }));
        Assert.That(request.Args.Groups, Is.EqualTo(new[] { "lobby" }));
        Assert.That(request.Arguments[1], Is.EqualTo(new byte[] { 0xc0, 0xff }));
    }

    [Test]
    public async Task Broadcast_LoggedIn_TargetsEveryLoggedInSessionExceptTheExcluded()
    {
        using var broker = new FakeControlEndpoint { Respond = _ => FakeControlEndpoint.Result(30, 0) };
        var (code, stdout, _) = await Run("broadcast", "--cmd", "9", "--json", "\"hello\"", "--logged-in", "--exclude", "1", "--broker", broker.Endpoint);

        Assert.That(code, Is.EqualTo(TriggerCli.ExitOk));
        Assert.That(stdout.Trim(), Is.EqualTo("pushed cmd 9 to 30 sessions (0 dropped)"));
        var args = (await broker.NextRequestAsync()).Args;
        Assert.That((args.All, args.LoggedIn), Is.EqualTo((true, true)));
        Assert.That(args.Exclude, Is.EqualTo(new[] { "1" }));
    }

    [Test]
    public async Task Kick_PrintsHowManySessionsWereKicked()
    {
        using var broker = new FakeControlEndpoint { Respond = _ => FakeControlEndpoint.Result(1, 0) };
        var (code, stdout, _) = await Run("kick", "--user", "42", "--reason", "cheating", "--broker", broker.Endpoint);

        Assert.That(code, Is.EqualTo(TriggerCli.ExitOk));
        Assert.That(stdout.Trim(), Is.EqualTo("kicked 1 session"));
        var request = await broker.NextRequestAsync();
        Assert.That((request.Command, request.Args.Reason), Is.EqualTo(("kick", "cheating")));
    }

    [TestCase("join", "2 sessions joined group guild:7")]
    [TestCase("leave", "2 sessions left group guild:7")]
    public async Task Group_JoinOrLeave_SendsTheGroupAndPrintsTheCount(string action, string expected)
    {
        using var broker = new FakeControlEndpoint { Respond = _ => FakeControlEndpoint.Result(2, 0) };
        var (code, stdout, _) = await Run("group", action, "--group", "guild:7", "--session", "11", "12", "--broker", broker.Endpoint);

        Assert.That(code, Is.EqualTo(TriggerCli.ExitOk));
        Assert.That(stdout.Trim(), Is.EqualTo(expected));
        var request = await broker.NextRequestAsync();
        Assert.That((request.Command, request.Args.Group), Is.EqualTo((action, "guild:7")));
        Assert.That(request.Args.Sessions, Is.EqualTo(new ulong[] { 11, 12 }));
    }

    [Test]
    public async Task Worker_SendsTheEventToTheService()
    {
        using var broker = new FakeControlEndpoint();
        var (code, stdout, _) = await Run("worker", "--service", "game", "--cmd", "30", "--json", "{}", "--broker", broker.Endpoint);

        Assert.That(code, Is.EqualTo(TriggerCli.ExitOk));
        Assert.That(stdout.Trim(), Is.EqualTo("sent to a worker of service game"));
        var request = await broker.NextRequestAsync();
        Assert.That((request.Command, request.Args.Service, request.Args.Command), Is.EqualTo(("worker", "game", 30)));
    }

    [Test]
    public async Task Worker_NoWorkerOfTheServiceIsRegistered_SaysSoAndFails()
    {
        using var broker = new FakeControlEndpoint
        {
            Respond = _ => MessagePackSerializer.Serialize(new Dictionary<string, object> { ["sessions"] = 1, ["dropped"] = 0, ["workers"] = 0 }),
        };
        var (code, stdout, stderr) = await Run("worker", "--service", "nosuch", "--cmd", "30", "--json", "{}", "--broker", broker.Endpoint);

        Assert.That(code, Is.EqualTo(TriggerCli.ExitFailed));
        Assert.That(stdout, Is.Empty);
        Assert.That(stderr.Trim(), Is.EqualTo("error: no worker of service 'nosuch' is registered: the event waits for one"));
    }

    [Test]
    public async Task Worker_AWorkerOfTheServiceIsRegistered_SaysSent()
    {
        using var broker = new FakeControlEndpoint
        {
            Respond = _ => MessagePackSerializer.Serialize(new Dictionary<string, object> { ["sessions"] = 1, ["dropped"] = 0, ["workers"] = 2 }),
        };
        var (code, stdout, _) = await Run("worker", "--service", "game", "--cmd", "30", "--json", "{}", "--broker", broker.Endpoint);

        Assert.That(code, Is.EqualTo(TriggerCli.ExitOk));
        Assert.That(stdout.Trim(), Is.EqualTo("sent to a worker of service game"));
    }

    [Test]
    public async Task Stats_PrintsNumericTopLevelEntriesSuchAsSessions()
    {
        using var broker = new FakeControlEndpoint { Respond = _ => TriggerClientTests.StatsMap() };
        var (code, stdout, _) = await Run("stats", "--json", "--broker", broker.Endpoint);

        Assert.That(code, Is.EqualTo(TriggerCli.ExitOk));
        using var json = JsonDocument.Parse(stdout);
        Assert.That(json.RootElement.GetProperty("sessions").GetInt64(), Is.EqualTo(120));
        Assert.That(json.RootElement.GetProperty("groups").GetInt64(), Is.EqualTo(7));
    }

    [Test]
    public async Task BrokerError_ExitsFour_WithTheBrokersText()
    {
        using var broker = new FakeControlEndpoint { Respond = _ => FakeControlEndpoint.Error("not authorised") };
        var (code, _, stderr) = await Run("kick", "--all", "--reason", "maintenance", "--broker", broker.Endpoint);

        Assert.That(code, Is.EqualTo(TriggerCli.ExitFailed));
        Assert.That(stderr, Does.Contain("not authorised"));
    }

    [Test]
    public async Task Push_NoBroker_ExitsThreeWithinTheTimeout()
    {
        var clock = Stopwatch.StartNew();
        var (code, _, stderr) = await Run("push", "--all", "--cmd", "1", "--json", "1", "--broker", "tcp://127.0.0.1:" + FreePort(), "--timeout", "300ms");

        Assert.That(code, Is.EqualTo(TriggerCli.ExitNoBroker));
        Assert.That(stderr, Does.Contain("no answer from tcp://127.0.0.1:").And.Contain("within 0.3 s: is the broker running, and is this its control endpoint?"));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), "never a hang");
    }

    [TestCase(new[] { "push", "--cmd", "1", "--json", "{}" }, "name whom")]
    [TestCase(new[] { "push", "--all", "--json", "{}" }, "needs --cmd")]
    [TestCase(new[] { "push", "--all", "--cmd", "x", "--json", "{}" }, "32-bit integer")]
    [TestCase(new[] { "push", "--all", "--cmd", "1" }, "--json")]
    [TestCase(new[] { "push", "--all", "--cmd", "1", "--json", "{nope" }, "invalid JSON")]
    [TestCase(new[] { "push", "--all", "--cmd", "1", "--json", "{" }, "invalid JSON")]
    [TestCase(new[] { "push", "--all", "--cmd", "1", "--json", "{\"Text\": \"hi\"" }, "invalid JSON")]
    [TestCase(new[] { "push", "--all", "--cmd", "1", "--raw-hex", "abc" }, "hex digits")]
    [TestCase(new[] { "push", "--session", "0", "--cmd", "1", "--json", "{}" }, "session ids")]
    [TestCase(new[] { "push", "--user", "--cmd", "1", "--json", "{}" }, "at least one value")]
    [TestCase(new[] { "kick", "--all" }, "needs --reason")]
    [TestCase(new[] { "kick", "--all", "--reason", "x", "--cmd", "1" }, "does not take --cmd")]
    [TestCase(new[] { "group", "join", "--user", "1" }, "needs --group")]
    [TestCase(new[] { "group", "--group", "g" }, "'group' takes 'join' or 'leave'")]
    [TestCase(new[] { "worker", "--cmd", "1", "--json", "{}" }, "needs --service")]
    [TestCase(new[] { "stats", "--timeout", "0" }, "--timeout")]
    [TestCase(new[] { "stats", "--server-key", "abc" }, "both keys")]
    [TestCase(new[] { "stats", "--timeout", "5" }, "--timeout takes a duration")]
    [TestCase(new[] { "stats", "--timeout", "2x" }, "'2x'")]
    [TestCase(new[] { "stats", "--frobnicate" }, "unknown option --frobnicate")]
    [TestCase(new[] { "stats", "stray" }, "unexpected argument 'stray'")]
    [TestCase(new[] { "stats", "--supervisor", "tcp://127.0.0.1:1" }, "'stats' does not take --supervisor")]
    [TestCase(new[] { "workers", "reload" }, "needs --supervisor")]
    public async Task BadCommandLines_ExitTwo_WithOneLineNamingWhatIsWrong(string[] args, string message)
    {
        var (code, stdout, stderr) = await Run([.. args, "--broker", "tcp://127.0.0.1:" + FreePort()]);

        Assert.That(code, Is.EqualTo(TriggerCli.ExitUsage), stdout + stderr);
        Assert.That(stderr, Does.StartWith("error: ").And.Contain(message).And.Contain("trigger --help"));
        Assert.That(stderr.TrimEnd().Split('\n'), Has.Length.EqualTo(1), stderr);
    }

    [TestCase("--help")]
    [TestCase("-h")]
    [TestCase("help")]
    [TestCase("stats", "--help")]
    [TestCase("push", "--all", "-h")]
    [TestCase("push", "--user", "1", "--help")]
    [TestCase("group", "--help")]
    [TestCase("group", "join", "--help")]
    [TestCase("workers", "reload", "--help")]
    [TestCase("kick", "--frobnicate", "--help")]
    public async Task Help_OnTheProgramAndEachCommand_PrintsUsage_AndExitsZero(params string[] args)
    {
        var (code, stdout, stderr) = await Run(args);

        Assert.That(code, Is.EqualTo(TriggerCli.ExitOk), stderr);
        Assert.That(stdout, Does.Contain("usage: trigger"));
        Assert.That(stderr, Is.Empty);
    }

    [TestCase("usage: trigger push TARGET", "push", "--help")]
    [TestCase("usage: trigger broadcast --cmd N", "broadcast", "-h")]
    [TestCase("usage: trigger kick TARGET --reason TEXT", "kick", "--user", "bob", "--help")]
    [TestCase("usage: trigger group join|leave", "group", "leave", "--help")]
    [TestCase("usage: trigger worker --service S", "worker", "--help")]
    [TestCase("usage: trigger stats [--json [--pretty]] [options]", "stats", "--help")]
    [TestCase("usage: trigger keygen", "keygen", "--help")]
    [TestCase("usage: trigger workers status [--json [--pretty]] [options]", "workers", "status", "--help")]
    [TestCase("usage: trigger top [--interval T] [--count N] [options]", "top", "--help")]
    [TestCase("trigger workers reload --supervisor EP", "workers", "reload", "--help")]
    public async Task CommandHelp_PrintsThatCommandsUsageWithAnExample_AndSendsNothing(string synopsis, params string[] args)
    {
        using var endpoint = new FakeControlEndpoint();

        var (code, stdout, stderr) = await Run([.. args, "--broker", endpoint.Endpoint, "--supervisor", endpoint.Endpoint]);

        Assert.That(code, Is.EqualTo(TriggerCli.ExitOk), stderr);
        Assert.That(stdout, Does.StartWith("usage: trigger ").And.Contain(synopsis).And.Contain("example: trigger ").And.Contain("exit codes:"));
        Assert.That(stdout, Does.Not.Contain("commands (broker):"), "that command's usage, not the whole program's");
        Assert.That(stderr, Is.Empty);
        Assert.That(endpoint.NoMoreRequests, Is.True, "help sends nothing");
    }

    [TestCase("--broker", "tcp//127.0.0.1:5557", "is not an endpoint")]
    [TestCase("--broker", "udp://127.0.0.1:5557", "udp://")]
    [TestCase("--broker", "tcp://*:5557", "no host")]
    [TestCase("--broker", "tcp://127.0.0.1:99999", "port")]
    [TestCase("--supervisor", "tcp//127.0.0.1:5558", "is not an endpoint")]
    public async Task MalformedEndpoint_ExitsTwo_WithOneLineNamingTheOption(string option, string endpoint, string message)
    {
        string[] args = option == "--supervisor" ? ["workers", "status", option, endpoint] : ["stats", option, endpoint];

        var (code, stdout, stderr) = await Run(args);

        Assert.That(code, Is.EqualTo(TriggerCli.ExitUsage), stdout + stderr);
        Assert.That(stderr, Does.StartWith($"error: {option}: '{endpoint}' ").And.Contain(message));
        Assert.That(stderr.TrimEnd().Split('\n'), Has.Length.EqualTo(1), stderr);
    }

    [Test]
    public async Task Timeout_TakesEveryDurationSyntax()
    {
        foreach (var timeout in new[] { "300ms", "1s", "00:00:00.3" })
        {
            var (code, _, stderr) = await Run("stats", "--broker", "tcp://127.0.0.1:" + FreePort(), "--timeout", timeout);
            Assert.That(code, Is.EqualTo(TriggerCli.ExitNoBroker), timeout + ": " + stderr);
        }
    }

    [Test]
    public async Task BadServerKey_ExitsTwo()
    {
        var keys = new NetMQCertificate();
        var (code, _, stderr) = await Run("stats", "--server-key", "not-a-key", "--secret-key", keys.SecretKeyZ85!, "--broker", "tcp://127.0.0.1:" + FreePort());

        Assert.That(code, Is.EqualTo(TriggerCli.ExitUsage));
        Assert.That(stderr, Does.Contain("40 Z85 characters"));
    }

    [Test]
    public async Task Keys_FromTheEnvironment_MakeTheCliProveItsKey()
    {
        var server = new NetMQCertificate();
        var triggerKeys = new NetMQCertificate();
        using var broker = new FakeControlEndpoint(server) { Respond = r => r.Command == "auth" ? FakeControlEndpoint.Ok() : FakeControlEndpoint.Result(1, 0) };
        var environment = new Dictionary<string, string?>
        {
            [TriggerCli.ServerKeyVariable] = server.PublicKeyZ85,
            [TriggerCli.SecretKeyVariable] = triggerKeys.SecretKeyZ85,
        };
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var code = await TriggerCli.RunAsync(["kick", "--session", "3", "--reason", "r", "--broker", broker.Endpoint], stdout, stderr, name => environment.GetValueOrDefault(name));

        Assert.That(code, Is.EqualTo(TriggerCli.ExitOk), stderr.ToString());
        var auth = await broker.NextRequestAsync();
        Assert.That(auth.Command, Is.EqualTo("auth"));
        Assert.That(ZmqGame.Protocol.TriggerAuth.TryOpen(auth.Arguments[0], server.SecretKey, out var publicKey, out _), Is.True);
        Assert.That(publicKey, Is.EqualTo(triggerKeys.PublicKey));
        Assert.That((await broker.NextRequestAsync()).Command, Is.EqualTo("kick"));
    }

    [Test]
    public async Task Keygen_PrintsAZ85KeyPairThatBelongsTogether()
    {
        var (code, stdout, _) = await Run("keygen");

        Assert.That(code, Is.EqualTo(TriggerCli.ExitOk));
        var lines = stdout.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(2));
        Assert.That(lines[0], Does.Match("^public: .{40}$"));
        Assert.That(lines[1], Does.Match("^secret: .{40}$"));
        var fromSecret = NetMQCertificate.CreateFromSecretKey(lines[1]["secret: ".Length..]);
        Assert.That(fromSecret.PublicKeyZ85, Is.EqualTo(lines[0]["public: ".Length..]));
    }

    [Test]
    [Platform(Exclude = "Win")]
    public async Task TheTriggerExecutable_RunsWithoutStdin_AndExitsWithTheDocumentedCodes()
    {
        using var keygen = ProcessUnderTest.Start("ZmqGame.Trigger.Cli", "keygen");
        Assert.That(await keygen.WaitForExitAsync(TimeSpan.FromSeconds(30)), Is.Zero, keygen.Output);
        Assert.That(keygen.Output, Does.Contain("public: ").And.Contain("secret: "));

        using var usage = ProcessUnderTest.Start("ZmqGame.Trigger.Cli", "push", "--all");
        Assert.That(await usage.WaitForExitAsync(TimeSpan.FromSeconds(30)), Is.EqualTo(TriggerCli.ExitUsage), usage.Output);

        using var noBroker = ProcessUnderTest.Start("ZmqGame.Trigger.Cli", "stats", "--broker", "tcp://127.0.0.1:" + FreePort(), "--timeout", "300ms");
        Assert.That(await noBroker.WaitForExitAsync(TimeSpan.FromSeconds(30)), Is.EqualTo(TriggerCli.ExitNoBroker), noBroker.Output);
    }

    private static async Task<(int Code, string Stdout, string Stderr)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await TriggerCli.RunAsync(args, stdout, stderr, _ => null);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
