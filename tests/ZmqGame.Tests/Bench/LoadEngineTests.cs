using MessagePack;
using ZmqGame.Client.Cli;
using ZmqGame.Client.Cli.Load;
using ZmqGame.Protocol;
using ZmqGame.Tests.Support;
using ZmqGame.Tests.WorkerTests;
using ZmqGame.Worker;
using ZmqGame.Worker.Host;

namespace ZmqGame.Tests.Bench;

/// <summary>
/// The load engine behind `client load` and `ZmqGame.Bench load`, against an in-process broker and worker: every
/// request sent is accounted for exactly once, and errors are classified by status. No timing assertions.
/// </summary>
[TestFixture]
public sealed class LoadEngineTests
{
    private BrokerFixture _broker = null!;
    private WorkerApp _worker = null!;

    [SetUp]
    public async Task SetUp()
    {
        _broker = new BrokerFixture();
        _worker = await InProcessWorker.StartAsync(_broker, 2, SampleServices.Game, app => SampleServices.MapGame(app, TimeProvider.System));
    }

    [TearDown]
    public async Task TearDown()
    {
        await _worker.DisposeAsync();
        _broker.Dispose();
    }

    private LoadOptions Options(long requests, int clients = 3, int depth = 4) => new()
    {
        Broker = _broker.Frontend,
        Clients = clients,
        Depth = depth,
        Requests = requests,
        Timeout = TimeSpan.FromSeconds(5),
    };

    [Test]
    public async Task FixedCount_EchoRoute_EveryRequestAnsweredOkAndTimed()
    {
        var result = await new LoadEngine(Options(requests: 300)).RunAsync();

        Assert.That(result.Sent, Is.EqualTo(300));
        Assert.That(result.Ok, Is.EqualTo(300));
        Assert.That(result.Errors, Is.Zero);
        Assert.That(result.Mismatched, Is.Zero);
        Assert.That(result.Unanswered, Is.Zero);
        Assert.That(result.WindowOk, Is.EqualTo(300), "a fixed-count run counts every reply");
        Assert.That(result.Latency.TotalCount, Is.EqualTo(300), "one latency sample per ok reply");
        Assert.That(result.PayloadSize, Is.EqualTo(64));
    }

    [Test]
    public async Task ServiceWithoutWorker_EveryRequestEndsAsTimeout()
    {
        var options = Options(requests: 12, clients: 2, depth: 3);
        options.Services = ["nobody"];
        options.Timeout = TimeSpan.FromMilliseconds(200);

        var result = await new LoadEngine(options).RunAsync();

        Assert.That(result.Sent, Is.EqualTo(12));
        Assert.That(result.ByStatus[(byte)Status.Timeout], Is.EqualTo(12));
        Assert.That(result.Ok, Is.Zero);
        Assert.That(result.Unanswered, Is.Zero);
        Assert.That(result.Latency.TotalCount, Is.Zero, "errors are not latency samples");
        Assert.That(result.StatusCounts(), Is.EqualTo(new[] { ("timeout", 12L) }));
    }

    [Test]
    public async Task MixedServicesAndRoutes_EachRequestInExactlyOneBucket()
    {
        // Client 0 calls game (echo route), client 1 a service with no worker.
        var options = Options(requests: 40, clients: 2, depth: 2);
        options.Services = [SampleServices.Game, "nobody"];
        options.Timeout = TimeSpan.FromMilliseconds(200);

        var result = await new LoadEngine(options).RunAsync();

        var statuses = result.ByStatus.Sum();
        Assert.That(result.Sent, Is.EqualTo(40));
        Assert.That(result.Ok + result.Mismatched + statuses + result.ClientErrors + result.Unanswered, Is.EqualTo(result.Sent));
        Assert.That(result.Ok, Is.Positive);
        Assert.That(result.ByStatus[(byte)Status.Timeout], Is.Positive);
        Assert.That(result.Errors, Is.EqualTo(statuses));
    }

    [Test]
    public async Task UnknownCommand_CountedAsNoSuchRoute()
    {
        var options = Options(requests: 10, clients: 1, depth: 2);
        options.Command = 4242;

        var result = await new LoadEngine(options).RunAsync();

        Assert.That(result.ByStatus[(byte)Status.NoSuchRoute], Is.EqualTo(10));
        Assert.That(result.Sent, Is.EqualTo(10));
    }

    [Test]
    public async Task RouteThatAnswersSomethingElse_CountedAsMismatched()
    {
        // Ping answers a PongReply, never the bytes sent: with verification on, ok statuses with other payloads
        // are mismatches, not successes. (Ping cannot read a bin payload either: that is "bad request"/"handler failed".)
        var options = Options(requests: 10, clients: 1, depth: 1);
        options.Command = GameCommands.Ping;

        var result = await new LoadEngine(options).RunAsync();

        Assert.That(result.Ok, Is.Zero);
        Assert.That(result.Mismatched + result.ByStatus.Sum(), Is.EqualTo(10));
    }

    [Test]
    public async Task TimedRun_EveryRequestAccountedFor()
    {
        var options = Options(requests: 0, clients: 2, depth: 2);
        options.Warmup = TimeSpan.Zero;
        options.Duration = TimeSpan.FromMilliseconds(300);
        options.BrokerPid = Environment.ProcessId; // the in-process broker: its CPU is this process's

        var result = await new LoadEngine(options).RunAsync();

        Assert.That(result.Sent, Is.Positive);
        Assert.That(result.Ok, Is.EqualTo(result.Sent));
        Assert.That(result.Unanswered, Is.Zero);
        Assert.That(result.WindowOk, Is.LessThanOrEqualTo(result.Ok));
        Assert.That(result.Latency.TotalCount, Is.EqualTo(result.WindowOk));
        if (OperatingSystem.IsLinux())
        {
            Assert.That(result.Broker, Is.Not.Null, "CPU is read from /proc/PID/stat");
        }
    }

    [Test]
    public async Task ClientLoadCommand_KeyValueLine_ReportsTheCounts()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var code = await CliApp.RunAsync(
            ["load", "--broker", _broker.Frontend, "-c", "2", "-d", "2", "-n", "50", "--format", "kv"], stdout, stderr);

        Assert.That(code, Is.EqualTo(CliApp.ExitOk), stderr.ToString());
        var kv = stdout.ToString().Trim().Split(' ').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        Assert.That(kv["sent"], Is.EqualTo("50"));
        Assert.That(kv["ok"], Is.EqualTo("50"));
        Assert.That(kv["errors"], Is.EqualTo("0"));
        Assert.That(kv["unanswered"], Is.EqualTo("0"));
        Assert.That(kv, Does.ContainKey("p999_us").And.ContainKey("srv_cpu_per_1m").And.ContainKey("err_timeout"));
    }
}

/// <summary>Pieces of the load tool that need no broker.</summary>
[TestFixture]
public sealed class LoadToolUnitTests
{
    [TestCase(2)]
    [TestCase(16)]
    [TestCase(64)]
    [TestCase(257)]
    [TestCase(259)]
    [TestCase(70_000)]
    public void EchoPayload_IsCanonicalMessagePackBin_OfTheAskedSize(int size)
    {
        var payload = EchoPayload.Create(size, lane: 3);
        EchoPayload.Stamp(payload, 3, 12345);

        Assert.That(payload, Has.Length.EqualTo(size));
        var roundTrip = MessagePackSerializer.Serialize(MessagePackSerializer.Deserialize<byte[]>(payload));
        Assert.That(roundTrip, Is.EqualTo(payload), "the worker's echo must serialize back to the same bytes");
    }

    [Test]
    public void EchoPayload_SizeBinFramingCannotHit_RoundsDown()
    {
        var payload = EchoPayload.Create(258, lane: 0);

        Assert.That(payload, Has.Length.EqualTo(257));
        Assert.That(MessagePackSerializer.Serialize(MessagePackSerializer.Deserialize<byte[]>(payload)), Is.EqualTo(payload));
    }

    [Test]
    public void ProcStat_ParsesUtimeAndStime_EvenWithSpacesInTheCommand()
    {
        const string line = "4242 (dotnet (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 12 0 100 0 0";

        var cpu = ProcStat.ParseProcessStat(line);

        Assert.That(cpu, Is.EqualTo(new CpuTime(2.5, 0.75)));
    }

    [TestCase("-c", "0")]
    [TestCase("--size", "1")]
    [TestCase("--format", "xml")]
    [TestCase("--service", "mmi.service")]
    [TestCase("--bogus", "1")]
    public async Task ClientLoadCommand_BadOption_ExitsWithUsage(string option, string value)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var code = await CliApp.RunAsync(["load", option, value], stdout, stderr);

        Assert.That(code, Is.EqualTo(CliApp.ExitUsage));
        Assert.That(stderr.ToString(), Does.StartWith("error: "));
    }
}
