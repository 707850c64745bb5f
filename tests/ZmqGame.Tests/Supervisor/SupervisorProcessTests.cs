using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using ZmqGame.Client;
using ZmqGame.Tests.Support;
using ZmqGame.Worker.Host;

namespace ZmqGame.Tests.Supervisor;

/// <summary>
/// The worker host in supervisor mode as an operator runs it: a real process with real worker children, against an
/// in-process broker on free loopback ports. Readiness comes from the broker (idle workers, counters) and from the
/// supervisor's log lines, never from sleeps.
/// </summary>
[TestFixture]
[Platform(Exclude = "Win")]
[NonParallelizable]
public sealed class SupervisorProcessTests
{
    private static readonly TimeSpan Patience = SupervisorProcess.Patience;

    private BrokerFixture _broker = null!;

    [SetUp]
    public void SetUp() => _broker = new BrokerFixture();

    [TearDown]
    public void TearDown() => _broker.Dispose();

    [Test]
    public async Task Processes2_BringsEveryWorkerSlotReady_AndSigtermExitsZero()
    {
        using var supervisor = SupervisorProcess.Start(null, "--processes", "2", "--slots", "2", "--service", "game", "--broker", _broker.Backend);

        await WaitForIdleAsync("game", 4, supervisor);
        Assert.That(supervisor.ChildPids(), Has.Count.EqualTo(2), supervisor.Output);

        supervisor.Signal(SupervisorProcess.SigTerm);
        Assert.That(await supervisor.WaitForExitAsync(), Is.Zero, supervisor.Output);
        Assert.That(supervisor.Count(@"exited with code 0 as asked"), Is.EqualTo(2), supervisor.Output);
        Assert.That(Volatile.Read(ref _broker.Stats.WorkersDisconnected), Is.EqualTo(4), "every worker slot said DISCONNECT");
    }

    [Test]
    public async Task ChildKilled_IsRestartedWithBackoff_AndItsWorkersComeBack()
    {
        using var supervisor = SupervisorProcess.Start(null, "--processes", "2", "--slots", "1", "--service", "game", "--broker", _broker.Backend);
        await WaitForIdleAsync("game", 2, supervisor);

        var victim = supervisor.ChildPids()[1];
        Assert.That(SupervisorProcess.Send(victim, SupervisorProcess.SigKill), Is.True);

        await supervisor.WaitForLineAsync(@"Child 1 \(process slot 0, pid \d+\) crashed: exit code 137");
        await supervisor.WaitForLineAsync(@"Process slot 0: restarting in");
        await supervisor.WaitForLineAsync(@"Child 3 \(process slot 0, restart\) started");
        await supervisor.WaitForLineAsync(@"Child 3 \(process slot 0, pid \d+\) READY");
        await Eventually.True(() => Volatile.Read(ref _broker.Stats.WorkersRegistered) >= 3, "the restarted worker registered", SupervisorProcess.Patience, () => supervisor.Output);
        await WaitForIdleAsync("game", 2, supervisor);

        await using var client = await ZmqGameClient.ConnectAsync(_broker.Frontend);
        for (var i = 0; i < 4; i++)
        {
            var pong = await client.RequestAsync<PingRequest, PongReply>("game", GameCommands.Ping, new PingRequest(i));
            Assert.That(pong.Seq, Is.EqualTo(i));
        }

        supervisor.Signal(SupervisorProcess.SigTerm);
        Assert.That(await supervisor.WaitForExitAsync(), Is.Zero, supervisor.Output);
    }

    [Test]
    public async Task ChildAlwaysCrashingAtStart_StopsBeingRestartedAfterTheCap_AndTheLogSaysWhy()
    {
        // A worker build that exits 2 right after it starts (the supervisor refuses bad settings before starting any).
        var folder = Directory.CreateTempSubdirectory("zmqgame-crashing-worker-");
        var crashing = Path.Combine(folder.FullName, "crashing-worker");
        File.WriteAllText(crashing, "#!/bin/sh\nexit 2\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(crashing, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        using var cleanUp = new DirectoryCleanUp(folder);
        using var supervisor = SupervisorProcess.Start(
            null,
            "--processes", "1", "--broker", _broker.Backend, "--Supervisor:WorkerPath", crashing,
            "--Supervisor:RestartDelayMin", "00:00:00.05", "--Supervisor:RestartDelayMax", "00:00:00.2",
            "--Supervisor:CrashLoopMaxCrashes", "3");

        await supervisor.WaitForLineAsync(@"ERROR.*Process slot 0: crash loop, not restarting it: 3 crashes within 00:01:00 \(limit 3\), last exit code 2");
        Assert.That(supervisor.HasExited, Is.False, "the supervisor itself keeps running (a reload may bring a fixed build)");
        Assert.That(supervisor.Count(@"started: pid"), Is.EqualTo(3), supervisor.Output);
        Assert.That(supervisor.Count(@"crashed: exit code 2"), Is.EqualTo(3), supervisor.Output);

        supervisor.Signal(SupervisorProcess.SigTerm);
        Assert.That(await supervisor.WaitForExitAsync(), Is.Zero, supervisor.Output);
        Assert.That(supervisor.Count(@"started: pid"), Is.EqualTo(3), "no restart after the cap");
    }

    [Test]
    public async Task SigtermMidRequest_ClientGetsItsReply_AndEveryProcessExitsZero()
    {
        using var supervisor = SupervisorProcess.Start(null, "--processes", "2", "--slots", "1", "--service", "game", "--broker", _broker.Backend);
        await WaitForIdleAsync("game", 2, supervisor);
        await using var client = await ZmqGameClient.ConnectAsync(_broker.Frontend);

        var held = client.RequestAsync<SleepRequest, SleepReply>("game", GameCommands.Sleep, new SleepRequest(1500), TimeSpan.FromSeconds(60));
        await Eventually.True(() => Volatile.Read(ref _broker.Stats.Dispatched) >= 1, "the request reached a worker", SupervisorProcess.Patience);
        supervisor.Signal(SupervisorProcess.SigTerm);

        var reply = await held.WaitAsync(Patience);
        Assert.That(reply.Ms, Is.EqualTo(1500));
        Assert.That(await supervisor.WaitForExitAsync(), Is.Zero, supervisor.Output);
        Assert.That(supervisor.Count(@"exited with code 0 as asked"), Is.EqualTo(2), supervisor.Output);
        Assert.That(supervisor.Output, Does.Contain("Worker stopped: 1 replies sent, 0 request(s) abandoned"));
        Assert.That(supervisor.Output, Does.Contain("(0 killed at the drain deadline)"));
        Assert.That(Volatile.Read(ref _broker.Stats.WorkerLost), Is.Zero);
    }

    [Test]
    public async Task SigtermWithRequestPastTheDrainDeadline_ChildIsKilled_AndTheClientGetsWorkerLost()
    {
        using var supervisor = SupervisorProcess.Start(
            null, "--processes", "1", "--slots", "1", "--service", "game", "--broker", _broker.Backend,
            "--Worker:ShutdownTimeout", "00:01:00", "--Supervisor:DrainTimeout", "00:00:01");
        await WaitForIdleAsync("game", 1, supervisor);
        await using var client = await ZmqGameClient.ConnectAsync(_broker.Frontend);

        var held = client.RequestAsync<SleepRequest, SleepReply>("game", GameCommands.Sleep, new SleepRequest(50_000), TimeSpan.FromSeconds(60));
        await Eventually.True(() => Volatile.Read(ref _broker.Stats.Dispatched) >= 1, "the request reached a worker", SupervisorProcess.Patience);
        supervisor.Signal(SupervisorProcess.SigTerm);

        var lost = Assert.ThrowsAsync<ZmqGameRequestException>(async () => await held.WaitAsync(Patience));
        Assert.That(lost!.Status, Is.EqualTo(ZmqGame.Protocol.Status.WorkerLost), lost.Message);
        Assert.That(await supervisor.WaitForExitAsync(), Is.Zero, supervisor.Output);
        Assert.That(supervisor.Output, Does.Contain("still running after the drain deadline (00:00:01): SIGKILL"));
        Assert.That(supervisor.Output, Does.Contain("(1 killed at the drain deadline)"));
    }

    [Test]
    public async Task Sighup_NewChildrenReadyFirst_ThenOldOnesDrained_AndSteadyLoadLosesNothing()
    {
        using var supervisor = SupervisorProcess.Start(
            null, "--processes", "2", "--slots", "1", "--service", "game", "--broker", _broker.Backend, "--control", _broker.Control);
        await WaitForIdleAsync("game", 2, supervisor);
        var oldPids = supervisor.ChildPids().Values.ToArray();
        await using var client = await ZmqGameClient.ConnectAsync(_broker.Frontend);

        using var stopLoad = new CancellationTokenSource();
        var failures = new List<string>();
        var load = Task.Run(async () =>
        {
            var ok = 0;
            for (var seq = 0; !stopLoad.IsCancellationRequested; seq++)
            {
                try
                {
                    var pong = await client.RequestAsync<PingRequest, PongReply>("game", GameCommands.Ping, new PingRequest(seq), TimeSpan.FromSeconds(30));
                    ok += pong.Seq == seq ? 1 : 0;
                }
                catch (ZmqGameRequestException ex)
                {
                    lock (failures)
                    {
                        failures.Add($"{ex.Status}: {ex.Message}");
                    }
                }

                await Task.Delay(10);
            }

            return ok;
        });

        supervisor.Signal(SupervisorProcess.SigHup);
        await supervisor.WaitForLineAsync(@"Reload complete: 2 worker process\(es\) replaced");
        await stopLoad.CancelAsync();
        var served = await load.WaitAsync(Patience);

        Assert.That(failures, Is.Empty, supervisor.Output);
        Assert.That(served, Is.GreaterThan(0));
        Assert.That(Volatile.Read(ref _broker.Stats.WorkersRegistered), Is.EqualTo(4), "2 old + 2 new workers sent READY");
        Assert.That(Volatile.Read(ref _broker.Stats.WorkersDisconnected), Is.EqualTo(2), "the 2 old workers said DISCONNECT");
        Assert.That(Volatile.Read(ref _broker.Stats.WorkerLost), Is.Zero);

        // Order: both new children READY before the first old one was asked to stop.
        var firstOldExit = supervisor.IndexOf(@"Child [12] \(process slot \d, pid \d+\) exited with code 0 as asked");
        Assert.That(supervisor.IndexOf(@"Child 3 \(process slot 0, pid \d+\) READY"), Is.InRange(0, firstOldExit), supervisor.Output);
        Assert.That(supervisor.IndexOf(@"Child 4 \(process slot 1, pid \d+\) READY"), Is.InRange(0, firstOldExit), supervisor.Output);
        Assert.That(supervisor.IndexOf(@"Reload: 2 new worker process\(es\) READY and registered with the broker"), Is.InRange(0, firstOldExit), supervisor.Output);
        Assert.That(oldPids.Any(SupervisorProcess.IsAlive), Is.False, "the old worker processes have exited");
        await WaitForIdleAsync("game", 2, supervisor);

        supervisor.Signal(SupervisorProcess.SigTerm);
        Assert.That(await supervisor.WaitForExitAsync(), Is.Zero, supervisor.Output);
    }

    [Test]
    public async Task Reload_NewBuildNeverReady_IsStopped_AndTheOldProcessesKeepServing()
    {
        // A copy of the build, so its files can be replaced like a deploy does. Its settings name the broker.
        using var build = new BuildCopy();
        build.WriteSettings(_broker.Backend);
        using var supervisor = SupervisorProcess.Start(
            build.Dll, "--processes", "1", "--slots", "1", "--service", "game", "--control", _broker.Control,
            "--Supervisor:ReadyTimeout", "00:00:04");
        await WaitForIdleAsync("game", 1, supervisor);
        var oldPid = supervisor.ChildPids()[1];

        // The "new build": its settings point at a port where no broker listens, so its workers send READY
        // into the void. Only the broker's own counter can tell.
        build.WriteSettings($"tcp://127.0.0.1:{UnusedPort()}");
        supervisor.Signal(SupervisorProcess.SigHup);

        await supervisor.WaitForLineAsync(@"ERROR.*Reload failed: the broker at .* registered 0 of the 1 new workers within 00:00:04; the new worker processes are stopped and the old ones keep serving");
        await supervisor.WaitForLineAsync(@"Child 2 \(process slot 0, pid \d+\) exited with code 0 as asked");
        Assert.That(SupervisorProcess.IsAlive(oldPid), Is.True, "the old worker process still runs");
        Assert.That(supervisor.Count(@"Child 1 \(process slot 0, pid \d+\) (exited|crashed)"), Is.Zero, "the old child was neither stopped nor crashed");

        await using var client = await ZmqGameClient.ConnectAsync(_broker.Frontend);
        var pong = await client.RequestAsync<PingRequest, PongReply>("game", GameCommands.Ping, new PingRequest(42));
        Assert.That(pong.Seq, Is.EqualTo(42));

        supervisor.Signal(SupervisorProcess.SigTerm);
        Assert.That(await supervisor.WaitForExitAsync(), Is.Zero, supervisor.Output);
    }

    [Test]
    public async Task Reload_NewBuildExitsAtStart_FailsFast_AndTheOldProcessesKeepServing()
    {
        using var build = new BuildCopy();
        build.WriteSettings(_broker.Backend);
        using var supervisor = SupervisorProcess.Start(build.Dll, "--processes", "1", "--slots", "1");
        await WaitForIdleAsync("game", 1, supervisor);

        // The "new build" asks for a service this build does not have: its worker processes exit 2 at start.
        build.WriteSettings(_broker.Backend, services: "no-such-service");
        supervisor.Signal(SupervisorProcess.SigHup);

        await supervisor.WaitForLineAsync(@"ERROR.*Reload failed: new child 2 \(pid \d+\) exited with code 2 before it was READY");
        Assert.That(supervisor.Count("crashed"), Is.Zero, "a failed reload candidate is not a crash of a serving slot");
        await using var client = await ZmqGameClient.ConnectAsync(_broker.Frontend);
        var pong = await client.RequestAsync<PingRequest, PongReply>("game", GameCommands.Ping, new PingRequest(7));
        Assert.That(pong.Seq, Is.EqualTo(7));

        supervisor.Signal(SupervisorProcess.SigTerm);
        Assert.That(await supervisor.WaitForExitAsync(), Is.Zero, supervisor.Output);
    }

    [Test]
    public async Task SupervisorKilled_ChildrenNoticeAndDrain()
    {
        using var supervisor = SupervisorProcess.Start(null, "--processes", "2", "--slots", "1", "--service", "game", "--broker", _broker.Backend);
        await WaitForIdleAsync("game", 2, supervisor);

        supervisor.Signal(SupervisorProcess.SigKill);
        await supervisor.WaitForExitAsync();

        // Each orphan sees its parent gone, stops gracefully and says DISCONNECT.
        await Eventually.True(() => Volatile.Read(ref _broker.Stats.WorkersDisconnected) >= 2, "both orphaned workers said DISCONNECT", SupervisorProcess.Patience);
        Assert.That(Volatile.Read(ref _broker.Stats.WorkersExpired), Is.Zero);
    }

    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task WaitForIdleAsync(string service, int count, SupervisorProcess supervisor)
    {
        try
        {
            await _broker.Server.WaitForIdleWorkersAsync(service, count).WaitAsync(Patience);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"{count} idle '{service}' workers not seen in time; supervisor output:\n{supervisor.Output}");
        }
    }

    /// <summary>A throw-away copy of the worker host's build output, whose appsettings.json a test rewrites.</summary>
    private sealed class BuildCopy : IDisposable
    {
        private readonly string _folder = Path.Combine(Path.GetTempPath(), "zmqgame-build-" + Guid.NewGuid().ToString("N"));

        public BuildCopy()
        {
            var source = Path.GetDirectoryName(Executables.Dll("ZmqGame.Worker.Host"))!;
            foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
            {
                var target = Path.Combine(_folder, Path.GetRelativePath(source, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }
        }

        public string Dll => Path.Combine(_folder, "ZmqGame.Worker.Host.dll");

        /// <summary>Replaces appsettings.json the way a deploy must: a new file renamed over the old one.</summary>
        public void WriteSettings(string broker, string services = "game")
        {
            var settings = new JsonObject
            {
                ["Worker"] = new JsonObject { ["Broker"] = broker, ["Services"] = services, ["HeartbeatInterval"] = "00:00:02.5" },
            };
            var path = Path.Combine(_folder, "appsettings.json");
            var temp = path + ".new";
            File.WriteAllText(temp, settings.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            File.Move(temp, path, overwrite: true);
        }

        public void Dispose()
        {
            try
            {
                Directory.Delete(_folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}

/// <summary>Deletes a temporary folder at the end of a test.</summary>
internal sealed class DirectoryCleanUp(DirectoryInfo folder) : IDisposable
{
    public void Dispose() => folder.Delete(recursive: true);
}
