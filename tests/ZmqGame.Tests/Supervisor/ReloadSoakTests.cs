using ZmqGame.Client.Cli.Load;
using ZmqGame.Tests.Broker;
using ZmqGame.Tests.Support;
using ZmqGame.Trigger;

namespace ZmqGame.Tests.Supervisor;

/// <summary>
/// Rolling reloads under a steady closed-loop load, with real processes: a broker process, a supervisor with 2 worker
/// processes, and 16 clients × 2 requests in flight. Every request is counted (ok, error by status, unanswered); none may
/// fail or go unanswered, and the broker may lose no worker while it holds a request. Readiness comes from the broker's
/// stats and the supervisor's log lines, never from sleeps. `bench/run-reload-soak.sh` is the long version.
/// </summary>
[TestFixture]
[Platform(Exclude = "Win")]
[NonParallelizable]
public sealed class ReloadSoakTests
{
    private const int Processes = 2;
    private const int Slots = 4;
    private const int Reloads = 5;
    private static readonly TimeSpan Patience = SupervisorProcess.Patience;

    [Test]
    public async Task ReloadsBackToBack_UnderLoad_EveryRequestAnsweredOk_NoWorkerLost()
    {
        using var broker = ProcessUnderTest.Start(
            "ZmqGame.Broker", "tcp://127.0.0.1:0", "tcp://127.0.0.1:0", "--control", "tcp://127.0.0.1:0", "--session-key-file", "");
        var endpoints = await broker.WaitForLineAsync(BrokerProcessTests.ListeningLine);
        var (frontend, backend, control) = (endpoints.Groups[1].Value.TrimEnd(','), endpoints.Groups[2].Value.TrimEnd(','), endpoints.Groups[3].Value);
        await using var trigger = await TriggerClient.ConnectAsync(control);

        using var supervisor = SupervisorProcess.Start(
            null, "--processes", $"{Processes}", "--slots", $"{Slots}", "--service", "game", "--broker", backend, "--control", control);
        await Eventually.True(
            async () => (await trigger.StatsAsync()).Services.TryGetValue("game", out var game) && game.Idle == Processes * Slots,
            $"{Processes * Slots} idle game workers",
            Patience);

        using var stopLoad = new CancellationTokenSource();
        var load = new LoadEngine(new LoadOptions
        {
            Broker = frontend,
            Clients = 16,
            Depth = 2,
            Warmup = TimeSpan.Zero,
            Duration = TimeSpan.FromMinutes(5), // ended by stopLoad once the reloads are done
            Timeout = TimeSpan.FromSeconds(10),
        }).RunAsync(stopLoad.Token);

        for (var reload = 1; reload <= Reloads; reload++)
        {
            var flowing = 1000L * reload;
            await Eventually.True(async () => (await trigger.StatsAsync()).Counters.GetValueOrDefault("replies") > flowing, "load is flowing", Patience);
            supervisor.Signal(SupervisorProcess.SigHup);
            var done = reload;
            await Eventually.True(
                () => supervisor.Count(@"Reload complete: \d+ worker process\(es\) replaced") >= done,
                $"reload {done} complete",
                Patience,
                () => supervisor.Output);
        }

        await stopLoad.CancelAsync();
        var result = await load.WaitAsync(Patience);
        var counters = (await trigger.StatsAsync()).Counters;

        var errors = string.Join(", ", result.StatusCounts().Select(s => $"{s.Name} {s.Count}"));
        var summary = $"sent {result.Sent}, ok {result.Ok}, errors [{errors}], mismatched {result.Mismatched}, client errors {result.ClientErrors}, "
            + $"unanswered {result.Unanswered}; broker worker_lost {counters.GetValueOrDefault("worker_lost")}, "
            + $"redispatched {counters.GetValueOrDefault("redispatched")}, workers_disconnected {counters.GetValueOrDefault("workers_disconnected")}";
        TestContext.Out.WriteLine(summary);
        Assert.That(supervisor.Count(@"Reload failed"), Is.Zero, supervisor.Output);
        Assert.That(result.Sent, Is.GreaterThan(1000 * Reloads), summary);
        Assert.That(result.Unanswered, Is.Zero, summary);
        Assert.That(result.Errors, Is.Zero, summary + "\n" + supervisor.Output);
        Assert.That(counters.GetValueOrDefault("worker_lost"), Is.Zero, summary);
        Assert.That(counters.GetValueOrDefault("workers_disconnected"), Is.EqualTo(Reloads * Processes * Slots), "every old worker slot left as a normal departure");

        supervisor.Signal(SupervisorProcess.SigTerm);
        Assert.That(await supervisor.WaitForExitAsync(), Is.Zero, supervisor.Output);
    }
}
