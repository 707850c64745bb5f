using System.Text.Json;
using ZmqGame.Client;
using ZmqGame.Protocol;
using ZmqGame.Tests.Broker;
using ZmqGame.Tests.Support;
using ZmqGame.Trigger;
using ZmqGame.Worker.Host;

namespace ZmqGame.Tests.EndToEnd;

/// <summary>
/// The real executables together, as a user runs them: broker, worker host, client CLI, trigger,
/// each in its own process, talking over loopback TCP on free ports.
/// </summary>
[TestFixture]
[Platform(Exclude = "Win")]
[NonParallelizable]
public sealed class ClusterProcessTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static async Task<(ProcessUnderTest Broker, string Frontend, string Backend, string Control)> StartBrokerAsync()
    {
        var broker = ProcessUnderTest.Start("ZmqGame.Broker", "tcp://127.0.0.1:0", "tcp://127.0.0.1:0", "--control", "tcp://127.0.0.1:0");
        var line = await broker.WaitForLineAsync(BrokerProcessTests.ListeningLine);
        return (broker, line.Groups[1].Value.TrimEnd(','), line.Groups[2].Value.TrimEnd(','), line.Groups[3].Value);
    }

    private static async Task<(int Code, string Output)> RunAsync(string project, params string[] args)
    {
        using var process = ProcessUnderTest.Start(project, args);
        var code = await process.WaitForExitAsync(Patience);
        return (code, process.Output);
    }

    [Test]
    public async Task Cluster_ClientCliAndTrigger_AgainstBrokerAndWorkerHost()
    {
        var (broker, frontend, backend, control) = await StartBrokerAsync();
        using var _ = broker;
        using var worker = ProcessUnderTest.Start("ZmqGame.Worker.Host", "--broker", backend, "--slots", "2");
        await worker.WaitForLineAsync("Slot 1 of service 'game' READY", Patience);
        await worker.WaitForLineAsync("Slot 1 of service 'echo' READY", Patience);

        var add = await RunAsync("ZmqGame.Client.Cli", "call", "game", GameCommands.Add.ToString(), """{"A": 40, "B": 2}""", "--broker", frontend);
        Assert.That(add.Code, Is.Zero, add.Output);
        Assert.That(JsonDocument.Parse(add.Output.Trim()).RootElement.GetProperty("Sum").GetInt64(), Is.EqualTo(42));

        var echo = await RunAsync("ZmqGame.Client.Cli", "mdp", "echo", "hello", "--broker", frontend);
        Assert.That(echo.Code, Is.Zero, echo.Output);
        Assert.That(echo.Output, Does.Contain("hello"));

        var missing = await RunAsync("ZmqGame.Client.Cli", "call", "game", "99", "{}", "--broker", frontend);
        Assert.That(missing.Code, Is.EqualTo(4), missing.Output);
        Assert.That(missing.Output, Does.Contain("no such route"));

        var failed = await RunAsync("ZmqGame.Client.Cli", "call", "game", GameCommands.Fail.ToString(), """{"Message": "boom"}""", "--broker", frontend);
        Assert.That(failed.Code, Is.EqualTo(4), failed.Output);
        Assert.That(failed.Output, Does.Contain("handler failed"));

        var stats = await RunAsync("ZmqGame.Trigger.Cli", "stats", "--json", "--broker", control);
        Assert.That(stats.Code, Is.Zero, stats.Output);
        var counters = JsonDocument.Parse(stats.Output.Trim()).RootElement.GetProperty("counters");
        Assert.That(counters.GetProperty("replies").GetInt64(), Is.EqualTo(4), "add, mdp echo, no-such-route and fail were each answered by a worker");
    }

    [Test]
    public async Task WorkerHostKilledMidRequest_ClientGetsWorkerLost_AndANewWorkerServes()
    {
        var (broker, frontend, backend, control) = await StartBrokerAsync();
        using var _ = broker;
        var worker = ProcessUnderTest.Start("ZmqGame.Worker.Host", "--broker", backend, "--slots", "1", "--service", "game");
        await worker.WaitForLineAsync("Slot 0 of service 'game' READY", Patience);
        await using var client = await ZmqGameClient.ConnectAsync(frontend);

        var held = client.RequestAsync<SleepRequest, SleepReply>("game", GameCommands.Sleep, new SleepRequest(60_000), TimeSpan.FromSeconds(90));
        await WaitForDispatchedAsync(control, 1);
        worker.Kill();

        var lost = Assert.ThrowsAsync<ZmqGameRequestException>(async () => await held.WaitAsync(Patience));
        Assert.That(lost!.Status, Is.EqualTo(Status.WorkerLost), lost.Message);
        worker.Dispose();

        using var replacement = ProcessUnderTest.Start("ZmqGame.Worker.Host", "--broker", backend, "--slots", "1", "--service", "game");
        await replacement.WaitForLineAsync("Slot 0 of service 'game' READY", Patience);
        var pong = await client.RequestAsync<PingRequest, PongReply>("game", GameCommands.Ping, new PingRequest(7));
        Assert.That(pong.Seq, Is.EqualTo(7));
    }

    [Test]
    public async Task WorkerHostSigtermMidRequest_RepliesThenExitsZero()
    {
        var (broker, frontend, backend, control) = await StartBrokerAsync();
        using var _ = broker;
        using var worker = ProcessUnderTest.Start("ZmqGame.Worker.Host", "--broker", backend, "--slots", "1", "--service", "game");
        await worker.WaitForLineAsync("Slot 0 of service 'game' READY", Patience);
        await using var client = await ZmqGameClient.ConnectAsync(frontend);

        var held = client.RequestAsync<SleepRequest, SleepReply>("game", GameCommands.Sleep, new SleepRequest(500));
        await WaitForDispatchedAsync(control, 1);
        worker.Terminate();

        var reply = await held.WaitAsync(Patience);
        Assert.That(reply.Ms, Is.EqualTo(500));
        Assert.That(await worker.WaitForExitAsync(Patience), Is.Zero, worker.Output);
        Assert.That(worker.Output, Does.Contain("Worker stopped: 1 replies sent"));
    }

    [Test]
    public async Task BrokerSigterm_ExitsZero_AndClientCliSaysNoBroker()
    {
        var (broker, frontend, _, _) = await StartBrokerAsync();
        using var __ = broker;
        broker.Terminate();
        Assert.That(await broker.WaitForExitAsync(Patience), Is.Zero, broker.Output);

        var call = await RunAsync("ZmqGame.Client.Cli", "call", "game", "1", """{"Seq": 1}""", "--broker", frontend, "--connect-timeout", "1s");
        Assert.That(call.Code, Is.EqualTo(3), call.Output);
        Assert.That(call.Output, Does.Contain("no broker"));
    }

    /// <summary>Asks the broker's control endpoint until it has dispatched <paramref name="count"/> requests.</summary>
    private static async Task WaitForDispatchedAsync(string control, long count)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var stats = TriggerCli.Ask(control, "stats", TimeSpan.FromSeconds(5));
            Assert.That(stats, Is.Not.Null, "the broker answers on its control endpoint");
            var json = JsonDocument.Parse(MessagePack.MessagePackSerializer.ConvertToJson(stats!, Payload.Options));
            if (json.RootElement.GetProperty("counters").GetProperty("dispatched").GetInt64() >= count)
            {
                return;
            }

            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "the request never reached a worker");
            await Task.Delay(20);
        }
    }
}
