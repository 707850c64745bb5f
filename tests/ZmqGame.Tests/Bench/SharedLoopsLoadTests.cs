using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ZmqGame.Client.Cli.Load;
using ZmqGame.Tests.Support;
using ZmqGame.Tests.WorkerTests;
using ZmqGame.Worker;
using ZmqGame.Worker.Host;

namespace ZmqGame.Tests.Bench;

/// <summary>
/// What bench/run-fullstack.sh relies on for its many-clients load: <c>load --shared-loops</c> (every request of many
/// clients on the shared loops accounted for), and bench/ports.sh's free_port (ports outside the kernel's ephemeral
/// range, free, never handed out twice).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class SharedLoopsLoadTests
{
    private static readonly string Root = typeof(SharedLoopsLoadTests).Assembly
        .GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
        .Cast<System.Reflection.AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepositoryRoot").Value!;

    /// <summary>Own transport only: on NetMQ each of the 150 clients keeps its own loop, more sockets than NetMQ opens by default.</summary>
    [Test]
    [Category(Categories.OwnTransport)]
    public async Task Load_SharedLoops_ManyClientsOneRequestEach_EveryRequestAnsweredOk()
    {
        using var broker = new BrokerFixture();
        await using var worker = await InProcessWorker.StartAsync(broker, 2, SampleServices.Game, app => SampleServices.MapGame(app, TimeProvider.System));

        var (options, _) = LoadCommand.Parse(["--broker", broker.Frontend, "-c", "150", "-d", "1", "-n", "600", "--shared-loops", "--connect-timeout", "30s"]);
        Assert.That(options.SharedLoops, Is.True);

        var result = await new LoadEngine(options).RunAsync();

        Assert.That((result.Sent, result.Ok, result.Errors, result.Mismatched, result.Unanswered), Is.EqualTo((600L, 600L, 0L, 0L, 0L)),
            "sent, ok, errors, mismatched, unanswered");
    }

    [Test]
    public async Task FreePort_OutsideTheEphemeralRange_FreeAndNeverTwice()
    {
        var range = (await File.ReadAllTextAsync("/proc/sys/net/ipv4/ip_local_port_range")).Split((char[])[' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries);
        var (low, high) = (int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(range[1], System.Globalization.CultureInfo.InvariantCulture));
        if (low <= 12000 && high >= 63000)
        {
            Assert.Ignore($"the ephemeral range {low}-{high} leaves no room: free_port falls back to the kernel's choice");
        }

        var output = await BashAsync(". bench/ports.sh; for i in $(seq 40); do free_port || exit 1; done");
        var ports = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(p => int.Parse(p, System.Globalization.CultureInfo.InvariantCulture)).ToList();

        Assert.That(ports, Has.Count.EqualTo(40));
        Assert.That(ports, Is.Unique, "never the same port twice in one script");
        Assert.That(ports, Has.None.InRange(low, high), $"outside the ephemeral range {low}-{high}");
        foreach (var port in ports)
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            Assert.DoesNotThrow(listener.Start, $"port {port} is free");
            listener.Stop();
        }
    }

    private static async Task<string> BashAsync(string script)
    {
        var info = new ProcessStartInfo("bash", ["-c", script]) { WorkingDirectory = Root, RedirectStandardOutput = true, RedirectStandardError = true };
        using var bash = Process.Start(info)!;
        var stdout = bash.StandardOutput.ReadToEndAsync();
        var stderr = bash.StandardError.ReadToEndAsync();
        await bash.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(bash.ExitCode, Is.Zero, await stderr);
        return await stdout;
    }
}
