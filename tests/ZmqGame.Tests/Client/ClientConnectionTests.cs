using System.Diagnostics;
using ZmqGame.Client;
using ZmqGame.Protocol;
using static ZmqGame.Tests.Client.ClientTestSupport;

using ZmqGame.Tests.Support;

namespace ZmqGame.Tests.Client;

[TestFixture]
[CancelAfter(30_000)]
public sealed class ClientConnectionTests
{
    [Test]
    public void Connect_NothingListening_ThrowsNamingEndpointWithinConnectTimeout()
    {
        var endpoint = DeadEndpoint();
        var options = new ZmqGameClientOptions { ConnectTimeout = TimeSpan.FromMilliseconds(300) };
        var watch = Stopwatch.StartNew();

        var ex = Assert.ThrowsAsync<TimeoutException>(async () => await ZmqGameClient.ConnectAsync(endpoint, options).Within());

        Assert.That(ex!.Message, Is.EqualTo($"no broker answered at {endpoint} within 0.3 s"));
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(3)));
    }

    [Test]
    public async Task Connect_PeerNeverAnswers_ThrowsTimeout()
    {
        using var broker = new FakeBroker { AnswerHeartbeats = false, AnswerHellos = false };
        var options = new ZmqGameClientOptions { ConnectTimeout = TimeSpan.FromMilliseconds(300) };

        var connect = ZmqGameClient.ConnectAsync(broker.Endpoint, options);

        await broker.NextHelloAsync();
        Assert.That(async () => await connect.Within(), Throws.InstanceOf<TimeoutException>().With.Message.Contains(broker.Endpoint));
    }

    [Test]
    public async Task Connect_PeerAnswersHeartbeatsButNeverWelcomes_ThrowsTimeout()
    {
        using var broker = new FakeBroker { AnswerHellos = false };
        var options = new ZmqGameClientOptions { ConnectTimeout = TimeSpan.FromMilliseconds(400), HeartbeatInterval = TimeSpan.FromMilliseconds(50) };

        var connect = ZmqGameClient.ConnectAsync(broker.Endpoint, options);

        await broker.NextHelloAsync();
        await broker.NextHeartbeatAsync();
        Assert.That(async () => await connect.Within(), Throws.InstanceOf<TimeoutException>().With.Message.Contains(broker.Endpoint));
    }

    [Test]
    public async Task Connect_ListWithSilentBrokers_MovesOnAfterAHeartbeatIntervalNotTheSilenceWindow()
    {
        using var silent1 = new FakeBroker { AnswerHeartbeats = false, AnswerHellos = false };
        using var silent2 = new FakeBroker { AnswerHeartbeats = false, AnswerHellos = false };
        using var live = new FakeBroker();
        var options = new ZmqGameClientOptions
        {
            HeartbeatInterval = TimeSpan.FromMilliseconds(100),
            Liveness = 200, // a 20 s silence window, far over the connect timeout: only the one-interval rule can connect in time
            ConnectTimeout = TimeSpan.FromSeconds(5),
        };

        await using var client = await ZmqGameClient.ConnectAsync($"{silent1.Endpoint},{silent2.Endpoint},{live.Endpoint}", options).Within();

        Assert.That(client.Endpoint, Is.EqualTo(live.Endpoint));
    }

    [Test]
    public void Connect_InvalidEndpoint_ThrowsArgumentException()
    {
        Assert.That(async () => await ZmqGameClient.ConnectAsync("nonsense://x").Within(), Throws.InstanceOf<ArgumentException>());
        Assert.That(async () => await ZmqGameClient.ConnectAsync(" ").Within(), Throws.InstanceOf<ArgumentException>());
    }

    [Test]
    public void Connect_Cancelled_ThrowsOperationCanceled()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        Assert.That(
            async () => await ZmqGameClient.ConnectAsync(DeadEndpoint(), new ZmqGameClientOptions(), cts.Token).Within(),
            Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task Connect_BrokerWelcomes_SaidHelloFirstAndReturnsWithSession()
    {
        using var broker = new FakeBroker();
        await using var client = await ConnectAsync(broker);
        Assert.That(broker.Hellos.TryRead(out var hello), Is.True, "ConnectAsync returned after the broker answered HELLO");
        Assert.That(hello!.Ticket, Is.Empty, "a new session: no ticket");
        Assert.That(client.Endpoint, Is.EqualTo(broker.Endpoint));
        Assert.That(client.Session, Is.Not.Null);
    }

    [Test]
    public async Task Heartbeat_IdleClient_SendsHeartbeatEveryInterval()
    {
        using var broker = new FakeBroker();
        var options = FastOptions();
        options.Liveness = 20; // a scheduling hiccup on a loaded machine must not count as a dead broker here
        await using var client = await ConnectAsync(broker, options);
        var first = await broker.NextHeartbeatAsync();

        for (var i = 0; i < 4; i++)
        {
            Assert.That(await broker.NextHeartbeatAsync(), Is.EqualTo(first), "same connection keeps heartbeating");
        }

        Assert.That(client.Core.ConnectionsOpened, Is.EqualTo(1), "an answered connection is not reopened");
    }

    [Test]
    public async Task Heartbeat_ClientBusySendingButBrokerQuiet_StillHeartbeatsAndKeepsConnection()
    {
        using var broker = new FakeBroker();
        var options = FastOptions();
        options.Liveness = 6;
        await using var client = await ConnectAsync(broker, options);
        while (broker.Heartbeats.TryRead(out _))
        {
        }

        // Requests every 10 ms (never answered) mean the client is never idle on the send side; the broker only speaks
        // when spoken to, so the client must still heartbeat when it hears nothing, or it would declare the broker dead.
        var calls = new List<Task>();
        var until = DateTime.UtcNow.AddMilliseconds(600);
        while (DateTime.UtcNow < until)
        {
            calls.Add(client.RequestRawAsync("game", 1, new byte[] { 0xC0 }, TimeSpan.FromSeconds(5)));
            await Task.Delay(10);
        }

        Assert.That(broker.Heartbeats.TryRead(out _), Is.True, "heartbeats while busy sending");
        Assert.That(client.Core.ConnectionsOpened, Is.EqualTo(1));
        Assert.That(calls.Any(c => c.IsFaulted), Is.False, "no request failed as connection lost");
    }

    [Test]
    public async Task Reconnect_BrokerFallsSilent_InFlightRequestFailsAndNewConnectionWorks()
    {
        using var broker = new FakeBroker();
        await using var client = await ConnectAsync(broker, FastOptions());
        var firstIdentity = await broker.NextHeartbeatAsync();

        var inFlight = client.RequestRawAsync("game", 1, new byte[] { 0xC0 }, TimeSpan.FromSeconds(10));
        await broker.ReceiveAsync();
        broker.AnswerHeartbeats = false;

        var ex = Assert.ThrowsAsync<ZmqGameRequestException>(async () => await inFlight.Within());
        Assert.That(ex!.Status, Is.EqualTo(Status.BrokerLost));
        Assert.That(ex.ConnectionLost, Is.True);
        Assert.That(ex.Message, Does.Contain("was lost before the reply"));

        broker.Responder = FakeBroker.Echo;
        broker.AnswerHeartbeats = true;
        byte[] identity;
        do
        {
            identity = await broker.NextHeartbeatAsync();
        }
        while (identity.SequenceEqual(firstIdentity));

        Assert.That(await client.RequestRawAsync("game", 1, new byte[] { 0x2A }).Within(), Is.EqualTo(new byte[] { 0x2A }));
        Assert.That(client.Core.ConnectionsOpened, Is.GreaterThanOrEqualTo(2));
    }

    [Test]
    public async Task Reconnect_BrokerRestarts_RequestWaitingForNewConnectionIsDelivered()
    {
        var broker = new FakeBroker();
        var endpoint = broker.Endpoint;
        var options = FastOptions();
        await using var client = await ConnectAsync(broker, options);
        broker.Dispose();

        // Silence: the client drops its socket and retries with backoff. A request made meanwhile waits for a new one.
        await Eventually.True(() => client.Core.ConnectionsOpened >= 2, "a second connection opened");
        var call = client.RequestRawAsync("game", 3, new byte[] { 0x01 }, TimeSpan.FromSeconds(8));

        using var restarted = new FakeBroker(endpoint) { Responder = FakeBroker.Echo };
        Assert.That(await call.Within(), Is.EqualTo(new byte[] { 0x01 }));
    }

    [TestCase(nameof(ZmqGameClientOptions.RequestTimeout))]
    [TestCase(nameof(ZmqGameClientOptions.HeartbeatInterval))]
    [TestCase(nameof(ZmqGameClientOptions.ConnectTimeout))]
    [TestCase(nameof(ZmqGameClientOptions.ReconnectDelayMin))]
    [TestCase(nameof(ZmqGameClientOptions.ReconnectDelayMax))]
    public void Options_ZeroDuration_FailsValidationNamingIt(string property)
    {
        var options = new ZmqGameClientOptions();
        typeof(ZmqGameClientOptions).GetProperty(property)!.SetValue(options, TimeSpan.Zero);
        Assert.That(options.Validate, Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo(property));
    }

    [Test]
    public void Options_Defaults_AreValidAndDocumented()
    {
        var options = new ZmqGameClientOptions();
        Assert.That(options.Validate, Throws.Nothing);
        Assert.Multiple(() =>
        {
            Assert.That(options.RequestTimeout, Is.EqualTo(TimeSpan.FromSeconds(10)));
            Assert.That(options.HeartbeatInterval, Is.EqualTo(TimeSpan.FromMilliseconds(2500)));
            Assert.That(options.Liveness, Is.EqualTo(3));
            Assert.That(options.ConnectTimeout, Is.EqualTo(TimeSpan.FromSeconds(5)));
        });
    }

    [Test]
    public void Options_Inconsistent_FailValidation()
    {
        Assert.That(new ZmqGameClientOptions { Liveness = 0 }.Validate, Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(
            new ZmqGameClientOptions { ReconnectDelayMin = TimeSpan.FromSeconds(2), ReconnectDelayMax = TimeSpan.FromSeconds(1) }.Validate,
            Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(
            async () => await ZmqGameClient.ConnectAsync("tcp://127.0.0.1:1", new ZmqGameClientOptions { Liveness = 0 }),
            Throws.InstanceOf<ArgumentOutOfRangeException>());
    }
}
