using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
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

        var code = await TriggerCli.RunAsync(["stats", "--broker", broker.Control], stdout, stderr);

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

        var code = await TriggerCli.RunAsync(["stats", "--broker", "tcp://127.0.0.1:" + FreePort(), "--timeout", "0.5"], stdout, stderr);

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
        var lines = stdout.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
