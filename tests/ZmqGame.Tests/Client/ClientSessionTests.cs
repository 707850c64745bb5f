using System.Diagnostics;
using NetMQ;
using ZmqGame.Client;
using ZmqGame.Protocol;
using ZmqGame.Tests.Support;
using static ZmqGame.Tests.Client.ClientTestSupport;

namespace ZmqGame.Tests.Client;

/// <summary>Sessions (docs/protocol.md, "Sessions") against the fake broker, which speaks the frames by hand.</summary>
[TestFixture]
[CancelAfter(30_000)]
public sealed class ClientSessionTests : FakeBrokerFixture
{
    [Test]
    public async Task Connect_WelcomeDescribesSession_SessionHoldsItAndHelloNamedSessionService()
    {
        Broker.WelcomeFor = _ => new Welcome { User = "ann", Flags = 7, Groups = ["red", "blue"], TimeoutMs = 9000 };
        var options = new ZmqGameClientOptions { SessionService = "game" };

        await using var client = await ConnectAsync(Broker, options);

        var hello = await Broker.NextHelloAsync();
        Assert.That(hello.Service, Is.EqualTo("game"));
        Assert.That(hello.Ticket, Is.Empty);
        var session = client.Session!;
        Assert.Multiple(() =>
        {
            Assert.That(session.Id, Is.Not.Zero);
            Assert.That(session.UserId, Is.EqualTo("ann"));
            Assert.That(session.IsLoggedIn, Is.True);
            Assert.That(session.Flags, Is.EqualTo(7UL));
            Assert.That(session.Groups, Is.EqualTo(new[] { "red", "blue" }));
            Assert.That(session.Timeout, Is.EqualTo(TimeSpan.FromSeconds(9)));
        });
    }

    [Test]
    public async Task Connect_NoSessionService_HelloHasEmptyServiceAndSessionIsNotLoggedIn()
    {
        await using var client = await ConnectAsync(Broker);

        var hello = await Broker.NextHelloAsync();
        Assert.That(hello.Service, Is.Empty);
        Assert.That(client.Session!.IsLoggedIn, Is.False);
        Assert.That(client.Session.UserId, Is.Null);
        Assert.That(client.Session.Groups, Is.Empty);
    }

    [Test]
    public async Task Request_NamesItsSession_AndANoSessionAnswer_ResumesThenSendsItAgain()
    {
        await using var client = await ConnectAsync(Broker);
        var id = client.Session!.Id;
        await Broker.NextHelloAsync();
        var answeredNoSession = 0;
        Broker.Responder = request =>
        {
            if (!RequestHeader.TryRead(request[5].ToByteArray(), out var header))
            {
                return null;
            }

            // The first time, as a restarted broker would: this connection has no session.
            return Interlocked.Increment(ref answeredNoSession) == 1
                ? FakeBroker.Reply(request[0].ToByteArray(), header.RequestId, Status.NoSession, "no session"u8.ToArray())
                : FakeBroker.Reply(request[0].ToByteArray(), header.RequestId, Status.Ok, request[6].ToByteArray());
        };

        var reply = await client.RequestRawAsync("game", 1, "again"u8.ToArray());

        Assert.That(reply, Is.EqualTo("again"u8.ToArray()), "the request ran once the session was back");
        Assert.That(await Broker.SessionRequests.ReadAsync(), Is.EqualTo(id), "sent as a SESSION REQUEST naming the session");
        var resume = await Broker.NextHelloAsync();
        Assert.That(resume.Ticket, Is.EqualTo(FakeBroker.TicketFor(id)), "resumed with the ticket");
        Assert.That(await Broker.SessionRequests.ReadAsync(), Is.EqualTo(id));
        Assert.That(answeredNoSession, Is.EqualTo(2));
    }

    [Test]
    public async Task Heartbeat_WithSession_CarriesSessionIdBigEndian()
    {
        var options = FastOptions();
        options.Liveness = 20;
        await using var client = await ConnectAsync(Broker, options);
        var id = client.Session!.Id;

        HeartbeatSeen heartbeat;
        do
        {
            heartbeat = await Broker.NextHeartbeatSeenAsync(); // one sent before the WELCOME carries none
        }
        while (heartbeat.SessionFrame is null);

        Assert.That(heartbeat.SessionFrame, Is.EqualTo(FakeBroker.TicketFor(id)), "8 bytes, big-endian");
        for (var i = 0; i < 3; i++)
        {
            Assert.That((await Broker.NextHeartbeatSeenAsync()).SessionId, Is.EqualTo(id));
        }
    }

    [Test]
    public async Task NoSession_ClientResumesWithTicketOnSameConnection_AndRaisesResumed()
    {
        await using var client = await ConnectAsync(Broker);
        var first = await Broker.NextHelloAsync();
        var id = client.Session!.Id;
        var changed = NextEvent<SessionChangedEventArgs>(h => client.SessionChanged += h);

        Broker.Send(FakeBroker.NoSessionMessage(first.Identity));

        var resume = await Broker.NextHelloAsync();
        Assert.That(resume.Identity, Is.EqualTo(first.Identity), "same socket");
        Assert.That(resume.Ticket, Is.EqualTo(FakeBroker.TicketFor(id)), "the ticket of the WELCOME");
        var args = await changed.Within();
        Assert.That(args.Resumed, Is.True);
        Assert.That(args.Session.Id, Is.EqualTo(id));
    }

    [Test]
    public async Task Reconnect_AfterSilence_NewSocketSaysHelloWithTicket_AndRaisesResumed()
    {
        await using var client = await ConnectAsync(Broker, FastOptions());
        var first = await Broker.NextHelloAsync();
        var id = client.Session!.Id;
        var changed = NextEvent<SessionChangedEventArgs>(h => client.SessionChanged += h);

        Broker.AnswerHeartbeats = false; // silence: the client declares the connection dead and opens a new socket

        var resume = await Broker.NextHelloAsync();
        Assert.That(resume.Identity, Is.Not.EqualTo(first.Identity), "a new socket");
        Assert.That(resume.Ticket, Is.EqualTo(FakeBroker.TicketFor(id)));
        var args = await changed.Within();
        Assert.That(args.Resumed, Is.True);
        Assert.That(args.Session.Id, Is.EqualTo(id));
        Broker.AnswerHeartbeats = true;
    }

    [Test]
    public async Task Reconnect_BrokerRestarted_RequestWaitsForWelcomeOnNewConnection()
    {
        var endpoint = Broker.Endpoint;
        await using var client = await ConnectAsync(Broker, FastOptions());
        var id = client.Session!.Id;
        Broker.Dispose();
        await Eventually.True(() => client.Core.ConnectionsOpened >= 2, "the client noticed the silence and reopened");

        var call = client.RequestRawAsync("game", 3, new byte[] { 0x01 }, TimeSpan.FromSeconds(8));
        Broker = new FakeBroker(endpoint) { Responder = FakeBroker.Echo };

        Assert.That(await call.Within(), Is.EqualTo(new byte[] { 0x01 }));
        var hello = await Broker.NextHelloAsync();
        Assert.That(hello.Ticket, Is.EqualTo(FakeBroker.TicketFor(id)), "resumed with the ticket of the old broker");
    }

    [TestCase(SessionCloseReason.Expired, "session expired")]
    [TestCase(SessionCloseReason.Kicked, "cheating")]
    [TestCase(SessionCloseReason.Replaced, "logged in elsewhere")]
    public async Task Closed_ByBroker_RaisesSessionClosedOnceAndOpensFreshSessionWithoutTicket(SessionCloseReason reason, string text)
    {
        await using var client = await ConnectAsync(Broker);
        var first = await Broker.NextHelloAsync();
        var oldId = client.Session!.Id;
        var closed = new List<SessionClosedEventArgs>();
        client.SessionClosed += (_, e) =>
        {
            lock (closed)
            {
                closed.Add(e);
            }
        };
        var changed = NextEvent<SessionChangedEventArgs>(h => client.SessionChanged += h);

        Broker.Send(FakeBroker.ClosedMessage(first.Identity, reason, text));

        var fresh = await Broker.NextHelloAsync();
        Assert.That(fresh.Ticket, Is.Empty, "the old session is gone: a new one, to log in again");
        var args = await changed.Within();
        Assert.That(args.Resumed, Is.False);
        Assert.That(args.Session.Id, Is.Not.EqualTo(oldId));
        Assert.That(client.Session!.Id, Is.EqualTo(args.Session.Id));

        // Events are raised in order: SessionClosed came before this SessionChanged.
        lock (closed)
        {
            Assert.That(closed, Has.Count.EqualTo(1));
            Assert.That(closed[0].Reason, Is.EqualTo(reason));
            Assert.That(closed[0].Text, Is.EqualTo(text));
            Assert.That(closed[0].SessionId, Is.EqualTo(oldId));
        }
    }

    [Test]
    public async Task Resume_RefusedAsExpired_OpensFreshSessionAndRaisesSessionClosed()
    {
        await using var client = await ConnectAsync(Broker);
        var first = await Broker.NextHelloAsync();
        var oldId = client.Session!.Id;
        var closed = NextEvent<SessionClosedEventArgs>(h => client.SessionClosed += h);
        var changed = NextEvent<SessionChangedEventArgs>(h => client.SessionChanged += h);
        Broker.RefuseResume = true;

        Broker.Send(FakeBroker.NoSessionMessage(first.Identity));

        Assert.That((await Broker.NextHelloAsync()).Ticket, Is.EqualTo(FakeBroker.TicketFor(oldId)), "first it tries to resume");
        Assert.That((await Broker.NextHelloAsync()).Ticket, Is.Empty, "refused: a fresh session");
        Assert.That((await closed.Within()).Reason, Is.EqualTo(SessionCloseReason.Expired));
        var args = await changed.Within();
        Assert.That(args.Resumed, Is.False);
        Assert.That(args.Session.Id, Is.Not.EqualTo(oldId));
    }

    [Test]
    public async Task Welcome_AfterLogin_RaisesSessionChangedWithUserAndGroups()
    {
        await using var client = await ConnectAsync(Broker);
        var first = await Broker.NextHelloAsync();
        var id = client.Session!.Id;
        var changed = NextEvent<SessionChangedEventArgs>(h => client.SessionChanged += h);

        Broker.Send(FakeBroker.WelcomeMessage(first.Identity, new Welcome { Session = id, User = "bob", Groups = ["g1"], TimeoutMs = 10_000 }));

        var args = await changed.Within();
        Assert.That(args.Session.UserId, Is.EqualTo("bob"));
        Assert.That(args.Session.Groups, Is.EqualTo(new[] { "g1" }));
        Assert.That(args.Resumed, Is.False);
        Assert.That(client.Session!.UserId, Is.EqualTo("bob"));
    }

    [Test]
    public async Task Dispose_SendsCloseAndReturnsAfterClosed()
    {
        var client = await ConnectAsync(Broker);
        var first = await Broker.NextHelloAsync();
        var closed = NextEvent<SessionClosedEventArgs>(h => client.SessionClosed += h);

        await client.DisposeAsync().AsTask().Within();

        Assert.That(Broker.Closes.TryRead(out var identity), Is.True, "CLOSE reached the broker before the socket closed");
        Assert.That(identity, Is.EqualTo(first.Identity));
        Assert.That((await closed.Within()).Reason, Is.EqualTo(SessionCloseReason.ClientClosed));
        Assert.That(Broker.Hellos.TryRead(out _), Is.False, "no new session after our own close");
    }

    [Test]
    public async Task Dispose_BrokerNeverAnswersClose_ReturnsWithinBound()
    {
        Broker.AnswerCloses = false;
        var client = await ConnectAsync(Broker);
        var watch = Stopwatch.StartNew();

        await client.DisposeAsync().AsTask().Within();

        Assert.That(await Broker.NextCloseAsync(), Is.Not.Empty);
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(3)));
    }

    [Test]
    public async Task Closed_Malformed_IsCountedAndSessionKept()
    {
        await using var client = await ConnectAsync(Broker);
        var first = await Broker.NextHelloAsync();
        var id = client.Session!.Id;

        Broker.Send(FakeBroker.Zgc(first.Identity, ZgClient.Close));                        // no reason
        Broker.Send(FakeBroker.Zgc(first.Identity, ZgClient.Hello, [0xC1], [1]));           // welcome not MessagePack
        await Eventually.True(() => client.Core.MalformedMessages == 2, "both counted");

        Assert.That(client.Session!.Id, Is.EqualTo(id));
        Assert.That(Broker.Hellos.TryRead(out _), Is.False);
    }

    [Test]
    public async Task Curve_ServerKeySet_ConnectsToCurveBroker()
    {
        var server = new NetMQCertificate();
        using var secure = new FakeBroker(curve: server) { Responder = FakeBroker.Echo };
        var options = new ZmqGameClientOptions { ServerPublicKey = server.PublicKeyZ85 };

        await using var client = await ConnectAsync(secure, options);

        Assert.That(await client.RequestRawAsync("game", 1, new byte[] { 0x2A }).Within(), Is.EqualTo(new byte[] { 0x2A }));
    }

    [Test]
    public void Curve_WrongServerKey_ConnectTimesOut()
    {
        using var secure = new FakeBroker(curve: new NetMQCertificate());
        var options = new ZmqGameClientOptions { ServerPublicKey = new NetMQCertificate().PublicKeyZ85, ConnectTimeout = TimeSpan.FromMilliseconds(300) };

        Assert.That(async () => await ConnectAsync(secure, options).Within(), Throws.InstanceOf<TimeoutException>());
    }

    [TestCase("mmi.service")]
    [TestCase(null)]
    public void Options_BadSessionService_FailsValidationNamingIt(string? service)
    {
        var options = new ZmqGameClientOptions { SessionService = service ?? new string('s', 256) };
        Assert.That(options.Validate, Throws.ArgumentException.With.Property("ParamName").EqualTo(nameof(ZmqGameClientOptions.SessionService)));
    }

    [TestCase("short")]
    [TestCase("rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf ")] // 40 characters, one outside Z85
    public void Options_BadServerPublicKey_FailsValidationNamingIt(string key)
    {
        var options = new ZmqGameClientOptions { ServerPublicKey = key };
        Assert.That(options.Validate, Throws.ArgumentException.With.Property("ParamName").EqualTo(nameof(ZmqGameClientOptions.ServerPublicKey)));
    }

    [Test]
    public void Options_SessionDefaults_AreValid()
    {
        var options = new ZmqGameClientOptions { ServerPublicKey = new NetMQCertificate().PublicKeyZ85, SessionService = "game" };
        Assert.That(options.Validate, Throws.Nothing);
        Assert.That(new ZmqGameClientOptions().PushBufferSize, Is.EqualTo(1024));
        Assert.That(new ZmqGameClientOptions { PushBufferSize = 0 }.Validate, Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    /// <summary>The next event of a kind, subscribed now.</summary>
    internal static Task<T> NextEvent<T>(Action<EventHandler<T>> subscribe)
    {
        var next = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        subscribe((_, e) => next.TrySetResult(e));
        return next.Task;
    }
}
