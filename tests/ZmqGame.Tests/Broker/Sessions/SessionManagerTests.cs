using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using ZmqGame.Broker;
using ZmqGame.Broker.Sessions;
using ZmqGame.Protocol;
using ZmqGame.Tests.Support;

namespace ZmqGame.Tests.Broker.Sessions;

/// <summary>The session layer as the broker drives it, with a fake clock and a recording transport: no sockets.</summary>
[TestFixture]
public sealed class SessionManagerTests
{
    private static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private static readonly byte[] Lobby = "lobby"u8.ToArray();
    private static readonly byte[] Client = [0, 0, 0, 0, 1];
    private ManualTimeProvider _clock = null!;
    private RecordingSessionOutput _out = null!;
    private BrokerStats _stats = null!;
    private BrokerOptions _options = null!;
    private SessionManager _sessions = null!;

    [SetUp]
    public void SetUp()
    {
        _clock = new ManualTimeProvider();
        _out = new RecordingSessionOutput();
        _stats = new BrokerStats();
        _options = new BrokerOptions { SessionTimeout = TimeSpan.FromSeconds(10) };
        _sessions = NewManager();
    }

    [Test]
    public void Hello_RightAfterAWorkersReady_WelcomeNamesItsIdempotentRoutes_WithoutWaitingForATick()
    {
        _out.Dispatcher.WorkerReady([0xA1], Lobby, new WorkerInfo("1.0.0-test", [7, 3]));

        _sessions.Hello(Client, Lobby, []);

        Assert.That(LastWelcome().Idempotent, Is.EqualTo(new Dictionary<string, int[]> { ["lobby"] = [3, 7] }));
        Assert.That(_out.Sent.Count(s => s.Message.Command == ZgClient.Hello), Is.EqualTo(1), "one WELCOME");
    }

    [Test]
    public void Hello_WithoutTicket_OpensASession_WelcomesIt_AndQueuesItsConnectedEvent()
    {
        _sessions.Hello(Client, Lobby, []);

        var welcome = LastWelcome();
        Assert.That(welcome.Resumed, Is.False);
        Assert.That(_sessions.ById(welcome.Session), Is.Not.Null);
        Assert.That(_sessions.Count, Is.EqualTo(1));

        _sessions.FlushEvents();
        Assert.That(_out.Events.Select(e => e.Header.Type), Is.EqualTo(new[] { SessionEventType.Connected }));
    }

    [Test]
    public void Kick_WhileTheConnectedEventIsPending_ClosesTheClient_AndSendsTheCloseEventOnceAfterIt()
    {
        _sessions.Hello(Client, Lobby, []);
        var id = LastWelcome().Session;
        _sessions.FlushEvents();
        var session = _out.Events[0].Session!;

        var result = _sessions.Execute(SessionActions.Kick, new ActionArgs { Sessions = [id], Reason = "cheating" }, [], fromControl: true);

        Assert.That(result.Sessions, Is.EqualTo(1));
        Assert.That(_out.Sent[^1].Message.Command, Is.EqualTo(ZgClient.Close));
        Assert.That(_sessions.Count, Is.Zero);
        Assert.That(_sessions.HasPendingEvents, Is.False, "the close event waits for the connected event");

        _sessions.EventDone(session, SessionEventType.Connected);
        _sessions.FlushEvents();

        Assert.That(_out.Events.Select(e => e.Header.Type), Is.EqualTo(new[] { SessionEventType.Connected, SessionEventType.Closed }));
        Assert.That(Encoding.UTF8.GetString(_out.Events[1].Payload), Is.EqualTo("cheating"));
        Assert.That(_stats.SessionsKicked, Is.EqualTo(1));
    }

    [Test]
    public void Tick_AfterTheSessionTimeoutWithoutAMessage_ExpiresTheSession_ButNotAHeartbeatingOne()
    {
        _sessions.Hello(Client, Lobby, []);
        var id = LastWelcome().Session;
        _sessions.Hello([0, 0, 0, 0, 2], Lobby, []);

        _clock.Advance(TimeSpan.FromSeconds(6));
        Assert.That(_sessions.Heartbeat(Client, Id(id)), Is.EqualTo(HeartbeatAnswer.Heartbeat));
        _clock.Advance(TimeSpan.FromSeconds(4));
        _sessions.Tick();

        Assert.That(_sessions.Count, Is.EqualTo(1));
        Assert.That(_sessions.ById(id), Is.Not.Null, "the session heard 4 s ago lives on");
        Assert.That(_stats.SessionsExpired, Is.EqualTo(1));
    }

    [Test]
    public void Hello_WithATicketFromABrokerWithTheSameKey_RecreatesTheSession_WithItsUserAndGroups()
    {
        _sessions.Hello(Client, Lobby, []);
        var id = LastWelcome().Session;
        _sessions.Execute(SessionActions.Bind, new ActionArgs { Session = id, User = "ada", Flags = 3 }, [], fromControl: false);
        _sessions.Execute(SessionActions.Join, new ActionArgs { Sessions = [id], Group = "match:1" }, [], fromControl: false);
        var ticket = _out.Sent[^1].Message.Frames[1];

        var restarted = NewManager();
        restarted.Hello(Client, Lobby, ticket);

        var welcome = LastWelcome();
        Assert.That((welcome.Session, welcome.Resumed, welcome.User, welcome.Flags), Is.EqualTo((id, true, "ada", 3UL)));
        Assert.That(welcome.Groups, Is.EqualTo(new[] { "match:1" }));
        Assert.That(restarted.ByUser("ada")?.Id, Is.EqualTo(id));
        Assert.That(restarted.MembersOf("match:1"), Is.EqualTo(1));
    }

    [Test]
    public void Hello_WithTheTicketOfASessionThatEnded_IsRefused()
    {
        _sessions.Hello(Client, Lobby, []);
        var ticket = _out.Sent[^1].Message.Frames[1];
        _sessions.Close(Client);

        _sessions.Hello(Client, Lobby, ticket);

        Assert.That(_out.Sent[^1].Message.Command, Is.EqualTo(ZgClient.Close));
        Assert.That(_sessions.Count, Is.Zero);
        Assert.That(_stats.SessionsRefused, Is.EqualTo(1));
    }

    [Test]
    public void Push_ToAConnectionThatCannotTakeIt_WaitsInTheSessionsQueue_UntilTick()
    {
        _sessions.Hello(Client, Lobby, []);
        var id = LastWelcome().Session;
        _out.Accepting = false;

        var result = _sessions.Execute(SessionActions.Push, new ActionArgs { Sessions = [id], Command = 5 }, [[1]], fromControl: false);

        Assert.That((result.Sessions, result.Dropped), Is.EqualTo((1, 0)));
        Assert.That(_sessions.Backlogged, Is.EqualTo(1));

        _out.Accepting = true;
        _sessions.Tick();

        Assert.That(_out.Sent[^1].Message.Command, Is.EqualTo(ZgClient.Push));
        Assert.That(_sessions.Backlogged, Is.Zero);
    }

    [Test]
    public void PeerGone_DetachesTheSession_AndAHelloWithItsTicketOnANewConnectionResumesIt()
    {
        _sessions.Hello(Client, Lobby, []);
        var id = LastWelcome().Session;
        var ticket = _out.Sent[^1].Message.Frames[1];

        _sessions.PeerGone(Client);
        Assert.That(_sessions.Detached, Is.EqualTo(1));

        _sessions.Hello([0, 0, 0, 0, 9], Lobby, ticket);

        Assert.That((LastWelcome().Session, LastWelcome().Resumed), Is.EqualTo((id, true)));
        Assert.That((_sessions.Count, _sessions.Detached), Is.EqualTo((1, 0)));
        Assert.That(_stats.SessionsResumed, Is.EqualTo(1));
    }

    private SessionManager NewManager()
    {
        var badInput = new BadInputLog(NullLogger.Instance, _stats, _clock, TimeSpan.FromSeconds(10));
        return new SessionManager(_options, _out, _out.Dispatcher, _out.Pool, _stats, badInput, NullLogger.Instance, _clock, Key);
    }

    private Welcome LastWelcome()
    {
        var hello = _out.Sent.Last(s => s.Message.Command == ZgClient.Hello);
        Assert.That(Welcome.TryParse(hello.Message.Frames[0], out var welcome), Is.True);
        return welcome;
    }

    private static byte[] Id(ulong id)
    {
        var bytes = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(bytes, id);
        return bytes;
    }
}
