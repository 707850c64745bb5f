using NetMQ;
using NetMQ.Sockets;
using ZmqGame.Broker;
using ZmqGame.Protocol;
using ZmqGame.Tests.Support;
using static ZmqGame.Tests.Support.Raw;

namespace ZmqGame.Tests.Broker;

/// <summary>The broker's session layer, spoken to with raw ZGC01 clients and raw ZmqGame workers.</summary>
[TestFixture]
[NonParallelizable]
public sealed class SessionTests
{
    private static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    [Test]
    public async Task Hello_NewSession_WelcomesAndSendsConnectedEventToAWorkerOfItsService()
    {
        using var broker = new BrokerFixture();
        var service = Unique("lobby");
        using var worker = await RawZgWorker.StartAsync(broker, service);
        using var client = new RawSessionClient(broker.Frontend);

        var welcome = client.Hello(service);
        var (header, session, _) = worker.NextEvent();

        Assert.That(welcome.Session, Is.Not.Zero);
        Assert.That(welcome.Resumed, Is.False);
        Assert.That(welcome.TimeoutMs, Is.EqualTo((uint)broker.Options.SessionTimeout.TotalMilliseconds));
        Assert.That(header.Type, Is.EqualTo(SessionEventType.Connected));
        Assert.That(session.SessionId, Is.EqualTo(welcome.Session));
        Assert.That(session.UserId, Is.Null);
    }

    [Test]
    public async Task Request_FromASession_ReachesAZmqGameWorkerWithItsSessionFrameAndUser()
    {
        using var broker = new BrokerFixture();
        var service = Unique("game");
        using var worker = await RawZgWorker.StartAsync(broker, service);
        using var client = RawSessionClient.Welcomed(broker.Frontend);
        worker.Act(SessionActions.Bind, new ActionArgs { Session = client.Id, User = "ann", Flags = 5 });
        Assert.That(client.NextWelcome().User, Is.EqualTo("ann"));

        RawZg.SendRequest(client.Socket, service, 9, 0, B("hi"));
        var frames = ReceiveUntil(worker.Socket, f => IsWorkerCommand(f, 0x02));
        Assert.That(frames, Has.Count.EqualTo(8), "[\"\"][MDPW01][0x02][client][\"\"][request header][session frame][payload], nothing more");
        Assert.That(S(frames[7]), Is.EqualTo("hi"));
        Assert.That(SessionContext.TryRead(frames[6], out var session), Is.True);
        Assert.That(RequestHeader.TryRead(frames[5], out var header), Is.True);
        worker.Reply(frames[3], header.RequestId, B("ok"));

        Assert.That(session.SessionId, Is.EqualTo(client.Id));
        Assert.That(session.UserId, Is.EqualTo("ann"));
        Assert.That(session.Flags, Is.EqualTo(5UL));
        Assert.That(RawZg.ReceiveReply(client.Socket, 9).Status, Is.Zero);
    }

    [Test]
    public async Task SessionRequest_NamingThisConnectionsSession_IsServedWithIt_AndNamingAnother_IsAnsweredNoSession()
    {
        using var broker = new BrokerFixture();
        var service = Unique("game");
        using var worker = await RawZgWorker.StartAsync(broker, service);
        using var client = RawSessionClient.Welcomed(broker.Frontend);

        Send(client.Socket, [], B("ZGC01"), [ZgClient.SessionRequest], FakeSessionId(client.Id), B(service), RawZg.RequestHeader(1, 1, 0), B("mine"));
        var (address, header, session) = worker.NextRequest();
        worker.Reply(address, header.RequestId, B("ok"));
        Assert.That(session.SessionId, Is.EqualTo(client.Id));
        Assert.That(client.Next(f => f.Count >= 4 && f[2][0] == ZgClient.Reply)[3][12], Is.Zero);

        Send(client.Socket, [], B("ZGC01"), [ZgClient.SessionRequest], FakeSessionId(client.Id + 1), B(service), RawZg.RequestHeader(2, 1, 0), B("not mine"));
        var reply = client.Next(f => f.Count >= 4 && f[2][0] == ZgClient.Reply);
        Assert.That((Status)reply[3][12], Is.EqualTo(Status.NoSession));
        Assert.That(client.Next(f => f.Count == 3 && f[2][0] == ZgClient.NoSession), Is.Not.Null, "and NO SESSION, so the client resumes");
        Assert.That(broker.Stats.NoSessionRequests, Is.EqualTo(1));
        var nothing = new List<byte[]>();
        Assert.That(worker.Socket.TryReceiveMultipartBytes(TimeSpan.FromMilliseconds(200), ref nothing), Is.False, "it did not run");
    }

    /// <summary>Binds the session of <paramref name="client"/> to <paramref name="user"/> from the worker, and takes the WELCOME that says so.</summary>
    private static void LogIn(RawZgWorker worker, RawSessionClient client, string user)
    {
        worker.Act(SessionActions.Bind, new ActionArgs { Session = client.Id, User = user });
        client.NextWelcome();
    }

    private static byte[] FakeSessionId(ulong id)
    {
        var bytes = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(bytes, id);
        return bytes;
    }

    [Test]
    public async Task Request_ToAStockMdpWorker_CarriesNoSessionFrame()
    {
        using var broker = new BrokerFixture();
        var service = Unique("stock");
        using var worker = await broker.RawWorkerAsync(service);
        using var client = RawSessionClient.Welcomed(broker.Frontend);

        RawZg.SendRequest(client.Socket, service, 3, 0, B("body"));
        var request = ReceiveUntil(worker, f => IsWorkerCommand(f, 0x02));

        Assert.That(request, Has.Count.EqualTo(7), "[\"\"][MDPW01][0x02][client][\"\"][request header][payload]");
        Assert.That(S(request[6]), Is.EqualTo("body"));
    }

    [Test]
    public async Task Push_ToAUser_ReachesOnlyThatUsersSession()
    {
        using var broker = new BrokerFixture();
        using var worker = await RawZgWorker.StartAsync(broker, Unique("game"));
        using var ann = RawSessionClient.Welcomed(broker.Frontend);
        using var bob = RawSessionClient.Welcomed(broker.Frontend);
        LogIn(worker, bob, "bob");

        worker.Act(SessionActions.Push, new ActionArgs { Users = ["bob"], Command = 42 }, B("for bob"));

        var (command, payload) = bob.NextPush();
        Assert.That(command, Is.EqualTo(42));
        Assert.That(S(payload), Is.EqualTo("for bob"));
        Assert.That(ann.NextCommandAfterHeartbeat(), Is.EqualTo(ZgClient.Heartbeat), "ann got nothing before her heartbeat answer");
    }

    [Test]
    public async Task Group_JoinPushLeave_ReachesMembersOnlyWhileTheyAreIn()
    {
        using var broker = new BrokerFixture();
        using var worker = await RawZgWorker.StartAsync(broker, Unique("game"));
        using var a = RawSessionClient.Welcomed(broker.Frontend);
        using var b = RawSessionClient.Welcomed(broker.Frontend);
        using var c = RawSessionClient.Welcomed(broker.Frontend);

        worker.Act(SessionActions.Join, new ActionArgs { Sessions = [a.Id, b.Id], Group = "room:1" });
        Assert.That(a.NextWelcome().Groups, Is.EqualTo(new[] { "room:1" }));
        b.NextWelcome();
        worker.Act(SessionActions.Push, new ActionArgs { Groups = ["room:1"], Command = 7 }, B("one"));
        Assert.That(S(a.NextPush().Payload), Is.EqualTo("one"));
        Assert.That(S(b.NextPush().Payload), Is.EqualTo("one"));
        Assert.That(c.NextCommandAfterHeartbeat(), Is.EqualTo(ZgClient.Heartbeat));

        worker.Act(SessionActions.Leave, new ActionArgs { Sessions = [a.Id], Group = "room:1" });
        Assert.That(a.NextWelcome().Groups, Is.Empty);
        worker.Act(SessionActions.Push, new ActionArgs { Groups = ["room:1"], Command = 7 }, B("two"));

        Assert.That(S(b.NextPush().Payload), Is.EqualTo("two"));
        Assert.That(a.NextCommandAfterHeartbeat(), Is.EqualTo(ZgClient.Heartbeat), "a left before the second push");
    }

    [Test]
    public async Task Broadcast_ToNSessions_ReachesExactlyN_AndTheControlAnswerSaysN()
    {
        const int n = 40;
        using var broker = new BrokerFixture();
        var clients = Enumerable.Range(0, n).Select(_ => new RawSessionClient(broker.Frontend)).ToList();
        try
        {
            foreach (var client in clients)
            {
                client.Hello();
            }

            using var admin = new DealerSocket(broker.Control);
            var result = RawControl.Act(admin, SessionActions.Push, new ActionArgs { All = true, Command = 1, Exclude = ["nobody"] }, B("news"));

            Assert.That(result.Sessions, Is.EqualTo(n));
            Assert.That(result.Dropped, Is.Zero);
            foreach (var client in clients)
            {
                Assert.That(S(client.NextPush().Payload), Is.EqualTo("news"));
                Assert.That(client.NextCommandAfterHeartbeat(), Is.EqualTo(ZgClient.Heartbeat), "exactly one push each");
            }

            Assert.That(await broker.Server.InvokeAsync(() => broker.Stats.PushDeliveries), Is.EqualTo(n));
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [Test]
    public async Task Broadcast_LoggedInOnly_SkipsAnonymousSessions()
    {
        using var broker = new BrokerFixture();
        using var worker = await RawZgWorker.StartAsync(broker, Unique("game"));
        using var anonymous = RawSessionClient.Welcomed(broker.Frontend);
        using var member = RawSessionClient.Welcomed(broker.Frontend);
        LogIn(worker, member, "m");

        using var admin = new DealerSocket(broker.Control);
        var result = RawControl.Act(admin, SessionActions.Push, new ActionArgs { All = true, LoggedIn = true, Command = 2 }, B("x"));

        Assert.That(result.Sessions, Is.EqualTo(1));
        Assert.That(member.NextPush().Command, Is.EqualTo(2));
        Assert.That(anonymous.NextCommandAfterHeartbeat(), Is.EqualTo(ZgClient.Heartbeat));
    }

    [Test]
    public async Task Kick_SendsTheNoticeThenEnds_AndTheCloseEventReachesAWorkerOnce()
    {
        using var broker = new BrokerFixture();
        var service = Unique("lobby");
        using var worker = await RawZgWorker.StartAsync(broker, service);
        using var client = RawSessionClient.Welcomed(broker.Frontend, service);
        Assert.That(worker.NextEvent().Header.Type, Is.EqualTo(SessionEventType.Connected));
        LogIn(worker, client, "cheater");

        using var admin = new DealerSocket(broker.Control);
        var result = RawControl.Act(admin, SessionActions.Kick, new ActionArgs { Users = ["cheater"], Reason = "speed hack" });

        Assert.That(result.Sessions, Is.EqualTo(1));
        var (reason, text) = client.NextClosed();
        Assert.That(reason, Is.EqualTo(SessionCloseReason.Kicked));
        Assert.That(text, Is.EqualTo("speed hack"));
        var closed = worker.NextEvent();
        Assert.That(closed.Header.Type, Is.EqualTo(SessionEventType.Closed));
        Assert.That(closed.Header.Reason, Is.EqualTo(SessionCloseReason.Kicked));
        Assert.That(closed.Session.UserId, Is.EqualTo("cheater"));
        Assert.That(S(closed.Payload), Is.EqualTo("speed hack"));

        // Exactly once: the next event the worker sees is a new session's, not a second close.
        using var sentinel = RawSessionClient.Welcomed(broker.Frontend, service);
        var next = worker.NextEvent();
        Assert.That(next.Header.Type, Is.EqualTo(SessionEventType.Connected));
        Assert.That(next.Session.SessionId, Is.EqualTo(sentinel.Id));
        Assert.That(RawControl.Act(admin, SessionActions.Push, new ActionArgs { Users = ["cheater"], Command = 1 }).Sessions, Is.Zero, "the user is gone");
    }

    [Test]
    public async Task Login_OfTheSameUserElsewhere_ReplacesTheOlderSession()
    {
        using var broker = new BrokerFixture();
        var service = Unique("lobby");
        using var worker = await RawZgWorker.StartAsync(broker, service);
        using var first = new RawSessionClient(broker.Frontend);
        using var second = new RawSessionClient(broker.Frontend);
        first.Hello(service);
        worker.NextEvent();
        second.Hello(service);
        worker.NextEvent();

        LogIn(worker, first, "ann");
        worker.Act(SessionActions.Bind, new ActionArgs { Session = second.Id, User = "ann" });

        Assert.That(first.NextClosed().Reason, Is.EqualTo(SessionCloseReason.Replaced));
        Assert.That(second.NextWelcome().User, Is.EqualTo("ann"));
        var closed = worker.NextEvent();
        Assert.That(closed.Header.Reason, Is.EqualTo(SessionCloseReason.Replaced));
        Assert.That(closed.Session.SessionId, Is.EqualTo(first.Id));
        worker.Act(SessionActions.Push, new ActionArgs { Users = ["ann"], Command = 3 }, B("to the new one"));
        Assert.That(S(second.NextPush().Payload), Is.EqualTo("to the new one"));
    }

    [Test]
    public async Task SilentSession_Expires_AndItsCloseEventFiresOnce()
    {
        using var broker = new BrokerFixture(o => o.SessionTimeout = TimeSpan.FromMilliseconds(300));
        var service = Unique("lobby");
        using var worker = await RawZgWorker.StartAsync(broker, service);
        using var client = RawSessionClient.Welcomed(broker.Frontend, service);
        worker.NextEvent();

        var closed = worker.NextEvent();

        Assert.That(closed.Header.Type, Is.EqualTo(SessionEventType.Closed));
        Assert.That(closed.Header.Reason, Is.EqualTo(SessionCloseReason.Expired));
        Assert.That(closed.Session.SessionId, Is.EqualTo(client.Id));
        Assert.That(await broker.Server.InvokeAsync(() => (broker.Stats.SessionsExpired, broker.Server.Sessions.Count)), Is.EqualTo((1L, 0)));
        Assert.That(client.NextClosed().Reason, Is.EqualTo(SessionCloseReason.Expired));
    }

    [Test]
    public async Task Resume_OnANewConnectionWithTheTicket_KeepsTheSessionAndBinding_WithoutEvents()
    {
        using var broker = new BrokerFixture();
        var service = Unique("lobby");
        using var worker = await RawZgWorker.StartAsync(broker, service);
        var first = RawSessionClient.Welcomed(broker.Frontend, service);
        worker.NextEvent();
        LogIn(worker, first, "ann");
        var id = first.Id;
        var ticket = first.Ticket;
        first.Dispose();
        await Eventually.True(() => broker.Server.InvokeAsync(() => broker.Server.Sessions.Detached == 1), "the session is detached");
        worker.Act(SessionActions.Push, new ActionArgs { Users = ["ann"], Command = 4 }, B("while away"));

        using var again = new RawSessionClient(broker.Frontend);
        var welcome = again.Hello(service, ticket);

        Assert.That(welcome.Resumed, Is.True);
        Assert.That(welcome.Session, Is.EqualTo(id));
        Assert.That(welcome.User, Is.EqualTo("ann"));
        Assert.That(S(again.NextPush().Payload), Is.EqualTo("while away"), "queued while detached");
        using var sentinel = RawSessionClient.Welcomed(broker.Frontend, service);
        Assert.That(worker.NextEvent().Session.SessionId, Is.EqualTo(sentinel.Id), "no event for the resume");
    }

    [Test]
    public void Resume_AfterABrokerRestartWithTheSameKey_KeepsTheBinding()
    {
        var keyFile = Path.Combine(Path.GetTempPath(), Unique("zmqgame-key"));
        try
        {
            ulong id;
            byte[] ticket;
            string frontend;
            using (var broker = new BrokerFixture(o => o.SessionKeyFile = keyFile))
            {
                frontend = broker.Frontend;
                using var client = RawSessionClient.Welcomed(broker.Frontend);
                using var admin = new DealerSocket(broker.Control);
                RawControl.Act(admin, SessionActions.Bind, new ActionArgs { Session = client.Id, User = "ann", Flags = 3 });
                RawControl.Act(admin, SessionActions.Join, new ActionArgs { Sessions = [client.Id], Group = "room:9" });
                client.NextWelcome();
                client.NextWelcome();
                (id, ticket) = (client.Id, client.Ticket);
            }

            using var restarted = new BrokerFixture(o => o.SessionKeyFile = keyFile);
            using var resumed = new RawSessionClient(restarted.Frontend);
            var welcome = resumed.Hello(ticket: ticket);

            Assert.That(welcome.Resumed, Is.True);
            Assert.That(welcome.Session, Is.EqualTo(id));
            Assert.That(welcome.User, Is.EqualTo("ann"));
            Assert.That(welcome.Flags, Is.EqualTo(3UL));
            Assert.That(welcome.Groups, Is.EqualTo(new[] { "room:9" }));
        }
        finally
        {
            File.Delete(keyFile);
        }
    }

    [Test]
    public void Resume_OfAClosedSession_IsRefusedAsExpired()
    {
        using var broker = new BrokerFixture();
        using var client = RawSessionClient.Welcomed(broker.Frontend);
        var ticket = client.Ticket;
        client.Close();
        Assert.That(client.NextClosed().Reason, Is.EqualTo(SessionCloseReason.ClientClosed));

        using var again = new RawSessionClient(broker.Frontend);
        Send(again.Socket, [], B("ZGC01"), [ZgClient.Hello], [], ticket);

        var (reason, text) = again.NextClosed();
        Assert.That(reason, Is.EqualTo(SessionCloseReason.Expired));
        Assert.That(text, Does.Contain("session expired"));
    }

    [Test]
    public void Resume_WithAForgedTicket_IsRefusedAndCounted()
    {
        using var broker = new BrokerFixture();
        using var client = RawSessionClient.Welcomed(broker.Frontend);
        var forged = client.Ticket.ToArray();
        forged[^1] ^= 0xFF;

        using var again = new RawSessionClient(broker.Frontend);
        Send(again.Socket, [], B("ZGC01"), [ZgClient.Hello], [], forged);

        Assert.That(again.NextClosed().Reason, Is.EqualTo(SessionCloseReason.Expired));
        Assert.That(broker.Stats.BadInputCount(BadInput.BadTicket), Is.EqualTo(1));
    }

    [Test]
    public void Heartbeat_NamingASessionThisConnectionDoesNotHave_IsAnsweredNoSession()
    {
        using var broker = new BrokerFixture();
        using var client = RawSessionClient.Welcomed(broker.Frontend);

        client.Heartbeat(sessionId: client.Id + 1);

        var answer = ReceiveUntil(client.Socket, f => f.Count == 3 && S(f[1]) == "ZGC01");
        Assert.That(answer[2][0], Is.EqualTo(ZgClient.NoSession));
    }

    [Test]
    public async Task CloseEvent_OfASessionWhoseConnectedEventIsStillPending_WaitsForIt()
    {
        using var broker = new BrokerFixture();
        var service = Unique("lobby");
        using var client = RawSessionClient.Welcomed(broker.Frontend, service);
        client.Close();
        client.NextClosed();

        // No worker yet: both events wait; the first worker gets connected, then closed.
        using var worker = await RawZgWorker.StartAsync(broker, service, waitIdle: false);
        var first = worker.NextEvent();
        var second = worker.NextEvent();

        Assert.That(first.Header.Type, Is.EqualTo(SessionEventType.Connected));
        Assert.That(second.Header.Type, Is.EqualTo(SessionEventType.Closed));
        Assert.That(second.Header.Reason, Is.EqualTo(SessionCloseReason.ClientClosed));
    }

    [Test]
    public async Task Event_HeldByAWorkerThatSaysDisconnect_GoesToTheNextWorker_Once()
    {
        using var broker = new BrokerFixture();
        var service = Unique("lobby");
        using var first = await RawZgWorker.StartAsync(broker, service);
        using var client = RawSessionClient.Welcomed(broker.Frontend, service);

        // The first worker takes the connected event, then leaves without answering it (a graceful stop racing it).
        var held = ReceiveUntil(first.Socket, f => IsWorkerCommand(f, 0x02));
        Assert.That(EventHeader.TryRead(held[5], out var header) && header.Type == SessionEventType.Connected, Is.True);
        Send(first.Socket, [], B("MDPW01"), [Mdp.Disconnect]);
        using var second = await RawZgWorker.StartAsync(broker, service, waitIdle: false);

        var again = second.NextEvent();
        Assert.That(again.Header.Type, Is.EqualTo(SessionEventType.Connected));
        Assert.That(again.Session.SessionId, Is.EqualTo(client.Id));
        client.Close();
        Assert.That(second.NextEvent().Header.Type, Is.EqualTo(SessionEventType.Closed), "the next event is the close, not the connect again");
    }

    [Test]
    public async Task Event_HeldByAWorkerWhoseConnectionDrops_IsSentOnceMore()
    {
        using var broker = new BrokerFixture();
        var service = Unique("lobby");
        var first = await RawZgWorker.StartAsync(broker, service);
        using var client = RawSessionClient.Welcomed(broker.Frontend, service);
        ReceiveUntil(first.Socket, f => IsWorkerCommand(f, 0x02));

        first.Dispose(); // a crash: the connection closes while it holds the event
        using var second = await RawZgWorker.StartAsync(broker, service, waitIdle: false);

        var again = second.NextEvent();
        Assert.That(again.Header.Type, Is.EqualTo(SessionEventType.Connected));
        Assert.That(again.Session.SessionId, Is.EqualTo(client.Id));
    }

    [Test]
    public async Task Event_WithNoZmqGameWorkerBeforeItsTimeout_IsDroppedAndCounted()
    {
        using var broker = new BrokerFixture(o => o.EventTimeout = TimeSpan.FromMilliseconds(200));
        var service = Unique("lobby");
        using var stock = await broker.RawWorkerAsync(service);
        using var client = RawSessionClient.Welcomed(broker.Frontend, service);

        await Eventually.True(() => broker.Server.InvokeAsync(() => broker.Stats.EventsExpired == 1), "the connected event expired");
        var nothing = new List<byte[]>();
        Assert.That(stock.TryReceiveMultipartBytes(TimeSpan.FromMilliseconds(100), ref nothing), Is.False, "a stock MDP worker never gets an event");
    }

    [Test]
    public async Task WorkerEvent_FromTheControlEndpoint_ReachesOneZmqGameWorker()
    {
        using var broker = new BrokerFixture();
        var service = Unique("game");
        using var worker = await RawZgWorker.StartAsync(broker, service);
        using var admin = new DealerSocket(broker.Control);

        var result = RawControl.Act(admin, SessionActions.WorkerEvent, new ActionArgs { Service = service, Command = 12 }, B("payload"));
        var ev = worker.NextEvent();

        Assert.That(result.Sessions, Is.EqualTo(1));
        Assert.That(result.Workers, Is.EqualTo(1));
        Assert.That(ev.Header.Type, Is.EqualTo(SessionEventType.Trigger));
        Assert.That(ev.Header.Command, Is.EqualTo(12));
        Assert.That(ev.Session.SessionId, Is.Zero);
        Assert.That(S(ev.Payload), Is.EqualTo("payload"));
    }

    [Test]
    public void WorkerEvent_NoWorkerOfTheServiceIsRegistered_IsQueuedAndTheResultSaysNoWorkers()
    {
        using var broker = new BrokerFixture();
        using var admin = new DealerSocket(broker.Control);

        var result = RawControl.Act(admin, SessionActions.WorkerEvent, new ActionArgs { Service = Unique("nosuch"), Command = 12 }, B("payload"));

        Assert.That(result.Error, Is.Null);
        Assert.That(result.Sessions, Is.EqualTo(1), "still queued: a worker may register before its deadline");
        Assert.That(result.Workers, Is.Zero);
    }

    [Test]
    public async Task BadSessionAction_FromAWorker_IsCountedAndTheWorkerKeepsServing()
    {
        using var broker = new BrokerFixture();
        var service = Unique("game");
        using var worker = await RawZgWorker.StartAsync(broker, service);

        Send(worker.Socket, [], B("ZGW01"), B("push"), [0xC1, 0xFF]);
        worker.Act("explode", new ActionArgs());
        worker.Act(SessionActions.Bind, new ActionArgs { Session = 12345, User = "x" });
        await Eventually.True(() => broker.Server.InvokeAsync(() => broker.Stats.BadInputCount(BadInput.BackendBadAction) == 3), "three bad actions counted");

        using var client = RawSessionClient.Welcomed(broker.Frontend);
        RawZg.SendRequest(client.Socket, service, 1, 0, B("still"));
        var (address, header, _) = worker.NextRequest();
        worker.Reply(address, header.RequestId, B("here"));
        Assert.That(RawZg.ReceiveReply(client.Socket, 1).Status, Is.Zero);
    }

    [Test]
    public async Task Push_ToASessionWhoseConnectionIsFull_IsQueuedThenDroppedAtTheLimit_AndCounted()
    {
        using var broker = new BrokerFixture(o =>
        {
            o.SendHighWatermark = 1;
            o.SessionQueueLimit = 4;
        });
        using var client = new RawSessionClient(broker.Frontend, receiveHighWatermark: 1);
        client.Hello();
        using var admin = new DealerSocket(broker.Control);
        var big = new byte[256 * 1024];

        var dropped = 0;
        for (var i = 0; i < 200 && dropped == 0; i++)
        {
            dropped += RawControl.Act(admin, SessionActions.Push, new ActionArgs { Sessions = [client.Id], Command = i }, big).Dropped;
        }

        Assert.That(dropped, Is.GreaterThan(0), "a client that does not read fills its queue");
        Assert.That(await broker.Server.InvokeAsync(() => broker.Stats.PushDroppedQueueFull), Is.GreaterThan(0));
        Assert.That(await broker.Server.InvokeAsync(() => broker.Server.Sessions.Count), Is.EqualTo(1), "the session lives on");
    }

    [Test]
    public void Control_WithCurve_RefusesATriggerWhoseKeyIsNotAllowed_AndServesOneThatIs()
    {
        var server = new NetMQCertificate();
        var allowed = new NetMQCertificate();
        var stranger = new NetMQCertificate();
        using var broker = new BrokerFixture(o =>
        {
            o.Security.ServerSecretKey = server.SecretKeyZ85!;
            o.Security.TriggerKeys = [allowed.PublicKeyZ85];
        });

        using (var bad = CurveAdmin(broker, server, stranger))
        {
            Assert.That(S(RawControl.Ask(bad, "auth", Proof(stranger, server))[3]), Does.Contain("not authorised"));
            Assert.That(S(RawControl.Ask(bad, "stats")[3]), Does.Contain("not authorised"));
        }

        using var good = CurveAdmin(broker, server, allowed);
        Assert.That(S(RawControl.Ask(good, "stats")[3]), Does.Contain("not authorised"), "nothing before auth");
        RawControl.Ask(good, "auth", Proof(allowed, server));
        Assert.That(RawControl.Stats(good), Does.ContainKey("counters"));
        Assert.That(broker.Stats.ControlRefused, Is.EqualTo(3));
    }

    [Test]
    public async Task Frontend_WithCurve_ServesClientsWithTheServerKey_AndCountsThoseWithout()
    {
        var server = new NetMQCertificate();
        var trigger = new NetMQCertificate();
        using var broker = new BrokerFixture(o =>
        {
            o.Security.ServerSecretKey = server.SecretKeyZ85!;
            o.Security.TriggerKeys = [trigger.PublicKeyZ85];
            o.Security.FrontendCurve = true;
        });

        using (var stranger = new DealerSocket())
        {
            stranger.Options.CurveServerKey = new NetMQCertificate().PublicKey;
            stranger.Options.CurveCertificate = new NetMQCertificate();
            stranger.Connect(broker.Frontend);
            Send(stranger, [], B("ZGC01"), [ZgClient.Hello], [], []);
            var nothing = new List<byte[]>();
            Assert.That(stranger.TryReceiveMultipartBytes(TimeSpan.FromMilliseconds(300), ref nothing), Is.False, "a wrong server key gets nothing");
        }

        using var admin = CurveAdmin(broker, server, trigger);
        RawControl.Ask(admin, "auth", Proof(trigger, server));
        await Eventually.True(
            () => Convert.ToInt64(((Dictionary<object, object>)RawControl.Stats(admin)["counters"])["curve_rejected.frontend"]) > 0,
            "the failed handshake is counted");

        using var client = new RawSessionClient(broker.Frontend, curveServerKey: server.PublicKey);
        Assert.That(client.Hello().Session, Is.Not.Zero);
    }

    private static DealerSocket CurveAdmin(BrokerFixture broker, NetMQCertificate server, NetMQCertificate mine)
    {
        var socket = new DealerSocket();
        socket.Options.CurveServerKey = server.PublicKey;
        socket.Options.CurveCertificate = mine;
        socket.Connect(broker.Control);
        return socket;
    }

    private static byte[] Proof(NetMQCertificate trigger, NetMQCertificate server) =>
        TriggerAuth.CreateProof(trigger.SecretKey!, trigger.PublicKey, server.PublicKey, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
}
