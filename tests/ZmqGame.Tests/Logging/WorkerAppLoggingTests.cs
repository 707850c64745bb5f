using System.Text.Json.Nodes;
using ZmqGame.Tests.Support;

namespace ZmqGame.Tests.Logging;

/// <summary>
/// A worker app logs to the console in the one format with no file of its own (a copy of the worker host's build
/// without its nlog.config, as a game project built from the README has none); the Logging section of its
/// appsettings.json changes the levels; an nlog.config beside it replaces the output.
/// </summary>
[TestFixture]
[Platform(Exclude = "Win")]
public sealed class WorkerAppLoggingTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Test]
    public async Task WorkerApp_WithoutNlogConfig_LogsInformationToTheConsole_InTheOneFormat()
    {
        var output = await RunWorkerAsync(build => { });

        Assert.That(output, Has.Some.Matches(LogLines.Stamp + @" INFO  ZmqGame\.Worker \[1001\] Slot 0 of service 'echo' READY at "));
        LogLines.AssertEveryLine(output, "worker app", LogLines.Text);
        Assert.That(output, Has.None.Contains(" DEBUG "), "Information and above by default");
    }

    [Test]
    public async Task WorkerApp_LoggingSectionOfAppsettings_SetsTheLevels()
    {
        var output = await RunWorkerAsync(build => SetInAppsettings(build, "Logging", "LogLevel", "ZmqGame.Worker", "Debug"));

        Assert.That(output, Has.Some.Matches(LogLines.Stamp + @" DEBUG ZmqGame\.Worker \[1005\] Slot 0 of service 'echo': drained"));
        LogLines.AssertEveryLine(output, "worker app", LogLines.Text);
    }

    [Test]
    public async Task WorkerApp_NlogConfigBesideIt_ReplacesTheConsoleOutput()
    {
        var output = await RunWorkerAsync(build => File.WriteAllText(Path.Combine(build, "nlog.config"), """
            <nlog throwConfigExceptions="true">
              <targets><target type="Console" name="mine" layout="mine|${level}|${message}" /></targets>
              <rules><logger name="ZmqGame.*" minlevel="Info" writeTo="mine" /></rules>
            </nlog>
            """));

        Assert.That(output, Has.Some.StartsWith("mine|Info|Slot 0 of service 'echo' READY at "));
        Assert.That(output.Where(l => l.Length > 0), Has.All.StartWith("mine|"));
    }

    /// <summary>Runs a copy of the worker host's build, without its nlog.config and changed by <paramref name="change"/>, until it is READY, then stops it; returns its output.</summary>
    private static async Task<IReadOnlyList<string>> RunWorkerAsync(Action<string> change)
    {
        var source = Path.GetDirectoryName(Executables.Dll("ZmqGame.Worker.Host"))!;
        var copy = Directory.CreateTempSubdirectory("zmqgame-worker-logging-");
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

            change(copy.FullName);
            var (broker, _, backend, _) = await LogLines.StartBrokerAsync();
            using (broker)
            {
                using var worker = ProcessUnderTest.StartDll(Path.Combine(copy.FullName, "ZmqGame.Worker.Host.dll"), "--broker", backend, "--slots", "1", "--service", "echo");
                await worker.WaitForLineAsync("Slot 0 of service 'echo' READY", Patience);
                worker.Terminate();
                Assert.That(await worker.WaitForExitAsync(), Is.Zero, worker.Output);
                broker.Terminate();
                Assert.That(await broker.WaitForExitAsync(), Is.Zero, broker.Output);
                return worker.Lines;
            }
        }
        finally
        {
            copy.Delete(recursive: true);
        }
    }

    private static void SetInAppsettings(string build, string section, string subsection, string key, string value)
    {
        var path = Path.Combine(build, "appsettings.json");
        var root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        root[section] = new JsonObject { [subsection] = new JsonObject { [key] = value } };
        File.WriteAllText(path, root.ToJsonString());
    }
}
