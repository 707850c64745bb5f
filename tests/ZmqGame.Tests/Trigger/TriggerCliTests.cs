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
        Assert.That(stderr.ToString(), Does.Contain("no answer from a broker"));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), "never a hang");
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
