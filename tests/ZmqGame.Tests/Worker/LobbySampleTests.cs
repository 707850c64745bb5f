using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using ZmqGame.Protocol;
using ZmqGame.Worker;
using ZmqGame.Worker.Host;
using static ZmqGame.Tests.Support.Raw;

namespace ZmqGame.Tests.WorkerTests;

/// <summary>Keeps what was logged, formatted, with its event id.</summary>
internal sealed class LinesLogger : ILogger
{
    public ConcurrentQueue<(int EventId, string Text)> Lines { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Lines.Enqueue((eventId.Id, formatter(state, exception)));
}

/// <summary>The sample <c>lobby</c> service of the worker host, frame by frame from a fake broker.</summary>
[TestFixture]
public sealed class LobbySampleTests : OneSlotWorkerFixture
{
    private const ulong Ada = 1001;
    private const ulong Bob = 1002;

    private LinesLogger _log = null!;
    private byte[] _slot = null!;
    private ulong _requestId;

    [SetUp]
    public async Task SetUp()
    {
        _log = new LinesLogger();
        SampleServices.MapLobby(App, _log);
        await App.StartAsync();
        _slot = Broker.Expect(Mdp.Ready).Identity;
    }

    private void Send<T>(int command, T request, SessionContext session)
    {
        var id = ++_requestId;
        Broker.SendRequest(_slot, "c" + id, FakeBroker.ZgBody(id, command, request, session));
    }

    private (Status Status, byte[] Payload) Reply()
    {
        var reply = Broker.Expect(Mdp.Reply);
        Assert.That(WorkerReply.Client(reply), Is.EqualTo("c" + _requestId));
        var (header, payload) = WorkerReply.Zg(reply);
        Assert.That(header.RequestId, Is.EqualTo(_requestId));
        return (header.Status, payload);
    }

    private TReply Ok<TReply>()
    {
        var (status, payload) = Reply();
        Assert.That(status, Is.EqualTo(Status.Ok), () => S(payload));
        return Payload.Deserialize<TReply>(payload);
    }

    private string Rejected(Status expected)
    {
        var (status, payload) = Reply();
        Assert.That(status, Is.EqualTo(expected), () => S(payload));
        return S(payload);
    }

    private T Pushed<T>(int command, string group)
    {
        var push = Broker.ExpectAction(SessionActions.Push);
        Assert.That(push.Args.Command, Is.EqualTo(command));
        Assert.That(push.Args.Groups, Is.EqualTo(new[] { group }));
        return Payload.Deserialize<T>(push.Payload[0]);
    }

    private void LogIn(ulong session, string name)
    {
        Send(LobbyCommands.Login, new LobbyLoginRequest(name), new SessionContext(session, 0, null));
        var bind = Broker.ExpectAction(SessionActions.Bind);
        Assert.That((bind.Args.Session, bind.Args.User), Is.EqualTo((session, name)));
        Assert.That(Ok<LobbyLoginReply>(), Is.EqualTo(new LobbyLoginReply(name, session)));
    }

    private string[] JoinRoom(ulong session, string user, string room)
    {
        Send(LobbyCommands.Join, new LobbyRoomRequest(room), new SessionContext(session, 0, user));
        var join = Broker.ExpectAction(SessionActions.Join);
        Assert.That((join.Args.Sessions, join.Args.Group), Is.EqualTo((new[] { session }, "room:" + room)));
        Assert.That(Pushed<LobbyNotice>(LobbyCommands.Notice, "room:" + room), Is.EqualTo(new LobbyNotice(room, user, "joined")));
        return Ok<LobbyRoomReply>().Members;
    }

    [Test]
    public void Login_BindsTheSessionBeforeReplying()
    {
        LogIn(Ada, "ada");
    }

    [Test]
    public void Login_WithoutSessionOrWithBadName_IsRejected()
    {
        Send(LobbyCommands.Login, new LobbyLoginRequest("ada"), default);
        Assert.That(Rejected(Status.NotAuthorised), Does.Contain("no session"));
        Send(LobbyCommands.Login, new LobbyLoginRequest(""), new SessionContext(Ada, 0, null));
        Assert.That(Rejected(Status.BadRequest), Does.Contain("name must be 1 to 32 characters"));
    }

    [Test]
    public void JoinAndSay_PushNoticeAndChatLineToTheRoom()
    {
        LogIn(Ada, "ada");
        LogIn(Bob, "bob");
        Assert.That(JoinRoom(Ada, "ada", "tavern"), Is.EqualTo(new[] { "ada" }));
        Assert.That(JoinRoom(Bob, "bob", "tavern"), Is.EqualTo(new[] { "ada", "bob" }));

        Send(LobbyCommands.Say, new LobbySayRequest("tavern", "hello"), new SessionContext(Ada, 0, "ada"));
        Assert.That(Pushed<LobbyChatLine>(LobbyCommands.ChatLine, "room:tavern"), Is.EqualTo(new LobbyChatLine("tavern", "ada", "hello")));
        Assert.That(Ok<LobbySayReply>(), Is.EqualTo(new LobbySayReply("tavern", 2)));

        Send(LobbyCommands.Who, new LobbyRoomRequest("tavern"), default);
        Assert.That(Ok<LobbyRoomReply>().Members, Is.EqualTo(new[] { "ada", "bob" }));
    }

    [Test]
    public void SayOrJoin_NotLoggedInOrNotInRoom_IsNotAuthorised()
    {
        Send(LobbyCommands.Join, new LobbyRoomRequest("tavern"), new SessionContext(Ada, 0, null));
        Assert.That(Rejected(Status.NotAuthorised), Does.Contain("log in first"));
        Send(LobbyCommands.Say, new LobbySayRequest("tavern", "hi"), new SessionContext(Ada, 0, null));
        Assert.That(Rejected(Status.NotAuthorised), Does.Contain("log in first"));

        LogIn(Ada, "ada");
        Send(LobbyCommands.Say, new LobbySayRequest("tavern", "hi"), new SessionContext(Ada, 0, "ada"));
        Assert.That(Rejected(Status.NotAuthorised), Is.EqualTo("not in room 'tavern': join it first (command 2)"));
        Send(LobbyCommands.Say, new LobbySayRequest("tavern", ""), new SessionContext(Ada, 0, "ada"));
        Assert.That(Rejected(Status.BadRequest), Does.Contain("text"));
    }

    [Test]
    public void Leave_LeavesTheGroupThenTellsTheRoom()
    {
        LogIn(Ada, "ada");
        LogIn(Bob, "bob");
        JoinRoom(Ada, "ada", "tavern");
        JoinRoom(Bob, "bob", "tavern");

        Send(LobbyCommands.Leave, new LobbyRoomRequest("tavern"), new SessionContext(Bob, 0, "bob"));
        var leave = Broker.ExpectAction(SessionActions.Leave);
        Assert.That((leave.Args.Sessions, leave.Args.Group), Is.EqualTo((new[] { Bob }, "room:tavern")));
        Assert.That(Pushed<LobbyNotice>(LobbyCommands.Notice, "room:tavern"), Is.EqualTo(new LobbyNotice("tavern", "bob", "left")));
        Assert.That(Ok<LobbyRoomReply>().Members, Is.EqualTo(new[] { "ada" }));

        Send(LobbyCommands.Say, new LobbySayRequest("tavern", "still here?"), new SessionContext(Bob, 0, "bob"));
        Assert.That(Rejected(Status.NotAuthorised), Does.StartWith("not in room 'tavern'"), "no push: the reply is the next message");
    }

    [Test]
    public void ClientHooks_LogOneLineEach_AndClosedTellsTheRoomsTheSessionWasIn()
    {
        Broker.SendEvent(_slot, "ev-1", new EventHeader(SessionEventType.Connected), new SessionContext(Ada, 0, null), []);
        Assert.That(Broker.Expect(Mdp.Reply).Rest[0], Is.EqualTo(B("ev-1")));
        LogIn(Ada, "ada");
        JoinRoom(Ada, "ada", "tavern");

        Broker.SendEvent(_slot, "ev-2", new EventHeader(SessionEventType.Closed, SessionCloseReason.Kicked), new SessionContext(Ada, 0, "ada"), B("spam"));
        Assert.That(Pushed<LobbyNotice>(LobbyCommands.Notice, "room:tavern"), Is.EqualTo(new LobbyNotice("tavern", "ada", "left")));
        Assert.That(Broker.Expect(Mdp.Reply).Rest[0], Is.EqualTo(B("ev-2")));
        Broker.SendEvent(_slot, "ev-3", new EventHeader(SessionEventType.Closed, SessionCloseReason.Expired), new SessionContext(Bob, 0, null), B("session expired"));
        Assert.That(Broker.Expect(Mdp.Reply).Rest[0], Is.EqualTo(B("ev-3")), "a session that never joined a room: no notice, just answered");

        Assert.That(_log.Lines.Where(l => l.EventId is 1300 or 1301), Is.EqualTo(new[]
        {
            (1300, $"client connected: session {Ada} service lobby"),
            (1301, $"client closed: session {Ada} user ada reason Kicked (spam)"),
            (1301, $"client closed: session {Bob} user - reason Expired (session expired)"),
        }));
        Send(LobbyCommands.Who, new LobbyRoomRequest("tavern"), default);
        Assert.That(Ok<LobbyRoomReply>().Members, Is.Empty, "the closed session left its rooms");
    }
}
