using ZmqGame.Tests.Support;

namespace ZmqGame.Tests.EndToEnd;

/// <summary>
/// Clients failing over between broker processes, under load, every request counted: a broker killed (kill -9), and a
/// rolling restart of lame-duck brokers (SIGTERM). Both with brokers that share only a session key file (a worker on
/// each) and with a cluster on a real nats-server (one worker attached to every broker, lame duck on by default).
/// </summary>
[TestFixture]
[Platform(Exclude = "Win")]
[NonParallelizable]
public sealed class FailoverTests
{
    private static readonly TimeSpan Patience = BrokerCluster.Patience;

    [TestCase(false, TestName = "{m}(key file)")]
    [TestCase(true, TestName = "{m}(NATS)")]
    public async Task BrokerKilledUnderLoad_ClientsResumeOnAnother_IdempotentRequestsGoAgain_OthersEndBrokerLost(bool nats)
    {
        await using var cluster = await BrokerCluster.StartAsync(2, nats ? BrokerCluster.Engine.Nats : BrokerCluster.Engine.KeyFile);
        await using var load = await FailoverLoad.StartAsync(cluster.Frontends, clients: 8, workMs: 30);
        await load.WaitForOkAsync(200, Patience);
        var sessions = load.Clients.Select(c => c.Session!.Id).ToArray();

        // The broker that holds the most clients dies.
        var victim = Enumerable.Range(0, cluster.Count).MaxBy(i => load.Clients.Count(c => c.Endpoint == cluster.Frontend(i)));
        var moved = load.Clients.Count(c => c.Endpoint == cluster.Frontend(victim));
        // With a worker per broker, the kill comes while the dead broker's worker runs a request of the idempotent route.
        var hold = nats ? null : cluster.HoldIdempotentOn(victim);
        if (hold is not null)
        {
            await hold.Entered.WaitAsync(Patience);
        }

        await cluster.KillAsync(victim);
        hold?.Release();

        await Eventually.True(() => load.Clients.All(c => c.Endpoint != cluster.Frontend(victim) && c.Session is not null),
            "every client left the dead broker", Patience, load.Describe);
        await load.WaitForOkAsync(200, Patience);
        Assert.That(await load.StopAsync(), Is.Zero, "unanswered requests; " + load.Describe());
        TestContext.Out.WriteLine($"{moved} client(s) moved; {load.Describe()}");

        Assert.That(load.Errors.Keys, Is.SubsetOf(new[] { "once/BrokerLost" }), "only requests of the route that is not idempotent fail; " + load.Describe());
        Assert.That(load.Errors.GetValueOrDefault("once/BrokerLost"), Is.InRange(1, moved),
            "each moved client had its one request of that route in flight on the dead broker at most; " + load.Describe());
        // With a worker per broker, the dead broker's worker was running a request of the idempotent route (the hold), which
        // ran again behind the new broker. A worker attached to both may have held none for the dead broker at that instant.
        Assert.That(cluster.IdempotentRuns, nats ? Is.GreaterThanOrEqualTo(load.OkOf("idempotent")) : Is.GreaterThan(load.OkOf("idempotent")),
            "every idempotent request that succeeded ran; those in flight on the dead broker ran again behind the new one");
        for (var i = 0; i < load.Clients.Count; i++)
        {
            var client = load.Clients[i];
            Assert.That(client.Session!.Id, Is.EqualTo(sessions[i]), "the session resumed, not a new one");
            Assert.That(client.Session.UserId, Is.EqualTo(FailoverLoad.UserOf(i)));
            Assert.That(client.Session.Groups, Is.EqualTo(new[] { "room:" + FailoverLoad.UserOf(i) }));
            var whoAmI = await client.RequestAsync<FailoverRoutes.Name, FailoverRoutes.Name>("game", FailoverRoutes.WhoAmI, new FailoverRoutes.Name(string.Empty));
            Assert.That(whoAmI.Value, Is.EqualTo(FailoverLoad.UserOf(i)), "the worker behind the new broker sees the binding");
        }
    }

    [TestCase(false, TestName = "{m}(key file)")]
    [TestCase(true, TestName = "{m}(NATS)")]
    public async Task RollingRestartOfLameDuckBrokersUnderLoad_NoRequestFails_AndClientsSpreadAgain(bool nats)
    {
        await using var cluster = nats
            ? await BrokerCluster.StartAsync(3, BrokerCluster.Engine.Nats, "--Broker:LameDuckTimeout", "20s") // lame duck: on by default in a cluster
            : await BrokerCluster.StartAsync(3, BrokerCluster.Engine.KeyFile, "--Broker:LameDuck", "true", "--Broker:LameDuckTimeout", "20s");
        await using var load = await FailoverLoad.StartAsync(cluster.Frontends, clients: 9, workMs: 30);
        await load.WaitForOkAsync(100, Patience);

        for (var i = 0; i < cluster.Count; i++)
        {
            var broker = cluster.Process(i);
            Assert.That(await cluster.TerminateAsync(i), Is.Zero, broker.Output);
            Assert.That(broker.Output, Does.Contain("Lame duck done"), "every client moved and every request was answered before the exit");
            // A client may be between two brokers at the exit (the lame duck's connection closed, the next not yet open).
            await Eventually.True(() => load.Clients.All(c => c.Endpoint != cluster.Frontend(i)), "no client stays on the stopped broker", Patience, load.Describe);
            await cluster.RestartAsync(i);
            await load.WaitForOkAsync(100, Patience);
        }

        Assert.That(await load.StopAsync(), Is.Zero, "unanswered requests; " + load.Describe());
        TestContext.Out.WriteLine(load.Describe());
        Assert.That(load.Errors, Is.Empty, load.Describe());
        Assert.That(load.Clients.Select(c => c.Endpoint).Distinct().Count(), Is.GreaterThan(1), "the clients are spread over the brokers: " + load.Describe());
        for (var i = 0; i < load.Clients.Count; i++)
        {
            Assert.That(load.Clients[i].Session!.UserId, Is.EqualTo(FailoverLoad.UserOf(i)), "the session moved with its user");
        }
    }

    [Test]
    public async Task NatsServerKilledAndRestartedUnderLoad_NoRequestFailsOrHangs_AndTheBrokersRelink()
    {
        await using var cluster = await BrokerCluster.StartAsync(2, BrokerCluster.Engine.Nats);
        await using var load = await FailoverLoad.StartAsync(cluster.Frontends, clients: 8, workMs: 10);
        await load.WaitForOkAsync(100, Patience);
        var brokers = load.Clients.Select(c => c.Endpoint).ToArray();

        cluster.Nats.Kill();
        for (var i = 0; i < cluster.Count; i++)
        {
            await cluster.Process(i).WaitForLineAsync("Cluster link to NATS lost", Patience);
        }

        await load.WaitForOkAsync(load.Ok + 200, Patience);
        await cluster.Nats.RestartAsync();
        for (var i = 0; i < cluster.Count; i++)
        {
            await cluster.Process(i).WaitForLineAsync("Cluster link to NATS back", Patience);
        }

        await load.WaitForOkAsync(load.Ok + 200, Patience);
        Assert.That(await load.StopAsync(), Is.Zero, "unanswered requests; " + load.Describe());
        TestContext.Out.WriteLine(load.Describe());
        Assert.That(load.Errors, Is.Empty, "NATS is not on the request path: " + load.Describe());
        Assert.That(load.Clients.Select(c => c.Endpoint), Is.EqualTo(brokers), "no client had to move: " + load.Describe());
    }
}
