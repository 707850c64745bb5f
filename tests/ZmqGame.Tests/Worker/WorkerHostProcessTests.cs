using System.Diagnostics;
using NetMQ;
using NetMQ.Sockets;
using ZmqGame.Protocol;
using ZmqGame.Tests.Support;
using ZmqGame.Worker.Host;
using static ZmqGame.Tests.Support.Raw;

namespace ZmqGame.Tests.WorkerTests;

/// <summary>The real worker executable against the in-process broker: readiness, SIGTERM mid-request, exit code.</summary>
[TestFixture]
[Platform(Exclude = "Win")]
public sealed class WorkerHostProcessTests
{
    private static async Task SigTermAsync(int pid)
    {
        using var kill = Process.Start("kill", ["-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
        Assert.That(kill.ExitCode, Is.Zero, "kill -TERM");
    }

    [Test]
    public async Task Host_SigtermMidRequest_RepliesThenExitsZero()
    {
        using var broker = new BrokerFixture();
        var dll = Path.Combine(AppContext.BaseDirectory, "ZmqGame.Worker.Host.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { dll, "--broker", broker.Backend, "--slots", "1", "--service", "game" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await broker.Server.WaitForIdleWorkersAsync(SampleServices.Game, 1).WaitAsync(TimeSpan.FromSeconds(20));
            using var client = new DealerSocket(broker.Frontend);
            Send(client, [], B("ZGC01"), [0x01], B(SampleServices.Game), new RequestHeader(1, GameCommands.Sleep, 0).ToArray(), Payload.Serialize(new SleepRequest(500)));
            await Eventually.True(() => Interlocked.Read(ref broker.Stats.Dispatched) == 1, "the worker holds the request");

            await SigTermAsync(process.Id);

            var frames = new List<byte[]>();
            Assert.That(client.TryReceiveMultipartBytes(Wait, ref frames), Is.True, "reply before the worker exits");
            Assert.That(ReplyHeader.TryRead(frames[3], out var header), Is.True);
            Assert.That(header.Status, Is.EqualTo(Status.Ok));
            await process.WaitForExitAsync().WaitAsync(Wait);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }

        var output = await stdout + await stderr;
        Assert.That(process.ExitCode, Is.Zero, output);
        Assert.That(output, Does.Contain("Slot 0 of service 'game' READY"));
        Assert.That(output, Does.Contain("Worker stopped: 1 replies sent"));
    }
}
