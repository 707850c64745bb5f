using System.Buffers.Binary;
using ZmqGame.Broker;
using ZmqGame.Protocol;
using ZmqGame.Tests.Support;
using static ZmqGame.Tests.Support.Raw;

namespace ZmqGame.Tests.WebSocket;

/// <summary>
/// The broker's WebSocket frontend (ZWS 2.0, RFC 45) spoken to by a ZWS peer written in the test: the handshake bytes
/// of both subprotocols, stock MDP/0.1 requests answered by a stock worker, routing identities, and ZGC01 sessions
/// with a login and a push, on the same broker as TCP clients.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class WebSocketFrontendTests
{
    /// <summary>The broker's READY as libzmq's ROUTER sends it: flags COMMAND, [5]"READY" [11]"Socket-Type" [0 0 0 6]"ROUTER".</summary>
    private static readonly byte[] RouterReady = [0x02, 5, .. "READY"u8, 11, .. "Socket-Type"u8, 0, 0, 0, 6, .. "ROUTER"u8];

    internal static Task<BrokerFixture> StartBrokerAsync(Action<BrokerOptions>? configure = null) =>
        BrokerFixture.StartAsync(o =>
        {
            o.WebSocket = "ws://127.0.0.1:0";
            configure?.Invoke(o);
        });

    internal static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>One MDP/0.1 round trip: the client's request reaches the stock worker, whose reply comes back over the WebSocket.</summary>
    internal static async Task<byte[]> MdpRoundTripAsync(ZwsTestClient client, NetMQ.Sockets.DealerSocket worker, string service, string body)
    {
        await client.SendAsync([], B("MDPC01"), B(service), B(body));
        var request = ReceiveUntil(worker, f => IsWorkerCommand(f, 0x02));
        Assert.That(S(request[5]), Is.EqualTo(body));
        Send(worker, [], B("MDPW01"), [0x03], request[3], [], B(body + " back"));
        var reply = await client.ReceiveAsync();
        Assert.That(reply.Select(S), Is.EqualTo(new[] { "", "MDPC01", service, body + " back" }));
        return request[3];
    }

    [Test]
    public async Task StockMdpClient_OverZwsNull_GetsRoutersReady_AndIsAnsweredByAStockWorker()
    {
        await using var broker = await StartBrokerAsync();
        using var worker = await broker.RawWorkerAsync("echo");
        await using var client = await ZwsTestClient.ConnectAsync(broker.WebSocket);

        Assert.That(client.SubProtocol, Is.EqualTo("ZWS2.0/NULL"));
        Assert.That(client.Greeting, Is.EqualTo(RouterReady));
        var identity = await MdpRoundTripAsync(client, worker, "echo", "hello");
        Assert.That(identity, Has.Length.EqualTo(7), "a generated WebSocket identity: 0, 'W', 'S', a counter");
        Assert.That(identity[..3], Is.EqualTo(new byte[] { 0, (byte)'W', (byte)'S' }));
    }

    [Test]
    public async Task StockMdpClient_OverBareZws_GetsAnEmptyRoutingId_AndIsAnswered()
    {
        await using var broker = await StartBrokerAsync();
        using var worker = await broker.RawWorkerAsync("echo");
        await using var client = await ZwsTestClient.ConnectAsync(broker.WebSocket, protocol: "ZWS2.0");

        Assert.That(client.SubProtocol, Is.EqualTo("ZWS2.0"));
        Assert.That(client.Greeting, Is.EqualTo(new byte[] { 0 }), "a ROUTER's routing-id message: one empty frame");
        await MdpRoundTripAsync(client, worker, "echo", "bare");
    }

    [TestCase("ZWS2.0/NULL")]
    [TestCase("ZWS2.0")]
    public async Task Identity_AskedInTheHandshake_IsTheRoutingIdentity_AndASecondConnectionAskingForItIsClosed(string protocol)
    {
        await using var broker = await StartBrokerAsync();
        using var worker = await broker.RawWorkerAsync("echo");
        await using var first = await ZwsTestClient.ConnectAsync(broker.WebSocket, protocol, identity: B("player-1"));
        Assert.That(S(await MdpRoundTripAsync(first, worker, "echo", "one")), Is.EqualTo("player-1"));

        await using var second = await ZwsTestClient.ConnectAsync(broker.WebSocket, protocol, identity: B("player-1"));
        Assert.That(await second.ClosedAsync(), Is.EqualTo(System.Net.WebSockets.WebSocketCloseStatus.PolicyViolation));
        Assert.That(S(await MdpRoundTripAsync(first, worker, "echo", "two")), Is.EqualTo("player-1"), "the first keeps its identity");
        Assert.That(await broker.Server.InvokeAsync(() => broker.Stats.BadInputCount(BadInput.ConnectionDropped)), Is.EqualTo(1));
    }

    [Test]
    public async Task ZgcSession_OverZws_LogsIn_GetsAPush_AndARequestIsAnswered_NextToATcpClient()
    {
        await using var broker = await StartBrokerAsync();
        var service = Unique("lobby");
        using var worker = await RawZgWorker.StartAsync(broker, service);
        using var tcp = new RawSessionClient(broker.Frontend);
        tcp.Hello();
        await using var client = await ZwsTestClient.ConnectAsync(broker.WebSocket);

        await client.SendAsync([], B("ZGC01"), [ZgClient.Hello], B(service), []);
        var welcome = await NextWelcomeAsync(client);
        var (header, session, _) = worker.NextEvent();
        Assert.That(header.Type, Is.EqualTo(SessionEventType.Connected));
        Assert.That(session.SessionId, Is.EqualTo(welcome.Session));

        worker.Act(SessionActions.Bind, new ActionArgs { Session = welcome.Session, User = "ann" });
        Assert.That((await NextWelcomeAsync(client)).User, Is.EqualTo("ann"));
        worker.Act(SessionActions.Push, new ActionArgs { Users = ["ann"], Command = 42 }, B("for ann"));
        var push = await client.ReceiveUntilAsync(f => IsZg(f, ZgClient.Push));
        Assert.That(PushHeader.TryRead(push[3], out var pushHeader), Is.True);
        Assert.That(pushHeader.Command, Is.EqualTo(42));
        Assert.That(S(push[4]), Is.EqualTo("for ann"));

        await client.SendAsync([], B("ZGC01"), [ZgClient.Request], B(service), RawZg.RequestHeader(7, 3, 0), B("hi"));
        var (address, requestHeader, requestSession) = worker.NextRequest();
        Assert.That(requestSession.UserId, Is.EqualTo("ann"));
        worker.Reply(address, requestHeader.RequestId, B("hi ann"));
        var reply = await client.ReceiveUntilAsync(f => IsZg(f, ZgClient.Reply));
        Assert.That(BinaryPrimitives.ReadUInt64BigEndian(reply[3].AsSpan(4)), Is.EqualTo(7UL));
        Assert.That(reply[3][12], Is.Zero, "status ok");
        Assert.That(S(reply[4]), Is.EqualTo("hi ann"));
        Assert.That(tcp.NextCommandAfterHeartbeat(), Is.EqualTo(ZgClient.Heartbeat), "the TCP client got nothing of ann's");
    }

    internal static bool IsZg(List<byte[]> f, byte command) => f.Count >= 3 && S(f[1]) == "ZGC01" && f[2].Length == 1 && f[2][0] == command;

    private static async Task<Welcome> NextWelcomeAsync(ZwsTestClient client)
    {
        var frames = await client.ReceiveUntilAsync(f => IsZg(f, ZgClient.Hello));
        Assert.That(Welcome.TryParse(frames[3], out var welcome), Is.True, "WELCOME map");
        return welcome;
    }
}
