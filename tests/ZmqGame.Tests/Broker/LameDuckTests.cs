using System.Net.Sockets;
using MessagePack;
using ZmqGame.Client;
using ZmqGame.Protocol;
using ZmqGame.Tests.Client;
using ZmqGame.Tests.Interop;
using ZmqGame.Tests.Support;
using ZmqGame.Tests.WorkerTests;
using ZmqGame.Worker;
using ZmqGame.Worker.Host;
using static ZmqGame.Tests.Support.Raw;

namespace ZmqGame.Tests.Broker;

/// <summary>A broker becoming a lame duck (<c>BrokerHost.RunLameDuckAsync</c>, what SIGTERM does with <c>Broker:LameDuck</c>).</summary>
[TestFixture]
[NonParallelizable]
public sealed class LameDuckTests
{
    [Test]
    public async Task LameDuck_FinishesTheRequestItHolds_ThenIsDoneWhenItsClientLeft_WithoutEndingTheSession()
    {
        using var broker = new BrokerFixture();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = WorkerApp.Create(TestOptions.For(broker.Backend, slots: 2));
        app.MapService("game").Map<Value, Value>(1, async (value, _) =>
        {
            started.TrySetResult();
            await gate.Task;
            return value;
        });
        await app.StartAsync();
        await broker.WaitForIdleWorkers("game", 2);
        await using var client = await ZmqGameClient.ConnectAsync(broker.Frontend, ClientTestSupport.FastOptions());
        var sessionsBefore = broker.Stats.SessionsClientClosed + broker.Stats.SessionsExpired;

        var held = client.RequestAsync<Value, Value>("game", 1, new Value(7), TimeSpan.FromSeconds(20));
        await started.Task.Within();
        var lameDuck = broker.Server.RunLameDuckAsync();
        gate.SetResult();

        Assert.That((await held.Within()).N, Is.EqualTo(7), "the request the lame duck held was answered");
        Assert.That(await lameDuck.WaitAsync(Raw.Wait), Is.True, "done: nothing held, the client left");
        Assert.That(broker.Stats.SessionsClientClosed + broker.Stats.SessionsExpired, Is.EqualTo(sessionsBefore), "no session ended");
        var id = client.Session!.Id;
        Assert.That(await broker.Server.InvokeAsync(() => broker.Server.Sessions.ById(id) is { Identity: null }), Is.True,
            "the session is kept, detached, for its next broker");
    }

    [Test]
    public async Task LameDuck_HelloOnAConnectionMadeBefore_IsAnsweredMove()
    {
        using var broker = new BrokerFixture();
        using var raw = RawSessionClient.Welcomed(broker.Frontend);
        using var late = new RawSessionClient(broker.Frontend);
        late.Heartbeat(); // the connection is made before the broker stops accepting
        late.NextCommandAfterHeartbeat();

        var lameDuck = broker.Server.RunLameDuckAsync();
        var move = raw.Next(f => f.Count >= 3 && S(f[1]) == "ZGC01" && f[2][0] == ZgClient.Move);
        Send(late.Socket, [], B("ZGC01"), [ZgClient.Hello], [], []);
        var answer = late.Next(f => f.Count >= 3 && S(f[1]) == "ZGC01" && f[2][0] is ZgClient.Move or ZgClient.Hello);

        Assert.That(S(move[3]), Does.Contain("stopping"));
        Assert.That(answer[2][0], Is.EqualTo(ZgClient.Move), "a lame duck opens no session");
        Assert.That(lameDuck.IsCompleted, Is.False, "a ZmqGame client is still connected");
    }

    [Test]
    [Category(Categories.OwnTransport)]
    public async Task LameDuck_OwnTransport_RefusesNewConnections()
    {
        using var broker = new BrokerFixture();
        using var raw = RawSessionClient.Welcomed(broker.Frontend);
        _ = broker.Server.RunLameDuckAsync();
        raw.Next(f => f.Count >= 3 && S(f[1]) == "ZGC01" && f[2][0] == ZgClient.Move);

        var port = int.Parse(broker.Frontend[(broker.Frontend.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        using var tcp = new TcpClient();
        var refused = Assert.ThrowsAsync<SocketException>(async () => await tcp.ConnectAsync("127.0.0.1", port));
        Assert.That(refused!.SocketErrorCode, Is.EqualTo(SocketError.ConnectionRefused));
    }

    /// <remarks>On NetMQ too: a closing NetMQ router must not send the peer its disconnect message (<c>NetMqDisconnectMessage</c>).</remarks>
    [Test]
    [Category(LibzmqPeer.Category)]
    public async Task LameDuck_StockMdpClient_SeesTheConnectionCloseAndReconnectsToTheNextBroker()
    {
        var first = new BrokerFixture();
        try
        {
            await using var worker = WorkerApp.Create(TestOptions.For(first.Backend, slots: 1, heartbeat: TimeSpan.FromMilliseconds(100)));
            SampleServices.MapEcho(worker);
            await worker.StartAsync();
            await first.WaitForIdleWorkers(SampleServices.Echo);

            // libzmq sends, idles 1.5 s (the broker stops meanwhile), then sends again.
            using var peer = LibzmqPeer.Start("client", "dealer", first.Frontend, "hb", SampleServices.Echo, "ping");
            Assert.That((await peer.WaitReplyAsync()).Frames, Is.EqualTo(new[] { "ping" }));
            Assert.That(await first.Server.RunLameDuckAsync().WaitAsync(Raw.Wait), Is.True, "a stock MDP client does not hold a lame duck up");
            using var second = await first.RestartAsync();

            Assert.That((await peer.WaitReplyAsync()).Frames, Is.EqualTo(new[] { "ping" }), "answered through the next broker");
            peer.Drain();
            Assert.That(peer.Seen, Has.Some.StartsWith("EVENT DISCONNECTED"), "libzmq saw the lame duck's connection close");
        }
        finally
        {
            first.Dispose();
        }
    }

    [MessagePackObject(true)]
    public record Value(int N);
}
