using System.Collections.Concurrent;
using ZmqGame.Protocol;
using ZmqGame.Worker;
using static ZmqGame.Tests.Support.Raw;

namespace ZmqGame.Tests.WorkerTests;

/// <summary>Sessions, session actions (ZGW01), client events and trigger events of one slot, seen from a fake broker.</summary>
[TestFixture]
public sealed class WorkerSessionTests : OneSlotWorkerFixture
{
    private const int Whoami = 30;
    private const int Enter = 31;
    private const int Exit = 32;
    private const int Tick = 40;
    private const int Chat = 100;
    private const ulong SessionId = 0xABCDEF0123456789;

    private async Task<byte[]> StartAndReadyAsync()
    {
        await App.StartAsync();
        return Broker.Expect(Mdp.Ready).Identity;
    }

    private (ReplyHeader Header, byte[] Payload) ExpectZgReply(byte[] slot, string client)
    {
        var reply = Broker.Expect(Mdp.Reply);
        Assert.That(reply.Identity, Is.EqualTo(slot));
        Assert.That(WorkerReply.Client(reply), Is.EqualTo(client));
        return WorkerReply.Zg(reply);
    }

    private void ExpectEventAnswer(byte[] slot, string eventId)
    {
        var reply = Broker.Expect(Mdp.Reply);
        Assert.That(reply.Identity, Is.EqualTo(slot));
        Assert.That(WorkerReply.Client(reply), Is.EqualTo(eventId), "the event id comes back unchanged");
        Assert.That(WorkerReply.Body(reply), Is.Empty, "an event's answer has no body");
    }

    [Test]
    public async Task Request_WithSessionFrame_ExposesSessionOnContext()
    {
        var seen = new ConcurrentQueue<SessionInfo>();
        App.MapService("game").Map<Num, Num>(Whoami, (n, ctx) =>
        {
            seen.Enqueue(ctx.Session);
            return n;
        });
        var slot = await StartAndReadyAsync();

        Broker.SendRequest(slot, "c1", FakeBroker.ZgBody(1, Whoami, new Num(1), new SessionContext(SessionId, 6, "ada")));
        Assert.That(ExpectZgReply(slot, "c1").Header.Status, Is.EqualTo(Status.Ok));
        Broker.SendRequest(slot, "c2", FakeBroker.ZgBody(2, Whoami, new Num(2), new SessionContext(SessionId, 0, null)));
        Assert.That(ExpectZgReply(slot, "c2").Header.Status, Is.EqualTo(Status.Ok));
        Broker.SendRequest(slot, "c3", FakeBroker.ZgBody(3, Whoami, new Num(3)));
        Assert.That(ExpectZgReply(slot, "c3").Header.Status, Is.EqualTo(Status.Ok));

        var sessions = seen.ToArray();
        Assert.That(sessions, Has.Length.EqualTo(3));
        Assert.That((sessions[0].Id, sessions[0].UserId, sessions[0].Flags, sessions[0].IsLoggedIn), Is.EqualTo((SessionId, "ada", 6UL, true)));
        Assert.That((sessions[1].Id, sessions[1].UserId, sessions[1].IsLoggedIn, sessions[1].Exists), Is.EqualTo((SessionId, (string?)null, false, true)));
        Assert.That(sessions[2], Is.SameAs(SessionInfo.None), "session id 0: no session");
        Assert.That(sessions[2].Exists, Is.False);
    }

    [Test]
    public async Task Request_WithoutSessionFrame_FromOlderBroker_IsServedWithoutSession()
    {
        SessionInfo? seen = null;
        App.MapService("game").Map<Num, Num>(Whoami, (n, ctx) =>
        {
            seen = ctx.Session;
            return new Num(n.Value + 1);
        });
        var slot = await StartAndReadyAsync();

        Broker.SendRequest(slot, "c1", new RequestHeader(1, Whoami, 0).ToArray(), Payload.Serialize(new Num(41)));
        var (header, payload) = ExpectZgReply(slot, "c1");

        Assert.That(header.Status, Is.EqualTo(Status.Ok));
        Assert.That(Payload.Deserialize<Num>(payload).Value, Is.EqualTo(42));
        Assert.That(seen, Is.SameAs(SessionInfo.None));
    }

    [Test]
    public async Task Request_WithMalformedSessionFrame_RepliesBadRequestWithoutRunningHandler()
    {
        var ran = false;
        App.MapService("game").Map<Num, Num>(Whoami, (n, _) =>
        {
            ran = true;
            return n;
        });
        var slot = await StartAndReadyAsync();
        var truncated = new SessionContext(SessionId, 0, "ada").ToArray()[..^1];
        var wrongKind = new SessionContext(SessionId, 0, null).ToArray();
        wrongKind[3] = 9;

        Broker.SendRequest(slot, "c1", new RequestHeader(1, Whoami, 0).ToArray(), truncated, Payload.Serialize(new Num(1)));
        var first = ExpectZgReply(slot, "c1");
        Broker.SendRequest(slot, "c2", new RequestHeader(2, Whoami, 0).ToArray(), wrongKind, Payload.Serialize(new Num(1)));
        var second = ExpectZgReply(slot, "c2");

        Assert.That(first.Header, Is.EqualTo(new ReplyHeader(1, Status.BadRequest)));
        Assert.That(S(first.Payload), Does.Contain("session frame"));
        Assert.That(second.Header, Is.EqualTo(new ReplyHeader(2, Status.BadRequest)));
        Assert.That(ran, Is.False);
        Assert.That(App.Counters.BadRequests, Is.EqualTo(2));
    }

    [Test]
    public async Task LoginJoinAndPush_SendZgw01ActionsOnTheSameSlot_BeforeTheReply()
    {
        SessionInfo? afterLogin = null;
        App.MapService("game").Map<Num, Num>(Enter, (n, ctx) =>
        {
            ctx.Login("ada", flags: 3);
            afterLogin = ctx.Session;
            ctx.JoinGroup("room:a");
            ctx.Push(PushTarget.Group("room:a").Except("ada"), Chat, new Num(n.Value));
            ctx.PushToCaller(Chat + 1, new Num(-n.Value));
            return n;
        });
        var slot = await StartAndReadyAsync();

        Broker.SendRequest(slot, "c1", FakeBroker.ZgBody(1, Enter, new Num(7), new SessionContext(SessionId, 0, null)));

        var bind = Broker.ExpectAction(SessionActions.Bind);
        Assert.That(bind.Message.Identity, Is.EqualTo(slot), "on the slot that holds the request");
        Assert.That((bind.Args.Session, bind.Args.User, bind.Args.Flags), Is.EqualTo((SessionId, "ada", 3UL)));
        Assert.That(bind.Payload, Is.Empty);

        var join = Broker.ExpectAction(SessionActions.Join);
        Assert.That(join.Message.Identity, Is.EqualTo(slot));
        Assert.That(join.Args.Sessions, Is.EqualTo(new[] { SessionId }));
        Assert.That(join.Args.Group, Is.EqualTo("room:a"));

        var push = Broker.ExpectAction(SessionActions.Push);
        Assert.That(push.Args.Groups, Is.EqualTo(new[] { "room:a" }));
        Assert.That(push.Args.Exclude, Is.EqualTo(new[] { "ada" }));
        Assert.That(push.Args.Command, Is.EqualTo(Chat));
        Assert.That(push.Payload, Has.Count.EqualTo(1), "one MessagePack payload frame");
        Assert.That(Payload.Deserialize<Num>(push.Payload[0]).Value, Is.EqualTo(7));

        var toCaller = Broker.ExpectAction(SessionActions.Push);
        Assert.That(toCaller.Args.Sessions, Is.EqualTo(new[] { SessionId }));
        Assert.That(toCaller.Args.Command, Is.EqualTo(Chat + 1));
        Assert.That(Payload.Deserialize<Num>(toCaller.Payload[0]).Value, Is.EqualTo(-7));

        Assert.That(ExpectZgReply(slot, "c1").Header.Status, Is.EqualTo(Status.Ok), "the REPLY comes after the actions");
        Assert.That((afterLogin!.Id, afterLogin.UserId, afterLogin.Flags), Is.EqualTo((SessionId, "ada", 3UL)), "Login updates ctx.Session");
        Assert.That(App.Counters.SessionActions, Is.EqualTo(4));
    }

    [Test]
    public async Task LogoutLeaveAndKick_SendTheirActionsBeforeTheReply()
    {
        App.MapService("game").Map<Num, Num>(Exit, (n, ctx) =>
        {
            ctx.LeaveGroup("room:a");
            ctx.Logout();
            ctx.Kick(PushTarget.User("bob").Or(PushTarget.Session(5)), "cheating");
            return n;
        });
        var slot = await StartAndReadyAsync();

        Broker.SendRequest(slot, "c1", FakeBroker.ZgBody(1, Exit, new Num(1), new SessionContext(SessionId, 0, "ada")));

        var leave = Broker.ExpectAction(SessionActions.Leave);
        Assert.That((leave.Args.Sessions, leave.Args.Group), Is.EqualTo((new[] { SessionId }, "room:a")));
        var unbind = Broker.ExpectAction(SessionActions.Unbind);
        Assert.That(unbind.Args.Session, Is.EqualTo(SessionId));
        var kick = Broker.ExpectAction(SessionActions.Kick);
        Assert.That(kick.Args.Users, Is.EqualTo(new[] { "bob" }));
        Assert.That(kick.Args.Sessions, Is.EqualTo(new[] { 5UL }));
        Assert.That(kick.Args.Reason, Is.EqualTo("cheating"));
        Assert.That(ExpectZgReply(slot, "c1").Header.Status, Is.EqualTo(Status.Ok));
    }

    [Test]
    public async Task SessionActions_OnRequestWithoutSession_ThrowInvalidOperation_AndBadNamesThrowArgument()
    {
        var errors = new ConcurrentQueue<string>();
        void Try(string what, Action action)
        {
            try
            {
                action();
                errors.Enqueue(what + ": no exception");
            }
            catch (Exception ex)
            {
                errors.Enqueue($"{what}: {ex.GetType().Name}: {ex.Message}");
            }
        }

        var game = App.MapService("game");
        game.Map<Num, Num>(Whoami, (n, ctx) =>
        {
            Try("login", () => ctx.Login("ada"));
            Try("logout", ctx.Logout);
            Try("join", () => ctx.JoinGroup("room"));
            Try("leave", () => ctx.LeaveGroup("room"));
            Try("push to caller", () => ctx.PushToCaller(1, n));
            return n;
        });
        game.Map<Num, Num>(Enter, (n, ctx) =>
        {
            Try("empty user", () => ctx.Login(""));
            Try("long user", () => ctx.Login(new string('x', 256)));
            Try("empty group", () => ctx.JoinGroup(""));
            return n;
        });
        game.MapRaw((frames, ctx) =>
        {
            Try("raw join", () => ctx.JoinGroup("room"));
            return frames;
        });
        var slot = await StartAndReadyAsync();

        Broker.SendRequest(slot, "c1", FakeBroker.ZgBody(1, Whoami, new Num(1)));
        ExpectZgReply(slot, "c1");
        Broker.SendRequest(slot, "c2", FakeBroker.ZgBody(2, Enter, new Num(1), new SessionContext(SessionId, 0, null)));
        ExpectZgReply(slot, "c2");
        Broker.SendRequest(slot, "mdp", B("hello"));
        Broker.Expect(Mdp.Reply);

        var lines = errors.ToArray();
        Assert.That(lines, Has.Length.EqualTo(9));
        Assert.That(lines.Take(5), Has.All.Contain("InvalidOperationException").And.All.Contain("without a session"));
        Assert.That(lines.Skip(5).Take(3), Has.All.Contain("ArgumentException").And.All.Contain("1 to 255 UTF-8 bytes"));
        Assert.That(lines[8], Does.StartWith("raw join: InvalidOperationException"));
        Assert.That(App.Counters.SessionActions, Is.Zero, "nothing was sent");
    }

    [Test]
    public async Task ClientEvents_RunAppAndServiceHooks_AndAreAnsweredAfterThem()
    {
        var log = new ConcurrentQueue<string>();
        ClientEvent? closed = null;
        App.OnClientConnected(e => log.Enqueue($"app-connected {e.Service} {e.Session.Id}"))
            .OnClientClosed(e => log.Enqueue("app-closed"));
        App.MapService("game")
            .OnClientConnected(async e =>
            {
                await Task.Yield();
                log.Enqueue($"service-connected reason={e.Reason?.ToString() ?? "none"} closed={e.IsClosed}");
                e.JoinGroup("everyone");
            })
            .OnClientClosed(e =>
            {
                closed = e;
                log.Enqueue("service-closed");
                e.Push(PushTarget.Group("room:a"), Chat, new Num(1));
            })
            .Map<Num, Num>(Whoami, (n, _) => n);
        var slot = await StartAndReadyAsync();

        Broker.SendEvent(slot, "ev-1", new EventHeader(SessionEventType.Connected), new SessionContext(SessionId, 0, null), []);
        var join = Broker.ExpectAction(SessionActions.Join);
        Assert.That((join.Args.Sessions, join.Args.Group), Is.EqualTo((new[] { SessionId }, "everyone")), "a connected hook may change the new session's groups");
        ExpectEventAnswer(slot, "ev-1");
        Assert.That(log, Is.EqualTo(new[] { $"app-connected game {SessionId}", "service-connected reason=none closed=False" }));

        log.Clear();
        Broker.SendEvent(slot, "ev-2", new EventHeader(SessionEventType.Closed, SessionCloseReason.Kicked), new SessionContext(SessionId, 2, "ada"), B("cheating"));
        var push = Broker.ExpectAction(SessionActions.Push);
        Assert.That(push.Args.Groups, Is.EqualTo(new[] { "room:a" }), "a close hook may push to the groups the session was in");
        ExpectEventAnswer(slot, "ev-2");
        Assert.That(log, Is.EqualTo(new[] { "service-closed", "app-closed" }), "closed: service hooks, then app hooks");
        Assert.That(closed!.IsClosed, Is.True);
        Assert.That(closed.Reason, Is.EqualTo(SessionCloseReason.Kicked));
        Assert.That(closed.ReasonText, Is.EqualTo("cheating"));
        Assert.That((closed.Session.Id, closed.Session.UserId, closed.Session.Flags), Is.EqualTo((SessionId, "ada", 2UL)));
        Assert.That(() => closed.JoinGroup("x"), Throws.InvalidOperationException.With.Message.Contain("ended"));
        Assert.That(App.Counters.Events, Is.EqualTo(2));
    }

    [Test]
    public async Task ClientEvent_WithoutHooks_IsAnsweredAtOnce()
    {
        App.MapService("game").Map<Num, Num>(Whoami, (n, _) => n);
        var slot = await StartAndReadyAsync();

        Broker.SendEvent(slot, "ev-1", new EventHeader(SessionEventType.Connected), new SessionContext(SessionId, 0, null), []);

        ExpectEventAnswer(slot, "ev-1");
    }

    [Test]
    public async Task ClientHook_Throws_IsCountedAndTheEventIsStillAnswered_AndTheSlotServesOn()
    {
        var later = 0;
        App.OnClientClosed(_ => throw new InvalidOperationException("hook broke"));
        App.OnClientClosed(_ => Interlocked.Increment(ref later));
        App.MapService("game").Map<Num, Num>(Whoami, (n, _) => n);
        var slot = await StartAndReadyAsync();

        Broker.SendEvent(slot, "ev-1", new EventHeader(SessionEventType.Closed, SessionCloseReason.Expired), new SessionContext(SessionId, 0, null), B("session expired"));
        ExpectEventAnswer(slot, "ev-1");
        Broker.SendRequest(slot, "c1", FakeBroker.ZgBody(1, Whoami, new Num(1)));

        Assert.That(ExpectZgReply(slot, "c1").Header.Status, Is.EqualTo(Status.Ok));
        Assert.That(App.Counters.EventFailures, Is.EqualTo(1));
        Assert.That(later, Is.EqualTo(1), "the hooks after the failed one still run");
    }

    [Test]
    public async Task MapEvent_ReceivesTriggerEvents_AndItsActionsPrecedeTheAnswer()
    {
        var received = new ConcurrentQueue<(int Value, int Command, string Service)>();
        var game = App.MapService("game");
        game.MapEvent<Num>(Tick, (n, e) =>
        {
            received.Enqueue((n.Value, e.Command, e.Service));
            e.Push(PushTarget.LoggedIn, Chat, n);
        });
        game.MapEvent<Num>(Tick + 1, async (n, e) =>
        {
            await Task.Yield();
            received.Enqueue((n.Value, e.Command, e.Service));
        });
        game.MapEvent<Num>(Tick + 2, (n, e) =>
        {
            received.Enqueue((n.Value, e.Command, e.Service));
            return ValueTask.CompletedTask;
        });
        var slot = await StartAndReadyAsync();

        Broker.SendEvent(slot, "ev-1", new EventHeader(SessionEventType.Trigger, command: Tick), default, Payload.Serialize(new Num(5)));
        var push = Broker.ExpectAction(SessionActions.Push);
        Assert.That((push.Args.All, push.Args.LoggedIn, push.Args.Command), Is.EqualTo((true, true, Chat)));
        ExpectEventAnswer(slot, "ev-1");
        Broker.SendEvent(slot, "ev-2", new EventHeader(SessionEventType.Trigger, command: Tick + 1), default, Payload.Serialize(new Num(6)));
        ExpectEventAnswer(slot, "ev-2");
        Broker.SendEvent(slot, "ev-3", new EventHeader(SessionEventType.Trigger, command: Tick + 2), default, Payload.Serialize(new Num(7)));
        ExpectEventAnswer(slot, "ev-3");

        Assert.That(received, Is.EqualTo(new[] { (5, Tick, "game"), (6, Tick + 1, "game"), (7, Tick + 2, "game") }));
    }

    [Test]
    public async Task TriggerEvents_UnknownCommandOrBadPayloadOrThrowingHandler_AreAnsweredAndCounted()
    {
        var game = App.MapService("game");
        game.MapEvent<Num>(Tick, (n, _) => throw new InvalidOperationException("handler broke"));
        game.Map<Num, Num>(Tick, (n, _) => n); // the request table is separate: same command id, no clash
        var slot = await StartAndReadyAsync();

        Broker.SendEvent(slot, "ev-1", new EventHeader(SessionEventType.Trigger, command: 999), default, Payload.Serialize(new Num(1)));
        ExpectEventAnswer(slot, "ev-1");
        Broker.SendEvent(slot, "ev-2", new EventHeader(SessionEventType.Trigger, command: 999), default, Payload.Serialize(new Num(1)));
        ExpectEventAnswer(slot, "ev-2");
        Broker.SendEvent(slot, "ev-3", new EventHeader(SessionEventType.Trigger, command: Tick), default, Payload.Serialize("not a Num"));
        ExpectEventAnswer(slot, "ev-3");
        Broker.SendEvent(slot, "ev-4", new EventHeader(SessionEventType.Trigger, command: Tick), default, Payload.Serialize(new Num(1)));
        ExpectEventAnswer(slot, "ev-4");
        Broker.SendRequest(slot, "ev-5", new EventHeader(SessionEventType.Connected).ToArray(), B("not a session frame"), []);
        ExpectEventAnswer(slot, "ev-5");

        Assert.That(App.Counters.UnknownEvents, Is.EqualTo(2));
        Assert.That(App.Counters.BadEvents, Is.EqualTo(2), "bad payload and malformed session frame");
        Assert.That(App.Counters.EventFailures, Is.EqualTo(1));
    }

    [Test]
    public void MapEvent_Duplicate_FailsBeforeStart()
    {
        var game = App.MapService("game");
        game.MapEvent<Num>(Tick, (_, _) => { });

        Assert.That(
            () => game.MapGroup().MapEvent<Num>(Tick, (_, _) => Task.CompletedTask),
            Throws.InvalidOperationException.With.Message.Contain("'game'").And.Message.Contain("event command 40"));
    }

    [Test]
    public async Task ServiceWithOnlyEventsAndHooks_Starts()
    {
        App.MapService("presence").OnClientConnected(_ => { });
        App.MapService("ticks").MapEvent<Num>(Tick, (_, _) => { });

        await App.StartAsync();

        var services = new[] { Broker.Expect(Mdp.Ready), Broker.Expect(Mdp.Ready) }.Select(r => S(r.Rest[0]));
        Assert.That(services, Is.EquivalentTo(new[] { "presence", "ticks" }));
    }

    [Test]
    public async Task AppSessions_FromOutsideHandlers_GoOutThroughAConnectedSlot()
    {
        App.MapService("game").Map<Num, Num>(Whoami, (n, _) => n);
        Assert.That(
            () => App.Sessions.Push(PushTarget.All, Chat, new Num(1)),
            Throws.InvalidOperationException.With.Message.Contain("started"));
        var slot = await StartAndReadyAsync();

        await Task.Run(() =>
        {
            App.Sessions.Push(PushTarget.User("ada"), Chat, new Num(9));
            App.Sessions.Bind(SessionId, "ada", 1);
            App.Sessions.Join(PushTarget.Users("ada", "bob"), "match:1");
            App.Sessions.Leave(PushTarget.Group("lobby"), "match:1");
            App.Sessions.Unbind(SessionId);
            App.Sessions.Push(PushTarget.Users([]), Chat, new Num(0)); // names nobody: nothing is sent
            App.Sessions.Kick(PushTarget.All.ExceptSessions(SessionId), "maintenance");
        });

        var push = Broker.ExpectAction(SessionActions.Push);
        Assert.That(push.Message.Identity, Is.EqualTo(slot));
        Assert.That((push.Args.Users, push.Args.Command), Is.EqualTo((new[] { "ada" }, Chat)));
        Assert.That(Payload.Deserialize<Num>(push.Payload[0]).Value, Is.EqualTo(9));
        var bind = Broker.ExpectAction(SessionActions.Bind);
        Assert.That((bind.Args.Session, bind.Args.User, bind.Args.Flags), Is.EqualTo((SessionId, "ada", 1UL)));
        var join = Broker.ExpectAction(SessionActions.Join);
        Assert.That((join.Args.Users, join.Args.Group), Is.EqualTo((new[] { "ada", "bob" }, "match:1")));
        var leave = Broker.ExpectAction(SessionActions.Leave);
        Assert.That((leave.Args.Groups, leave.Args.Group), Is.EqualTo((new[] { "lobby" }, "match:1")));
        Assert.That(Broker.ExpectAction(SessionActions.Unbind).Args.Session, Is.EqualTo(SessionId));
        var kick = Broker.ExpectAction(SessionActions.Kick); // next after unbind: the push to nobody sent nothing
        Assert.That((kick.Args.All, kick.Args.ExcludeSessions, kick.Args.Reason), Is.EqualTo((true, new[] { SessionId }, "maintenance")));
        Assert.That(() => App.Sessions.Bind(0, "ada"), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public async Task AppSessions_AfterStop_DropsAndCounts()
    {
        App.MapService("game").Map<Num, Num>(Whoami, (n, _) => n);
        await StartAndReadyAsync();
        await App.StopAsync();

        App.Sessions.Push(PushTarget.All, Chat, new Num(1));

        Assert.That(App.Counters.SessionActionsDropped, Is.EqualTo(1));
        Assert.That(App.Counters.SessionActions, Is.Zero);
    }
}
