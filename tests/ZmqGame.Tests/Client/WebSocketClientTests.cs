using MessagePack;
using ZmqGame.Broker;
using ZmqGame.Client;
using ZmqGame.Tests.Support;
using ZmqGame.Transport.WebSocket;
using ZmqGame.Worker;

namespace ZmqGame.Tests.Client;

/// <summary>
/// The C# client with a <c>ws://</c> endpoint, through a real broker's WebSocket frontend (ZWS 2.0, bare <c>ZWS2.0</c>
/// subprotocol as a browser offers it) to a ZmqGame worker on the broker's TCP backend: the session, requests and
/// replies, pushes, and a lost WebSocket connection resumed on a new one. The bridge is .NET's ClientWebSocket, the one
/// every runtime but a browser uses.
/// </summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(60_000)]
public sealed class WebSocketClientTests
{
    private const int Login = 1;
    private const int WhoAmI = 2;
    private const int Add = 3;
    private const int Welcome = 100;

    private BrokerFixture broker = null!;
    private WorkerApp app = null!;

    [SetUp]
    public async Task SetUp()
    {
        broker = await BrokerFixture.StartAsync(o =>
        {
            o.WebSocket = "ws://127.0.0.1:0";
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(500);
        });
        app = WorkerApp.Create(new WorkerOptions
        {
            Broker = broker.Backend,
            Slots = 2,
            HeartbeatInterval = TimeSpan.FromMilliseconds(500),
            ReconnectDelayMin = TimeSpan.FromMilliseconds(10),
            ReconnectDelayMax = TimeSpan.FromMilliseconds(100),
        });
        var game = app.MapService("game");
        game.Map<Text, Text>(Login, (name, ctx) =>
        {
            ctx.Login(name.Value);
            ctx.PushToCaller(Welcome, new Text("welcome " + name.Value));
            return name;
        });
        game.Map<Text, Text>(WhoAmI, (_, ctx) => new Text(ctx.Session.UserId ?? "-"));
        game.Map<Sum, Sum>(Add, (sum, _) => new Sum(sum.A + sum.B, 0));
        await app.StartAsync();
        await broker.WaitForIdleWorkers("game", 2);
    }

    [TearDown]
    public async Task TearDown()
    {
        await app.DisposeAsync();
        await broker.DisposeAsync();
    }

    private static ZmqGameClientOptions Fast() => new()
    {
        HeartbeatInterval = TimeSpan.FromMilliseconds(200),
        ReconnectDelayMin = TimeSpan.FromMilliseconds(10),
        ReconnectDelayMax = TimeSpan.FromMilliseconds(100),
    };

    [Test]
    public async Task WsEndpoint_OpensASession_LogsIn_GetsThePush_AndItsRequestsAreAnswered()
    {
        Assert.That(broker.WebSocket, Does.StartWith("ws://"));
        await using var client = await ZmqGameClient.ConnectAsync(broker.WebSocket, Fast());
        var pushes = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = client.OnPush<Text>(Welcome, t => pushes.TrySetResult(t.Value));

        Assert.That(client.Session, Is.Not.Null, "WELCOME came over the WebSocket");
        Assert.That(client.Endpoint, Is.EqualTo(broker.WebSocket));
        Assert.That((await client.RequestAsync<Text, Text>("game", Login, new Text("ann")).WaitAsync(Raw.Wait)).Value, Is.EqualTo("ann"));
        Assert.That(await pushes.Task.WaitAsync(Raw.Wait), Is.EqualTo("welcome ann"));
        Assert.That((await client.RequestAsync<Text, Text>("game", WhoAmI, new Text(string.Empty)).WaitAsync(Raw.Wait)).Value, Is.EqualTo("ann"));
        Assert.That(client.Session!.UserId, Is.EqualTo("ann"), "the WELCOME after the login named the user");
        Assert.That(await broker.Server.InvokeAsync(() => broker.Stats.SessionsOpened), Is.EqualTo(1));
        Assert.That(client.Core.ConnectionsOpened, Is.EqualTo(1));
    }

    [Test]
    public async Task WsEndpoint_ManyConcurrentCallers_EveryRequestAnsweredCorrectly()
    {
        await using var client = await ZmqGameClient.ConnectAsync(broker.WebSocket, Fast());
        var ok = 0;
        var wrong = 0;
        var calls = Enumerable.Range(0, 8).Select(t => Task.Run(async () =>
        {
            for (var i = 0; i < 50; i++)
            {
                var reply = await client.RequestAsync<Sum, Sum>("game", Add, new Sum(t, i));
                Interlocked.Increment(ref reply.A == t + i ? ref ok : ref wrong);
            }
        }));

        await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That((ok, wrong), Is.EqualTo((400, 0)));
        Assert.That(client.Core.MalformedMessages, Is.Zero);
    }

    [Test]
    public async Task WsConnectionCut_IsNoticedAtOnce_AndTheSessionResumesOnANewConnection()
    {
        var port = new Uri(broker.WebSocket).Port;
        using var relay = new TcpRelay(port);
        var options = Fast();
        options.Liveness = 50; // 10 s of silence: only the WebSocket's own close can explain a quick reconnect
        await using var client = await ZmqGameClient.ConnectAsync($"ws://127.0.0.1:{relay.Port}", options);

        // The login's WELCOME raises its own event, possibly after the reply is in: the resume is the event after it.
        var loggedIn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var resumed = new TaskCompletionSource<SessionChangedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.SessionChanged += (_, e) =>
        {
            if (!loggedIn.Task.IsCompleted && !e.Resumed && e.Session.UserId == "bob")
            {
                loggedIn.TrySetResult();
                return;
            }

            resumed.TrySetResult(e);
        };
        await client.RequestAsync<Text, Text>("game", Login, new Text("bob")).WaitAsync(Raw.Wait);
        await loggedIn.Task.WaitAsync(Raw.Wait);
        var id = client.Session!.Id;

        relay.Cut();
        await Eventually.True(() => client.Core.ConnectionsOpened >= 2, "a new connection after the cut", TimeSpan.FromSeconds(5));
        relay.Mend();

        var again = await resumed.Task.WaitAsync(Raw.Wait);
        Assert.That(again.Resumed, Is.True);
        Assert.That(again.Session.Id, Is.EqualTo(id));
        Assert.That((await client.RequestAsync<Text, Text>("game", WhoAmI, new Text(string.Empty)).WaitAsync(Raw.Wait)).Value, Is.EqualTo("bob"));
        Assert.That(await broker.Server.InvokeAsync(() => broker.Stats.SessionsResumed), Is.GreaterThanOrEqualTo(1));
    }

    [Test]
    public async Task Pumped_AsInAWebGlPlayer_TheClientConnectsAndIsAnswered_WithTheLoopRunOnlyByPump()
    {
        using var frames = new CancellationTokenSource();
        var pumps = 0L;
        ZmqGameWebSocket.Pumped = true;
        try
        {
            // The player's frames: Update calls Pump, about every 5 ms.
            var player = Task.Run(async () =>
            {
                using var frame = new PeriodicTimer(TimeSpan.FromMilliseconds(5));
                while (await frame.WaitForNextTickAsync(frames.Token).ConfigureAwait(false))
                {
                    ZmqGameWebSocket.Pump();
                    Interlocked.Increment(ref pumps);
                }
            });
            await using (var client = await ZmqGameClient.ConnectAsync(broker.WebSocket, Fast()))
            {
                Assert.That((await client.RequestAsync<Text, Text>("game", Login, new Text("cy")).WaitAsync(Raw.Wait)).Value, Is.EqualTo("cy"));
                Assert.That((await client.RequestAsync<Sum, Sum>("game", Add, new Sum(40, 2)).WaitAsync(Raw.Wait)).A, Is.EqualTo(42));
            }

            // The client's disposal finished: its loop's exit ran in a pump, and it left the pumped set.
            frames.Cancel();
            await player.ContinueWith(_ => { }, TaskScheduler.Default);
            Assert.That(Interlocked.Read(ref pumps), Is.GreaterThan(0));
        }
        finally
        {
            frames.Cancel();
            ZmqGameWebSocket.Pumped = false;
        }
    }

    [Test]
    public void WsEndpoint_WithAServerKey_IsRefusedWithAClearError()
    {
        var options = Fast();
        options.ServerPublicKey = new string('a', 40);
        var ex = Assert.ThrowsAsync<ArgumentException>(async () => await ZmqGameClient.ConnectAsync(broker.WebSocket, options));
        Assert.That(ex!.Message, Does.Contain("wss://"));
    }

    [TestCase("ws://*:5580")]
    [TestCase("ws://:5580")]
    [TestCase("wss://host:0/zmq")]
    public void WsEndpoint_ThatNamesNoBrokerToConnectTo_IsRefusedWithAClearError(string endpoint)
    {
        var ex = Assert.ThrowsAsync<ArgumentException>(async () => await ZmqGameClient.ConnectAsync(endpoint, Fast()));
        Assert.That(ex!.Message, Does.Contain("is not a WebSocket URL to connect to"));
    }

    [Test]
    public void WebSocketUrls_AreEndpointsForClientsOnly()
    {
        Assert.That(global::ZmqGame.Protocol.EndpointSyntax.ListProblem("ws://b1:5580/zmq,wss://b2.example", webSocket: true), Is.Null);
        Assert.That(global::ZmqGame.Protocol.EndpointSyntax.ListProblem("ws://b1:5580", webSocket: false), Does.Contain("does not speak"));
    }

    [MessagePackObject(true)]
    public record Text(string Value);

    [MessagePackObject(true)]
    public record Sum(int A, int B);
}
