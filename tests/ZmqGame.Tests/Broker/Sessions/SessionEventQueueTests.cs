using System.Text;
using ZmqGame.Broker.Sessions;
using ZmqGame.Protocol;

namespace ZmqGame.Tests.Broker.Sessions;

/// <summary>Session events to workers: queued, handed over on flush, and a close event exactly once, after the connected event.</summary>
[TestFixture]
public sealed class SessionEventQueueTests
{
    private static readonly byte[] Lobby = "lobby"u8.ToArray();
    private RecordingSessionOutput _out = null!;
    private SessionEventQueue _events = null!;

    [SetUp]
    public void SetUp()
    {
        _out = new RecordingSessionOutput();
        _events = new SessionEventQueue(_out.Dispatcher, _out.Pool);
    }

    [Test]
    public void Connected_IsHeldUntilFlush_ThenSubmittedWithTheSessionFrame()
    {
        var session = new Session(42, Lobby);
        session.SetUser("ada");
        session.Flags = 7;

        _events.Connected(session);
        Assert.That(_events.HasPending, Is.True);
        Assert.That(_out.Events, Is.Empty);

        _events.Flush();

        Assert.That(_events.HasPending, Is.False);
        Assert.That(_out.Events, Has.Count.EqualTo(1));
        var (service, header, frame, payload, about) = _out.Events[0];
        Assert.That(service, Is.EqualTo("lobby"));
        Assert.That(header.Type, Is.EqualTo(SessionEventType.Connected));
        Assert.That(payload, Is.Empty);
        Assert.That(about, Is.SameAs(session));
        Assert.That(SessionContext.TryRead(frame, out var context), Is.True);
        Assert.That((context.SessionId, context.Flags, context.UserId), Is.EqualTo((42UL, 7UL, "ada")));
        Assert.That(session.ConnectedEventPending, Is.True);
    }

    [Test]
    public void Events_OfASessionWithoutService_AreNotQueued()
    {
        var session = new Session(1, []);

        _events.Connected(session);
        _events.Closed(session, SessionCloseReason.Kicked, "bye");

        Assert.That(_events.HasPending, Is.False);
        Assert.That(session.ConnectedEventPending, Is.False);
    }

    [Test]
    public void Closed_WhileTheConnectedEventIsPending_WaitsForIt_ThenIsQueuedOnce()
    {
        var session = new Session(1, Lobby);
        _events.Connected(session);
        _events.Flush();

        _events.Closed(session, SessionCloseReason.Kicked, "bye");
        Assert.That(_events.HasPending, Is.False, "no close event before the connected event is done");

        _events.Done(session, SessionEventType.Connected);
        _events.Done(session, SessionEventType.Connected);
        _events.Flush();

        Assert.That(_out.Events.Select(e => e.Header.Type), Is.EqualTo(new[] { SessionEventType.Connected, SessionEventType.Closed }));
        Assert.That(_out.Events[1].Header.Reason, Is.EqualTo(SessionCloseReason.Kicked));
        Assert.That(Encoding.UTF8.GetString(_out.Events[1].Payload), Is.EqualTo("bye"));
    }

    [Test]
    public void Closed_AfterTheConnectedEventIsDone_IsQueuedAtOnce()
    {
        var session = new Session(1, Lobby);
        _events.Connected(session);
        _events.Done(session, SessionEventType.Connected);

        _events.Closed(session, SessionCloseReason.Expired, "silent");
        _events.Flush();

        Assert.That(_out.Events.Select(e => e.Header.Type), Is.EqualTo(new[] { SessionEventType.Connected, SessionEventType.Closed }));
    }

    [Test]
    public void Done_OfAnotherEventType_ChangesNothing()
    {
        var session = new Session(1, Lobby);
        _events.Connected(session);
        _events.Closed(session, SessionCloseReason.Kicked, "bye");

        _events.Done(session, SessionEventType.Closed);

        Assert.That(session.ConnectedEventPending, Is.True);
        Assert.That(session.DeferredClose, Is.Not.Null);
    }

    [Test]
    public void Trigger_IsAboutNoSession_AndCarriesItsCommandAndPayload()
    {
        _events.Trigger(Lobby, 17, [1, 2]);
        _events.Trigger(Lobby, 18, null);
        _events.Flush();

        Assert.That(_out.Events, Has.Count.EqualTo(2));
        Assert.That(_out.Events[0].Header.Type, Is.EqualTo(SessionEventType.Trigger));
        Assert.That(_out.Events[0].Header.Command, Is.EqualTo(17));
        Assert.That(_out.Events[0].Payload, Is.EqualTo(new byte[] { 1, 2 }));
        Assert.That(_out.Events[0].Session, Is.Null);
        Assert.That(SessionContext.TryRead(_out.Events[0].SessionFrame, out var context), Is.True);
        Assert.That(context.SessionId, Is.Zero);
        Assert.That(_out.Events[1].Payload, Is.Empty);
    }
}
