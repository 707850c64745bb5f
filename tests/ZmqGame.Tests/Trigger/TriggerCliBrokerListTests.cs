using System.Text.Json;
using ZmqGame.Tests.Client;
using ZmqGame.Tests.Support;
using ZmqGame.Trigger;

namespace ZmqGame.Tests.Trigger;

/// <summary>`trigger --broker a,b`: a cluster's control endpoints, tried in order until one answers.</summary>
[TestFixture]
public sealed class TriggerCliBrokerListTests
{
    [Test]
    public async Task Stats_ListWithADeadBrokerFirst_IsAnsweredByTheNext()
    {
        using var broker = new BrokerFixture();
        await RawZg.AssertServing(broker);
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var code = await TriggerCli.RunAsync(["stats", "--json", "--broker", ClientTestSupport.DeadEndpoint() + "," + broker.Control, "--timeout", "500ms"], stdout, stderr);

        Assert.That(code, Is.EqualTo(TriggerCli.ExitOk), stderr.ToString());
        Assert.That(stderr.ToString(), Does.Contain("no answer from the broker at").And.Contain("trying " + broker.Control));
        using var json = JsonDocument.Parse(stdout.ToString());
        Assert.That(json.RootElement.GetProperty("counters").GetProperty("replies").GetInt64(), Is.EqualTo(1));
    }

    [Test]
    public async Task Stats_NoBrokerOfTheListAnswers_ExitsNoBroker()
    {
        var stderr = new StringWriter();

        var code = await TriggerCli.RunAsync(
            ["stats", "--broker", ClientTestSupport.DeadEndpoint() + "," + ClientTestSupport.DeadEndpoint(), "--timeout", "300ms"], new StringWriter(), stderr);

        Assert.That(code, Is.EqualTo(TriggerCli.ExitNoBroker), stderr.ToString());
    }

    [Test]
    public async Task Stats_ListWithABadEntry_IsOneUsageLineAndExit2()
    {
        var stderr = new StringWriter();

        var code = await TriggerCli.RunAsync(["stats", "--broker", "tcp://127.0.0.1:5557,nonsense"], new StringWriter(), stderr);

        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr.ToString().Trim().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(stderr.ToString(), Does.Contain("--broker").And.Contain("nonsense"));
    }
}
