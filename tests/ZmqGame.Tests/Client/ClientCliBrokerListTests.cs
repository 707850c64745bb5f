using ZmqGame.Client.Cli;
using static ZmqGame.Tests.Client.ClientTestSupport;

namespace ZmqGame.Tests.Client;

/// <summary>`client --broker a,b`: every command takes a cluster's list of brokers.</summary>
[TestFixture]
[CancelAfter(30_000)]
public sealed class ClientCliBrokerListTests
{
    [Test]
    public async Task Call_ListWithADeadBrokerFirst_IsAnsweredByTheLiveOne()
    {
        using var broker = ClientBrokerIntegrationTests.StartBroker();
        using var worker = new MdpTestWorker(broker.BackendEndpoint, "game", MdpTestWorker.Game);
        await broker.WaitForIdleWorkersAsync("game", 1, CancellationToken.None).Within();

        var (code, output, error) = await RunCliAsync(
            "call", "game", "1", """{"a":1}""", "--broker", ClientTestSupport.DeadEndpoint() + "," + broker.FrontendEndpoint, "--connect-timeout", "5s");

        Assert.That(code, Is.EqualTo(CliApp.ExitOk), error);
        Assert.That(output, Is.EqualTo("""{"a":1}"""));
    }

    [Test]
    public async Task Mdp_ListWithADeadBrokerFirst_IsAnsweredByTheLiveOne()
    {
        using var broker = ClientBrokerIntegrationTests.StartBroker();
        using var worker = new MdpTestWorker(broker.BackendEndpoint, "echo", MdpTestWorker.Game);
        await broker.WaitForIdleWorkersAsync("echo", 1, CancellationToken.None).Within();

        var (code, output, error) = await RunCliAsync("mdp", "echo", "hello", "--broker", ClientTestSupport.DeadEndpoint() + "," + broker.FrontendEndpoint);

        Assert.That(code, Is.EqualTo(CliApp.ExitOk), error);
        Assert.That(output, Is.EqualTo("hello"));
    }

    [TestCase("call", "game", "1", "{}")]
    [TestCase("mdp", "echo")]
    [TestCase("session")]
    [TestCase("load")]
    public async Task AnyCommand_ListWithABadEntry_IsOneUsageLineAndExit2(params string[] command)
    {
        var (code, _, error) = await RunCliAsync([.. command, "--broker", "tcp://127.0.0.1:5555,udp://x:1"]);

        Assert.That(code, Is.EqualTo(2), error);
        Assert.That(error.Split('\n'), Has.Length.EqualTo(1), error);
        Assert.That(error, Does.Contain("--broker").And.Contain("udp://x:1"));
    }
}
