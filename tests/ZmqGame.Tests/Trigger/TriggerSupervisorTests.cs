using System.Net;
using System.Net.Sockets;
using ZmqGame.Tests.Support;
using ZmqGame.Trigger;

namespace ZmqGame.Tests.Trigger;

/// <summary>`trigger workers status|reload --supervisor` against a real supervisor process.</summary>
[TestFixture]
[Platform(Exclude = "Win")]
[NonParallelizable]
public sealed class TriggerSupervisorTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Test]
    public async Task WorkersReload_ThroughTheSupervisorsAdminEndpoint_ReplacesTheWorkerProcess()
    {
        using var broker = new BrokerFixture(o => o.HeartbeatInterval = TimeSpan.FromMilliseconds(2500));
        using var supervisor = ProcessUnderTest.Start(
            "ZmqGame.Worker.Host", "--processes", "1", "--slots", "1", "--service", "game",
            "--broker", broker.Backend, "--control", broker.Control, "--admin", "tcp://127.0.0.1:0");
        var admin = (await supervisor.WaitForLineAsync(@"admin endpoint listening on (\S+)", Patience)).Groups[1].Value;
        await broker.WaitForIdleWorkers("game", 1);

        var status = new StringWriter();
        Assert.That(await TriggerCli.RunAsync(["workers", "status", "--supervisor", admin, "--json"], status, new StringWriter()), Is.EqualTo(TriggerCli.ExitOk));
        Assert.That(status.ToString(), Does.Contain("\"processes\"").And.Contain("\"ready\":true"));

        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await TriggerCli.RunAsync(["workers", "reload", "--supervisor", admin, "--timeout", "60s"], stdout, stderr);

        Assert.That(code, Is.EqualTo(TriggerCli.ExitOk), stderr + supervisor.Output);
        Assert.That(stdout.ToString(), Does.Contain("reload complete"));
        Assert.That(broker.Stats.WorkersRegistered, Is.EqualTo(2), "the new worker process registered");
        await broker.WaitForIdleWorkers("game", 1);
        supervisor.Terminate();
        Assert.That(await supervisor.WaitForExitAsync(Patience), Is.Zero, supervisor.Output);
    }

    [Test]
    public async Task WorkersReload_NoSupervisor_FailsWithinSeconds()
    {
        var stderr = new StringWriter();
        var code = await TriggerCli.RunAsync(["workers", "reload", "--supervisor", "tcp://127.0.0.1:" + FreePort(), "--timeout", "500ms"], new StringWriter(), stderr);

        Assert.That(code, Is.EqualTo(TriggerCli.ExitNoBroker));
        Assert.That(stderr.ToString(), Does.Contain("no answer from a supervisor"));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
