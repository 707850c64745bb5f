using System.Text.Json;
using ZmqGame.Protocol;
using ZmqGame.Tests.Support;

namespace ZmqGame.Tests.Cluster;

/// <summary>
/// Brokers joined in a cluster through a real nats-server with JetStream (docs/cluster.md): real broker processes on
/// free ports, clients speaking raw ZGC01, a ZmqGame worker and the trigger on whichever broker each test says.
/// </summary>
[TestFixture]
[Platform(Exclude = "Win")]
[NonParallelizable]
public sealed class BrokerClusterTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Test]
    public async Task SameUserLogsInOnAnotherBroker_FirstSessionEndsReplaced_SecondGetsTheUsersPushes()
    {
        using var cluster = await ClusterOnNats.StartAsync();
        var (a, b) = cluster;

        using var first = await a.LogInAsync("ann");
        using var second = await b.LogInAsync("ann");

        var (reason, text) = first.NextClosed();
        Assert.That(reason, Is.EqualTo(SessionCloseReason.Replaced), text);
        Assert.That(text, Does.Contain("another broker"));
        await a.WaitForGaugeAsync("sessions_logged_in", 0);

        var pushed = a.Act(SessionActions.Push, new ActionArgs { Users = ["ann"], Command = 5 });
        Assert.That(pushed.Sessions, Is.EqualTo(1), "the trigger on the first broker reaches ann where she is now");
        Assert.That(second.NextPush().Command, Is.EqualTo(5));
        Assert.That(b.Counter("sessions_closed.replaced") + a.Counter("sessions_closed.replaced"), Is.EqualTo(1));
    }

    [Test]
    public async Task SameUserLogsInOnTwoBrokersAtOnce_ExactlyOneSessionStays()
    {
        using var cluster = await ClusterOnNats.StartAsync();
        var (a, b) = cluster;
        using var onA = RawSessionClient.Welcomed(a.Frontend);
        using var onB = RawSessionClient.Welcomed(b.Frontend);

        var binds = await Task.WhenAll(
            Task.Run(() => a.Act(SessionActions.Bind, new ActionArgs { Session = onA.Id, User = "ann" })),
            Task.Run(() => b.Act(SessionActions.Bind, new ActionArgs { Session = onB.Id, User = "ann" })));
        Assert.That(binds.Select(r => r.Sessions), Is.EqualTo(new[] { 1, 1 }));

        await Eventually.True(() => a.Gauge("sessions_logged_in") + b.Gauge("sessions_logged_in") == 1, "one of the two logins ends", Patience);
        var (survivor, loser) = a.Gauge("sessions_logged_in") == 1 ? (onA, onB) : (onB, onA);
        Assert.That(loser.NextClosed().Reason, Is.EqualTo(SessionCloseReason.Replaced));
        Assert.That(b.Act(SessionActions.Push, new ActionArgs { Users = ["ann"], Command = 5 }).Sessions, Is.EqualTo(1));
        Assert.That(survivor.NextPush().Command, Is.EqualTo(5));
        Assert.That(a.Counter("sessions_closed.replaced") + b.Counter("sessions_closed.replaced"), Is.EqualTo(1));
    }

    [Test]
    public async Task WorkerPushesToUserGroupLoggedInAndAll_ThroughAnyBroker_EachSessionGetsEachPushOnce()
    {
        using var cluster = await ClusterOnNats.StartAsync(3);
        var (a, b, c) = cluster;

        using var ann = await a.LogInAsync("ann");
        using var bob = await b.LogInAsync("bob");
        using var guest = RawSessionClient.Welcomed(c.Frontend);
        var joined = c.Act(SessionActions.Join, new ActionArgs { Users = ["ann", "bob"], Group = "room:tavern ü.*>" });
        Assert.That(joined.Sessions, Is.EqualTo(2), "the trigger joins users held by other brokers");
        ann.NextWelcome();
        bob.NextWelcome();
        await a.WaitForGaugeAsync("cluster_interests", 2);
        await b.WaitForGaugeAsync("cluster_interests", 2);

        // From a worker on broker a: bob is reached through his user subject and the group's, and gets it once.
        a.WorkerAct(SessionActions.Push, new ActionArgs { Users = ["bob"], Groups = ["room:tavern ü.*>"], Command = 1 });
        a.WorkerAct(SessionActions.Push, new ActionArgs { All = true, LoggedIn = true, Command = 2 });
        a.WorkerAct(SessionActions.Push, new ActionArgs { All = true, Command = 3 });
        a.WorkerAct(SessionActions.Push, new ActionArgs { Sessions = [guest.Id], Command = 4 });
        a.WorkerAct(SessionActions.Push, new ActionArgs { All = true, Command = 99 });

        Assert.That(PushCounts.Until(ann, 99), Is.EqualTo(new Dictionary<int, int> { [1] = 1, [2] = 1, [3] = 1 }));
        Assert.That(PushCounts.Until(bob, 99), Is.EqualTo(new Dictionary<int, int> { [1] = 1, [2] = 1, [3] = 1 }));
        Assert.That(PushCounts.Until(guest, 99), Is.EqualTo(new Dictionary<int, int> { [3] = 1, [4] = 1 }));
        Assert.That(b.Counter("cluster.duplicates"), Is.EqualTo(1), "the push for bob and his group came to b twice and ran once");

        // From the trigger on broker c: the answer counts the sessions of the whole cluster.
        Assert.That(c.Act(SessionActions.Push, new ActionArgs { All = true, LoggedIn = true, Command = 7 }).Sessions, Is.EqualTo(2));
        Assert.That(c.Act(SessionActions.Push, new ActionArgs { All = true, Command = 8 }).Sessions, Is.EqualTo(3));
        Assert.That(c.Act(SessionActions.Push, new ActionArgs { Groups = ["room:tavern ü.*>"], Exclude = ["ann"], Command = 9 }).Sessions, Is.EqualTo(1));
        c.Act(SessionActions.Push, new ActionArgs { All = true, Command = 99 });
        Assert.That(PushCounts.Until(ann, 99), Is.EqualTo(new Dictionary<int, int> { [7] = 1, [8] = 1 }));
        Assert.That(PushCounts.Until(bob, 99), Is.EqualTo(new Dictionary<int, int> { [7] = 1, [8] = 1, [9] = 1 }));
        Assert.That(PushCounts.Until(guest, 99), Is.EqualTo(new Dictionary<int, int> { [8] = 1 }));
    }

    [Test]
    public async Task Interest_ABrokerGetsOnlyThePushesForUsersAndGroupsItHolds()
    {
        using var cluster = await ClusterOnNats.StartAsync();
        var (a, b) = cluster;
        using var ann = await a.LogInAsync("ann");
        var before = b.Counter("cluster.actions_run");

        for (var i = 0; i < 20; i++)
        {
            a.WorkerAct(SessionActions.Push, new ActionArgs { Users = ["nobody-here"], Groups = ["empty-room"], Command = 1 });
        }

        a.WorkerAct(SessionActions.Push, new ActionArgs { All = true, Command = 99 });
        Assert.That(PushCounts.Until(ann, 99), Is.Empty);
        await b.WaitForCounterAsync("cluster.actions_run", before + 1);
        Assert.That(b.Counter("cluster.actions_run") - before, Is.EqualTo(1), "only the broadcast reached b, not the 20 pushes for a user and a group it does not hold");
        Assert.That(b.Counter("cluster.duplicates"), Is.Zero);
    }

    [Test]
    public async Task TriggerKicksAndReadsStats_ThroughOneBroker_ReachingTheWholeCluster()
    {
        using var twoBrokers = await ClusterOnNats.StartAsync();
        var (a, b) = twoBrokers;
        using var ann = await a.LogInAsync("ann");
        using var bob = await b.LogInAsync("bob");

        b.WorkerAct(SessionActions.Push, new ActionArgs { Users = ["nobody"], Command = 1 });
        await b.WaitForGaugeAsync("workers", 1);
        await using (var trigger = await ZmqGame.Trigger.TriggerClient.ConnectAsync(a.Control))
        {
            var stats = await trigger.StatsAsync();
            Assert.That(stats.Broker, Is.Not.Null);
            Assert.That(stats.Brokers.Keys.ToList(), Has.Count.EqualTo(2).And.Contain(stats.Broker));
            Assert.That(stats.ClusterTotal!.Gauges["sessions_logged_in"], Is.EqualTo(2));
            Assert.That(stats.ClusterTotal.Workers, Is.EqualTo(1));
            Assert.That(stats.Workers, Is.Zero, "the answering broker's own figures stay at the top");
        }

        using (var status = ProcessUnderTest.Start("ZmqGame.Trigger.Cli", "workers", "status", "--broker", a.Control))
        {
            Assert.That(await status.WaitForExitAsync(Patience), Is.Zero, status.Output);
            Assert.That(status.Lines.Count(l => l.StartsWith("broker ", StringComparison.Ordinal)), Is.EqualTo(2), status.Output);
            Assert.That(status.Output, Does.Contain("(answering)").And.Contain("1 worker(s) on 2 broker(s)"));
        }

        using (var stats = ProcessUnderTest.Start("ZmqGame.Trigger.Cli", "stats", "--json", "--broker", a.Control))
        {
            Assert.That(await stats.WaitForExitAsync(Patience), Is.Zero, stats.Output);
            var json = JsonDocument.Parse(stats.Output.Trim()).RootElement;
            Assert.That(json.GetProperty("sessions").GetInt64(), Is.EqualTo(1), "the top level is the answering broker's own");
            var cluster = json.GetProperty("cluster");
            Assert.That(cluster.GetProperty("brokers").EnumerateObject().Count(), Is.EqualTo(2));
            Assert.That(cluster.GetProperty("brokers").EnumerateObject().Select(p => p.Value.GetProperty("sessions_logged_in").GetInt64()), Is.EqualTo(new[] { 1L, 1L }));
            Assert.That(cluster.GetProperty("total").GetProperty("sessions_logged_in").GetInt64(), Is.EqualTo(2));
            Assert.That(cluster.GetProperty("total").GetProperty("cluster_connected").GetInt64(), Is.EqualTo(2));
        }

        using var kick = ProcessUnderTest.Start("ZmqGame.Trigger.Cli", "kick", "--user", "bob", "--reason", "AFK too long", "--broker", a.Control);
        Assert.That(await kick.WaitForExitAsync(Patience), Is.Zero, kick.Output);
        Assert.That(kick.Output, Does.Contain("kicked 1 session"));
        Assert.That(bob.NextClosed(), Is.EqualTo((SessionCloseReason.Kicked, "AFK too long")));
        await b.WaitForGaugeAsync("sessions", 0);
        Assert.That(a.Gauge("sessions"), Is.EqualTo(1), "ann, on the broker the trigger spoke to, was not kicked");

        a.Process.Terminate();
        Assert.That(await a.Process.WaitForExitAsync(Patience), Is.Zero, a.Process.Output);
    }

    [Test]
    public async Task GarbageOnTheClustersSubjects_IsCountedAndDropped_AndTheBrokerGoesOn()
    {
        using var cluster = await ClusterOnNats.StartAsync();
        var (a, b) = cluster;
        using var bob = await b.LogInAsync("bob");

        // A stranger on NATS, speaking its text protocol: two messages that are no broker's.
        using (var stranger = new System.Net.Sockets.TcpClient())
        {
            await stranger.ConnectAsync("127.0.0.1", new Uri(cluster.Nats.Url).Port);
            var stream = stranger.GetStream();
            var garbage = System.Text.Encoding.ASCII.GetBytes("CONNECT {\"verbose\":false}\r\nPUB zmqgame.all 5\r\nhello\r\nPUB zmqgame.all 2\r\n\x81\xa4\r\nPING\r\n");
            await stream.WriteAsync(garbage);
            var answer = new byte[512];
            var read = 0;
            while (!System.Text.Encoding.ASCII.GetString(answer, 0, read).Contains("PONG", StringComparison.Ordinal))
            {
                read += await stream.ReadAsync(answer.AsMemory(read));
            }
        }

        await b.WaitForCounterAsync("cluster.bad_messages", 2);
        Assert.That(b.Process.Output, Does.Contain("Cluster message dropped"));
        Assert.That(a.Act(SessionActions.Push, new ActionArgs { Users = ["bob"], Command = 1 }).Sessions, Is.EqualTo(1));
        Assert.That(bob.NextPush().Command, Is.EqualTo(1));
    }

    [Test]
    public async Task SessionResumedOnAnotherBroker_MovesThere_WithoutAnEndOnTheFirst()
    {
        using var cluster = await ClusterOnNats.StartAsync();
        var (a, b) = cluster;
        using var ann = await a.LogInAsync("ann");
        a.Act(SessionActions.Join, new ActionArgs { Users = ["ann"], Group = "room" });
        ann.NextWelcome();

        // The client fails over: the same ticket on the other broker (the key is the cluster's).
        using var moved = new RawSessionClient(b.Frontend);
        var welcome = moved.Hello(ticket: ann.Ticket);
        Assert.That((welcome.Resumed, welcome.Session, welcome.User, welcome.Groups), Is.EqualTo((true, ann.Id, "ann", new[] { "room" })));

        await a.WaitForGaugeAsync("sessions", 0);
        Assert.That(a.Counter("sessions_moved"), Is.EqualTo(1));
        Assert.That(a.Counter("sessions_closed.replaced") + a.Counter("sessions_closed.expired"), Is.Zero, "a moved session is not ended");
        Assert.That(a.Act(SessionActions.Push, new ActionArgs { Groups = ["room"], Command = 6 }).Sessions, Is.EqualTo(1));
        Assert.That(moved.NextPush().Command, Is.EqualTo(6));
    }

    [Test]
    public async Task NatsRestarts_LocalTrafficGoesOn_AndClusterPushesWorkAgainAfter()
    {
        using var cluster = await ClusterOnNats.StartAsync();
        var (a, b) = cluster;
        using var ann = await a.LogInAsync("ann");
        using var bob = await b.LogInAsync("bob");

        cluster.Nats.Kill();
        await a.WaitForGaugeAsync("cluster_connected", 0);
        await b.WaitForGaugeAsync("cluster_connected", 0);

        // Local traffic: new sessions, logins, pushes and trigger answers on each broker.
        using var cid = RawSessionClient.Welcomed(a.Frontend);
        Assert.That(a.Act(SessionActions.Bind, new ActionArgs { Session = cid.Id, User = "cid" }).Sessions, Is.EqualTo(1));
        Assert.That(a.Act(SessionActions.Push, new ActionArgs { All = true, LoggedIn = true, Command = 1 }).Sessions, Is.EqualTo(2));
        a.WorkerAct(SessionActions.Push, new ActionArgs { Users = ["bob"], Command = 2 });
        Assert.That(ann.NextPush().Command, Is.EqualTo(1));
        await a.WaitForCounterAsync("cluster.dropped", 1);

        await cluster.Nats.RestartAsync();
        await a.WaitForCounterAsync("cluster.reconnects", 1);
        await b.WaitForCounterAsync("cluster.reconnects", 1);
        await a.WaitForGaugeAsync("cluster_logins", 2);
        await b.WaitForGaugeAsync("cluster_logins", 1);
        await a.WaitForGaugeAsync("cluster_brokers", 2);

        a.WorkerAct(SessionActions.Push, new ActionArgs { Users = ["bob"], Command = 3 });
        a.WorkerAct(SessionActions.Push, new ActionArgs { All = true, Command = 99 });
        Assert.That(PushCounts.Until(bob, 99), Is.EqualTo(new Dictionary<int, int> { [3] = 1 }), "the push sent while NATS was down is lost; the one after arrives");
    }

    [Test]
    public async Task OneBrokerCutOffFromNats_ServesLocally_AndTheNewestLoginWinsWhenItIsBack()
    {
        using var nats = await NatsServer.StartAsync();
        using var relay = new TcpRelay(new Uri(nats.Url).Port);
        using var a = await ClusterBroker.StartAsync($"nats://127.0.0.1:{relay.Port}");
        using var b = await ClusterBroker.StartAsync(nats.Url);
        await a.WaitForGaugeAsync("cluster_brokers", 2);
        await b.WaitForGaugeAsync("cluster_brokers", 2);
        using var bob = await b.LogInAsync("bob");

        relay.Cut();
        await a.WaitForGaugeAsync("cluster_connected", 0);
        await b.WaitForGaugeAsync("cluster_brokers", 1);
        Assert.That(b.Gauge("cluster_connected"), Is.EqualTo(1));

        // Cut off, a knows nothing of bob on b: bob logs in on a too, and both sessions live for now.
        using var bobAgain = RawSessionClient.Welcomed(a.Frontend);
        Assert.That(a.Act(SessionActions.Bind, new ActionArgs { Session = bobAgain.Id, User = "bob" }).Sessions, Is.EqualTo(1));
        Assert.That(b.Act(SessionActions.Push, new ActionArgs { Users = ["bob"], Command = 1 }).Sessions, Is.EqualTo(1));
        Assert.That(bob.NextPush().Command, Is.EqualTo(1));

        // Back: a puts its records again; its login of bob is the newest, so the session on b ends replaced.
        relay.Mend();
        await a.WaitForCounterAsync("cluster.reconnects", 1);
        var (reason, _) = bob.NextClosed();
        Assert.That(reason, Is.EqualTo(SessionCloseReason.Replaced));
        await b.WaitForGaugeAsync("cluster_brokers", 2);
        Assert.That(b.Act(SessionActions.Push, new ActionArgs { Users = ["bob"], Command = 2 }).Sessions, Is.EqualTo(1));
        Assert.That(bobAgain.NextPush().Command, Is.EqualTo(2));
    }
}
