using ZmqGame.Tests.Broker;
using ZmqGame.Tests.Support;

namespace ZmqGame.Tests.EndToEnd;

/// <summary>A worker app without an nlog.config beside it logs to the console with the built-in configuration.</summary>
[TestFixture]
public sealed class WorkerDefaultLoggingTests
{
    [Test]
    [Platform(Exclude = "Win")]
    public async Task WorkerApp_WithoutNlogConfig_LogsToTheConsole_InTheHostFormat()
    {
        var source = Path.GetDirectoryName(Executables.Dll("ZmqGame.Worker.Host"))!;
        var copy = Directory.CreateTempSubdirectory("zmqgame-worker-nolog-");
        try
        {
            foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
            {
                var target = Path.Combine(copy.FullName, Path.GetRelativePath(source, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                if (!Path.GetFileName(file).Equals("nlog.config", StringComparison.OrdinalIgnoreCase))
                {
                    File.Copy(file, target);
                }
            }

            using var broker = ProcessUnderTest.Start("ZmqGame.Broker", "tcp://127.0.0.1:0", "tcp://127.0.0.1:0", "--control", "tcp://127.0.0.1:0");
            var backend = (await broker.WaitForLineAsync(BrokerProcessTests.ListeningLine)).Groups[2].Value.TrimEnd(',');
            using var worker = ProcessUnderTest.StartDll(Path.Combine(copy.FullName, "ZmqGame.Worker.Host.dll"), "--broker", backend, "--slots", "1", "--service", "echo");

            var ready = await worker.WaitForLineAsync(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3} INFO  \S+ \[\d+\] Slot 0 of service 'echo' READY");
            Assert.That(ready.Success, Is.True);
            worker.Terminate();
            Assert.That(await worker.WaitForExitAsync(), Is.Zero, worker.Output);
            broker.Terminate();
            Assert.That(await broker.WaitForExitAsync(), Is.Zero, broker.Output);
        }
        finally
        {
            copy.Delete(recursive: true);
        }
    }
}
