using ZmqGame.Client.Cli;
using ZmqGame.Tests.Client;
using ZmqGame.Tests.WorkerTests;
using ZmqGame.Worker;
using ZmqGame.Worker.Host;

namespace ZmqGame.Tests.Interop;

/// <summary>
/// ZmqGame's worker and <c>client mdp</c> against a stock Majordomo broker (MDP/0.1) built on libzmq, which knows
/// nothing of ZmqGame: the worker registers and serves, the CLI's request is answered.
/// </summary>
[TestFixture]
[Category(LibzmqPeer.Category)]
public sealed class MajordomoInteropTests
{
    [Test]
    public async Task ZmqGameWorker_AttachesToLibzmqMajordomoBroker_ServesAStockClient()
    {
        var (broker, endpoint) = await LibzmqPeer.BindAsync("mdpbroker", SampleServices.Echo, "hello", "big:300000");
        using var _ = broker;
        await using var worker = WorkerApp.Create(TestOptions.For(endpoint, slots: 1));
        SampleServices.Map(worker, SampleServices.Default);

        await worker.StartAsync();

        await broker.WaitLineAsync($"WORKER-READY {SampleServices.Echo}");
        var reply = await broker.WaitReplyAsync();
        Assert.That(reply.Service, Is.EqualTo(SampleServices.Echo));
        Assert.That(reply.Sizes, Is.EqualTo(new[] { 5, 300000 }));
        Assert.That(reply.EchoedRequest, Is.True);
    }

    [Test]
    public async Task ZmqGameWorker_StoppingOnLibzmqMajordomoBroker_SaysDisconnectItselfWithoutWaitingForTheShutdownTimeout()
    {
        // The stock broker ignores "draining" and never confirms: the slot gives up after heartbeat × liveness (3 s;
        // the broker heartbeats every second) and says DISCONNECT, long before the 60 s shutdown timeout would end it.
        var (broker, endpoint) = await LibzmqPeer.BindAsync("mdpbroker");
        using var _ = broker;
        await using var worker = WorkerApp.Create(TestOptions.For(
            endpoint, slots: 1, heartbeat: TimeSpan.FromSeconds(1), liveness: 3, shutdown: TimeSpan.FromSeconds(60)));
        SampleServices.Map(worker, SampleServices.Default);
        await worker.StartAsync();
        await broker.WaitLineAsync($"WORKER-READY {SampleServices.Echo}");

        await worker.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));

        await broker.WaitLineAsync("WORKER-DISCONNECT");
    }

    [Test]
    public async Task ClientMdp_ThroughLibzmqMajordomoBroker_PrintsTheEcho()
    {
        var (broker, endpoint) = await LibzmqPeer.BindAsync("mdpbroker", "--echo-worker");
        using var _ = broker;
        await broker.WaitLineAsync("WORKER-READY echo");
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var code = await CliApp.RunAsync(["mdp", "echo", "hello", "world", "--broker", endpoint], stdout, stderr).WaitAsync(ClientTestSupport.Patience);

        Assert.That(stderr.ToString(), Is.Empty);
        Assert.That(code, Is.EqualTo(CliApp.ExitOk));
        Assert.That(stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()), Is.EqualTo(new[] { "hello", "world" }));
    }
}
