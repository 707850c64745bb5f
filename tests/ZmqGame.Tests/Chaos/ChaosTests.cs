using System.Globalization;
using ZmqGame.Client;
using ZmqGame.Tests.Broker;
using ZmqGame.Tests.Support;
using ZmqGame.Tests.Supervisor;

namespace ZmqGame.Tests.Chaos;

/// <summary>
/// Workers and brokers stopped, killed and restarted under a steady load of concurrent clients;
/// every request is counted, none may go unanswered. Real worker host and broker processes on
/// loopback. Short by default (CI); set ZMQGAME_CHAOS_SCALE=20 for the long version (minutes).
/// </summary>
[TestFixture]
[Platform(Exclude = "Win")]
[NonParallelizable]
public sealed class ChaosTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>Ok answers each phase of a scenario waits for (before and after the disruption).</summary>
    private static readonly int Phase = 40 * int.Parse(Environment.GetEnvironmentVariable("ZMQGAME_CHAOS_SCALE") ?? "1", CultureInfo.InvariantCulture);

    private static BrokerFixture Broker(TimeSpan? requestTimeout = null) => new(o =>
    {
        o.HeartbeatInterval = TimeSpan.FromMilliseconds(2500); // the worker host's default
        o.RequestTimeout = requestTimeout ?? TimeSpan.FromSeconds(30);
    });

    private static async Task<ProcessUnderTest> StartWorkerAsync(string backend, int slots = 2)
    {
        var worker = ProcessUnderTest.Start("ZmqGame.Worker.Host", "--broker", backend, "--slots", slots.ToString(CultureInfo.InvariantCulture), "--service", "game");
        await worker.WaitForLineAsync($"Slot {slots - 1} of service 'game' READY", Patience);
        return worker;
    }

    [Test]
    public async Task SigtermOfOneWorkerUnderLoad_NoRequestFails()
    {
        using var broker = Broker();
        using var a = await StartWorkerAsync(broker.Backend);
        using var b = await StartWorkerAsync(broker.Backend);
        await broker.WaitForIdleWorkers("game", 4);
        await using var load = await SteadyLoad.StartAsync(broker.Frontend, clients: 6, sleepMs: 20, TimeSpan.FromSeconds(30));
        await load.WaitForOkAsync(Phase, Patience);

        a.Terminate();
        Assert.That(await a.WaitForExitAsync(Patience), Is.Zero, a.Output);
        await load.WaitForOkAsync(Phase, Patience);

        Assert.That(await load.StopAsync(), Is.Zero, "unanswered requests");
        TestContext.Out.WriteLine(load.Describe());
        Assert.That(load.ErrorCount, Is.Zero, load.Describe());
    }

    [Test]
    public async Task AllWorkersStoppedThenStartedWithinTheQueueDeadline_NoRequestFails()
    {
        using var broker = Broker();
        using var first = await StartWorkerAsync(broker.Backend);
        await using var load = await SteadyLoad.StartAsync(broker.Frontend, clients: 4, sleepMs: 20, TimeSpan.FromSeconds(45));
        await load.WaitForOkAsync(Phase, Patience);

        first.Terminate();
        Assert.That(await first.WaitForExitAsync(Patience), Is.Zero, first.Output);
        // No worker now: requests wait in the broker's queue until the next build is up.
        using var second = await StartWorkerAsync(broker.Backend);
        await load.WaitForOkAsync(Phase, Patience);

        Assert.That(await load.StopAsync(), Is.Zero, "unanswered requests");
        TestContext.Out.WriteLine(load.Describe());
        Assert.That(load.ErrorCount, Is.Zero, load.Describe());
    }

    [Test]
    public async Task RollingReloadUnderLoad_NoRequestFails()
    {
        using var broker = Broker();
        using var supervisor = SupervisorProcess.Start(
            null, "--processes", "2", "--slots", "2", "--service", "game", "--broker", broker.Backend, "--control", broker.Control);
        await broker.WaitForIdleWorkers("game", 4);
        await using var load = await SteadyLoad.StartAsync(broker.Frontend, clients: 6, sleepMs: 20, TimeSpan.FromSeconds(30));
        await load.WaitForOkAsync(Phase, Patience);

        supervisor.Signal(SupervisorProcess.SigHup);
        await supervisor.WaitForLineAsync(@"Reload complete: 2 worker process\(es\) replaced", Patience);
        await load.WaitForOkAsync(Phase, Patience);

        Assert.That(await load.StopAsync(), Is.Zero, "unanswered requests");
        TestContext.Out.WriteLine(load.Describe());
        Assert.That(load.ErrorCount, Is.Zero, load.Describe());
        Assert.That(broker.Stats.WorkersRegistered, Is.EqualTo(8), "4 old and 4 new worker slots sent READY");
        supervisor.Signal(SupervisorProcess.SigTerm);
        Assert.That(await supervisor.WaitForExitAsync(Patience), Is.Zero, supervisor.Output);
    }

    [Test]
    public async Task KillOfOneWorkerProcessUnderLoad_OnlyItsHeldRequestsFail_AndTheSupervisorRestartsIt()
    {
        using var broker = Broker();
        using var supervisor = SupervisorProcess.Start(null, "--processes", "2", "--slots", "2", "--service", "game", "--broker", broker.Backend);
        await broker.WaitForIdleWorkers("game", 4);
        await using var load = await SteadyLoad.StartAsync(broker.Frontend, clients: 6, sleepMs: 50, TimeSpan.FromSeconds(30));
        await load.WaitForOkAsync(Phase, Patience);

        var victim = supervisor.ChildPids().First().Value;
        Assert.That(SupervisorProcess.Send(victim, SupervisorProcess.SigKill), Is.True);
        await supervisor.WaitForLineAsync($"pid {victim}.*(crashed|exited)", Patience);
        await Eventually.True(() => Volatile.Read(ref broker.Stats.WorkersRegistered) >= 6, "the restarted worker process registered its two slots", SupervisorProcess.Patience, () => supervisor.Output);
        await load.WaitForOkAsync(Phase, Patience);

        Assert.That(await load.StopAsync(), Is.Zero, "unanswered requests");
        TestContext.Out.WriteLine(load.Describe());
        Assert.That(load.Errors.Keys, Is.SubsetOf(new[] { "WorkerLost" }), load.Describe());
        Assert.That(load.ErrorCount, Is.LessThanOrEqualTo(2), "at most the two requests the killed process held; " + load.Describe());
        supervisor.Signal(SupervisorProcess.SigTerm);
        Assert.That(await supervisor.WaitForExitAsync(Patience), Is.Zero, supervisor.Output);
    }

    [Test]
    public async Task BrokerKilledAndRestarted_ClientsAndWorkersRecoverByThemselves()
    {
        var broker = ProcessUnderTest.Start("ZmqGame.Broker", "tcp://127.0.0.1:0", "tcp://127.0.0.1:0", "--control", "tcp://127.0.0.1:0");
        try
        {
            var endpoints = await broker.WaitForLineAsync(BrokerProcessTests.ListeningLine);
            var (frontend, backend, control) = (endpoints.Groups[1].Value.TrimEnd(','), endpoints.Groups[2].Value.TrimEnd(','), endpoints.Groups[3].Value);
            using var worker = await StartWorkerAsync(backend);
            var fast = new ZmqGameClientOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(200), Liveness = 3 };
            await using var load = await SteadyLoad.StartAsync(frontend, clients: 4, sleepMs: 10, TimeSpan.FromSeconds(5), fast);
            await load.WaitForOkAsync(Phase, Patience);

            broker.Kill();
            await broker.WaitForExitAsync(Patience);
            broker.Dispose();
            broker = ProcessUnderTest.Start("ZmqGame.Broker", frontend, backend, "--control", control);
            await broker.WaitForLineAsync(BrokerProcessTests.ListeningLine);
            await load.WaitForOkAsync(Phase, Patience);

            Assert.That(await load.StopAsync(), Is.Zero, "unanswered requests");
            TestContext.Out.WriteLine(load.Describe());
        TestContext.Out.WriteLine(load.Describe());
            Assert.That(load.Errors.Keys, Is.SubsetOf(new[] { "Timeout", "BrokerLost/connection lost" }), "only statuses a client can retry on; " + load.Describe());
        }
        finally
        {
            broker.Dispose();
        }
    }
}
