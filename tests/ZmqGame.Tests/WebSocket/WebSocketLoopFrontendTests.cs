using System.Text;
using ZmqGame.Broker;
using ZmqGame.Tests.Support;
using static ZmqGame.Tests.Support.Raw;
using static ZmqGame.Tests.WebSocket.WebSocketFrontendTests;

namespace ZmqGame.Tests.WebSocket;

/// <summary>
/// The <c>ws://</c> frontend as the broker's own loop serves it (the own transport), byte by byte from a raw socket: the
/// HTTP upgrade and each refusal with its status, a request head in pieces, over its bound or never finished; RFC 6455
/// framing (fragments, 16- and 64-bit lengths, ping and pong, the close handshake, masking, reserved bits, opcodes);
/// and a client that sends one byte at a time. What breaks the protocol is counted once as a dropped connection.
/// </summary>
[TestFixture]
[NonParallelizable]
[Category(Categories.OwnTransport)]
public sealed class WebSocketLoopFrontendTests
{
    [Test]
    public async Task Upgrade_IsAnswered101_WithTheAcceptOfTheKey_AndTheSubprotocolTaken()
    {
        await using var broker = await StartBrokerAsync();
        using var peer = await RawWebSocketPeer.ConnectAsync(broker.WebSocket);

        await peer.SendAsync(Encoding.ASCII.GetBytes(RawWebSocketPeer.Request("/", "chat, ZWS2.0, ZWS2.0/NULL")));

        var head = await peer.ReadHeadAsync();
        Assert.That(head, Does.StartWith("HTTP/1.1 101 "));
        Assert.That(head, Does.Contain("Sec-WebSocket-Accept: " + RawWebSocketPeer.Accept + "\r\n"));
        Assert.That(RawWebSocketPeer.AcceptFor(RawWebSocketPeer.Key), Is.EqualTo(RawWebSocketPeer.Accept), "RFC 6455's example");
        Assert.That(head, Does.Contain("Sec-WebSocket-Protocol: ZWS2.0\r\n"), "the first ZWS subprotocol offered");
        Assert.That(await peer.ReadBinaryAsync(), Is.EqualTo(new byte[] { 0 }), "bare ZWS2.0: the ROUTER's empty routing id");
    }

    [Test]
    public async Task Upgrade_HeaderNamesAndTokensInAnyCase_IsUpgraded()
    {
        await using var broker = await StartBrokerAsync();
        using var peer = await RawWebSocketPeer.ConnectAsync(broker.WebSocket);

        await peer.SendAsync(Encoding.ASCII.GetBytes(
            "GET / HTTP/1.1\r\nhost: localhost\r\nUPGRADE: WebSocket\r\nconnection: upgrade\r\n"
            + $"sec-websocket-key: {RawWebSocketPeer.Key}\r\nsec-websocket-version: 13\r\nsec-websocket-protocol: ZWS2.0/NULL\r\n\r\n"));

        var head = await peer.ReadHeadAsync();
        Assert.That(head, Does.StartWith("HTTP/1.1 101 "));
        Assert.That(head, Does.Contain("Sec-WebSocket-Protocol: ZWS2.0/NULL\r\n"));
    }

    private static IEnumerable<TestCaseData> Refusals()
    {
        yield return new TestCaseData(RawWebSocketPeer.Request("/elsewhere"), 404, false).SetName("Upgrade_OffThePath_Is404_NotCounted");
        yield return new TestCaseData(RawWebSocketPeer.Request("/", upgrade: false), 400, true).SetName("Request_WithoutUpgrade_Is400_AndCounted");
        yield return new TestCaseData(RawWebSocketPeer.Request("/", method: "POST"), 400, true).SetName("Upgrade_NotAGet_Is400_AndCounted");
        yield return new TestCaseData(RawWebSocketPeer.Request("/", protocol: "chat"), 400, true).SetName("Upgrade_WithoutAZwsSubprotocol_Is400_AndCounted");
        yield return new TestCaseData(RawWebSocketPeer.Request("/", protocol: null), 400, true).SetName("Upgrade_WithNoSubprotocol_Is400_AndCounted");
        yield return new TestCaseData(RawWebSocketPeer.Request("/").Replace("Version: 13", "Version: 8", StringComparison.Ordinal), 400, true).SetName("Upgrade_OfAnotherVersion_Is400_AndCounted");
        yield return new TestCaseData("hello\r\n\r\n", 400, true).SetName("NotHttp_Is400_AndCounted");
    }

    [TestCaseSource(nameof(Refusals))]
    public async Task Refusal_IsAnsweredWithItsStatus_AndTheConnectionCloses(string request, int status, bool counted)
    {
        await using var broker = await StartBrokerAsync();
        using var peer = await RawWebSocketPeer.ConnectAsync(broker.WebSocket);

        await peer.SendAsync(Encoding.ASCII.GetBytes(request));

        var answer = await peer.ReadToEndAsync();
        Assert.That(answer, Does.StartWith($"HTTP/1.1 {status} "), "answered, then the connection closed");
        if (status == 400)
        {
            Assert.That(answer, Does.Contain("ZWS 2.0"), "the answer says what the endpoint is");
        }

        if (counted)
        {
            await Eventually.True(async () => await DroppedAsync(broker) == 1, "the refused request counted");
        }

        await AssertServedAsync(broker);
        Assert.That(await DroppedAsync(broker), Is.EqualTo(counted ? 1 : 0));
    }

    [Test]
    public async Task Upgrade_ToALameDuck_Is503_AndTheConnectionsMadeGoOn()
    {
        await using var broker = await StartBrokerAsync();
        using var worker = await broker.RawWorkerAsync("echo");
        using var before = await HandshakenAsync(broker);

        Assert.That(await broker.Server.RunLameDuckAsync(), Is.True);
        using var peer = await RawWebSocketPeer.ConnectAsync(broker.WebSocket);
        await peer.SendAsync(Encoding.ASCII.GetBytes(RawWebSocketPeer.Request("/")));

        Assert.That(await peer.ReadToEndAsync(), Does.StartWith("HTTP/1.1 503 "));
        await RoundTripAsync(before, worker, "still served");
    }

    [Test]
    public async Task RequestHead_InTwoSegments_IsUpgraded()
    {
        await using var broker = await StartBrokerAsync();
        using var peer = await RawWebSocketPeer.ConnectAsync(broker.WebSocket);
        var request = Encoding.ASCII.GetBytes(RawWebSocketPeer.Request("/"));

        await peer.SendAsync(request[..40]);
        await Task.Yield();
        await peer.SendAsync(request[40..]);

        Assert.That(await peer.ReadHeadAsync(), Does.StartWith("HTTP/1.1 101 "));
    }

    [Test]
    public async Task RequestHead_OverItsBound_IsRefused431_AndCounted()
    {
        await using var broker = await StartBrokerAsync();
        using var peer = await RawWebSocketPeer.ConnectAsync(broker.WebSocket);

        await peer.SendAsync(Encoding.ASCII.GetBytes(RawWebSocketPeer.Request("/", extra: "X-Padding: " + new string('a', 9000) + "\r\n")));

        Assert.That(await peer.ReadToEndAsync(), Does.StartWith("HTTP/1.1 431 "));
        await Eventually.True(async () => await DroppedAsync(broker) == 1, "the oversized head counted");
    }

    [Test]
    public async Task SilentConnection_IsClosedAfterTheHandshakeTimeout_AndCounted()
    {
        await using var broker = await StartBrokerAsync(o => o.HandshakeTimeout = TimeSpan.FromMilliseconds(300));
        using var silent = await RawWebSocketPeer.ConnectAsync(broker.WebSocket);
        using var halfway = await RawWebSocketPeer.ConnectAsync(broker.WebSocket);
        await halfway.SendAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\n"));

        Assert.That(await silent.EndedAsync(), Is.True);
        Assert.That(await halfway.EndedAsync(), Is.True);
        await Eventually.True(async () => await DroppedAsync(broker) == 2, "both counted");
    }

    [Test]
    public async Task FragmentedMessage_WithAPingBetweenItsFragments_IsOneZeroMqFrame()
    {
        await using var broker = await StartBrokerAsync();
        using var worker = await broker.RawWorkerAsync("echo");
        using var peer = await HandshakenAsync(broker);
        byte[] body = [0, .. "frag-mented-body"u8];

        // The last frame of the request ("frag-mented-body") in three fragments, a ping between two of them.
        await peer.SendAsync([
            .. RawWebSocketPeer.Zws(1, []),
            .. RawWebSocketPeer.Zws(1, B("MDPC01")),
            .. RawWebSocketPeer.Zws(1, B("echo")),
            .. RawWebSocketPeer.Frame(2, body.AsSpan(0, 5), fin: false),
            .. RawWebSocketPeer.Frame(9, "are you there"u8),
            .. RawWebSocketPeer.Frame(0, body.AsSpan(5, 7), fin: false),
            .. RawWebSocketPeer.Frame(0, body.AsSpan(12), fin: true),
        ]);

        var pong = await peer.ReadFrameAsync();
        Assert.That(pong!.Value.Opcode, Is.EqualTo(0xA));
        Assert.That(pong.Value.Payload, Is.EqualTo("are you there"u8.ToArray()), "the pong echoes the ping");
        var request = ReceiveUntil(worker, f => IsWorkerCommand(f, 0x02));
        Assert.That(S(request[5]), Is.EqualTo("frag-mented-body"));
        Send(worker, [], B("MDPW01"), [0x03], request[3], [], B("back"));
        Assert.That(S((await ReadMessageAsync(peer))[3]), Is.EqualTo("back"));
    }

    [Test]
    public async Task Lengths_16And64Bit_AreRead_AndALargeReplyIsFramedWithThem()
    {
        await using var broker = await StartBrokerAsync();
        using var worker = await broker.RawWorkerAsync("echo");
        using var peer = await HandshakenAsync(broker);
        var large = new byte[70_000];
        large.AsSpan().Fill((byte)'x');

        await peer.SendAsync([
            .. RawWebSocketPeer.Frame(2, [1], lengthBytes: 8),
            .. RawWebSocketPeer.Frame(2, [1, .. "MDPC01"u8], lengthBytes: 2),
            .. RawWebSocketPeer.Frame(2, [1, .. "echo"u8], lengthBytes: 8),
            .. RawWebSocketPeer.Frame(2, [0, .. large]),
        ]);

        var request = ReceiveUntil(worker, f => IsWorkerCommand(f, 0x02));
        Assert.That(request[5], Is.EqualTo(large));
        Send(worker, [], B("MDPW01"), [0x03], request[3], [], large);
        var reply = await ReadMessageAsync(peer);
        Assert.That(reply[3], Is.EqualTo(large));
    }

    [Test]
    public async Task Pong_FromThePeer_IsIgnored_AndTheConnectionServes()
    {
        await using var broker = await StartBrokerAsync();
        using var worker = await broker.RawWorkerAsync("echo");
        using var peer = await HandshakenAsync(broker);

        await peer.SendAsync(RawWebSocketPeer.Frame(0xA, "unsolicited"u8));

        await RoundTripAsync(peer, worker, "after a pong");
        Assert.That(await DroppedAsync(broker), Is.Zero);
    }

    [Test]
    public async Task Close_FromThePeer_IsAnsweredWithClose_ThenTheConnectionEnds_NotCounted()
    {
        await using var broker = await StartBrokerAsync();
        using var peer = await HandshakenAsync(broker);

        await peer.SendAsync(RawWebSocketPeer.Frame(8, [0x03, 0xE8]));

        Assert.That(await peer.ReadCloseAsync(), Is.EqualTo(1000));
        Assert.That(await peer.EndedAsync(), Is.True);
        await AssertServedAsync(broker);
        Assert.That(await DroppedAsync(broker), Is.Zero);
    }

    private static IEnumerable<TestCaseData> FramingViolations()
    {
        yield return new TestCaseData(RawWebSocketPeer.Frame(2, [0, .. "x"u8], masked: false), 1002).SetName("UnmaskedClientFrame_IsClosed1002_AndCounted");
        yield return new TestCaseData(RawWebSocketPeer.Frame(2, [0, .. "x"u8], rsv: 4), 1002).SetName("ReservedBitSet_IsClosed1002_AndCounted");
        yield return new TestCaseData(RawWebSocketPeer.Frame(3, [0, .. "x"u8]), 1002).SetName("UnknownOpcode_IsClosed1002_AndCounted");
        yield return new TestCaseData(RawWebSocketPeer.Frame(0, [0, .. "x"u8]), 1002).SetName("ContinuationWithNoMessage_IsClosed1002_AndCounted");
        yield return new TestCaseData(RawWebSocketPeer.Frame(9, "ping"u8, fin: false), 1002).SetName("FragmentedPing_IsClosed1002_AndCounted");
        yield return new TestCaseData(RawWebSocketPeer.Frame(9, new byte[126]), 1002).SetName("PingOver125Bytes_IsClosed1002_AndCounted");
        yield return new TestCaseData(RawWebSocketPeer.Frame(1, [0, .. "x"u8]), 1003).SetName("TextMessage_IsClosed1003_AndCounted");
    }

    [TestCaseSource(nameof(FramingViolations))]
    public async Task FramingViolation_ClosesThatConnectionWithItsStatus_AndIsCountedOnce(byte[] frame, int status)
    {
        await using var broker = await StartBrokerAsync();
        using var worker = await broker.RawWorkerAsync("echo");
        using var good = await HandshakenAsync(broker);
        using var bad = await HandshakenAsync(broker);

        await bad.SendAsync(frame);

        Assert.That(await bad.ReadCloseAsync(), Is.EqualTo(status));
        await bad.SendAsync(RawWebSocketPeer.Frame(8, [0x03, 0xEA]));
        Assert.That(await bad.EndedAsync(), Is.True, "the close handshake done, the connection ends");
        await Eventually.True(async () => await DroppedAsync(broker) == 1, "counted once");
        await RoundTripAsync(good, worker, "still served");
        Assert.That(await DroppedAsync(broker), Is.EqualTo(1));
    }

    [Test]
    public async Task ClientSendingByteByByte_IsUpgraded_HandshakenAndAnswered()
    {
        await using var broker = await StartBrokerAsync();
        using var worker = await broker.RawWorkerAsync("echo");
        using var peer = await RawWebSocketPeer.ConnectAsync(broker.WebSocket);

        await peer.SendByteByByteAsync([
            .. Encoding.ASCII.GetBytes(RawWebSocketPeer.Request("/")),
            .. RawWebSocketPeer.Ready(),
            .. RawWebSocketPeer.ZwsMessage([], B("MDPC01"), B("echo"), B("one byte at a time")),
        ]);

        Assert.That(await peer.ReadHeadAsync(), Does.StartWith("HTTP/1.1 101 "));
        Assert.That((await peer.ReadBinaryAsync())[0], Is.EqualTo(0x02), "the broker's READY");
        var request = ReceiveUntil(worker, f => IsWorkerCommand(f, 0x02));
        Assert.That(S(request[5]), Is.EqualTo("one byte at a time"));
        Send(worker, [], B("MDPW01"), [0x03], request[3], [], B("back"));
        Assert.That(S((await ReadMessageAsync(peer))[3]), Is.EqualTo("back"));
    }

    /// <summary>Upgraded (ZWS2.0/NULL), the broker's READY read, the peer's READY sent.</summary>
    private static async Task<RawWebSocketPeer> HandshakenAsync(BrokerFixture broker)
    {
        var peer = await RawWebSocketPeer.UpgradeAsync(broker.WebSocket);
        Assert.That((await peer.ReadBinaryAsync())[0], Is.EqualTo(0x02), "the broker's READY");
        await peer.SendAsync(RawWebSocketPeer.Ready());
        return peer;
    }

    /// <summary>One ZeroMQ message from the server: ZWS frames until one without MORE (flags bytes taken off).</summary>
    private static async Task<List<byte[]>> ReadMessageAsync(RawWebSocketPeer peer)
    {
        var frames = new List<byte[]>();
        while (true)
        {
            var payload = await peer.ReadBinaryAsync();
            frames.Add(payload[1..]);
            if ((payload[0] & 1) == 0)
            {
                return frames;
            }
        }
    }

    private static async Task RoundTripAsync(RawWebSocketPeer peer, NetMQ.Sockets.DealerSocket worker, string body)
    {
        await peer.SendAsync(RawWebSocketPeer.ZwsMessage([], B("MDPC01"), B("echo"), B(body)));
        var request = ReceiveUntil(worker, f => IsWorkerCommand(f, 0x02));
        Assert.That(S(request[5]), Is.EqualTo(body));
        Send(worker, [], B("MDPW01"), [0x03], request[3], [], B(body + " back"));
        Assert.That((await ReadMessageAsync(peer)).Select(S), Is.EqualTo(new[] { "", "MDPC01", "echo", body + " back" }));
    }

    /// <summary>A normal client is served by the frontend (after whatever a test did to it).</summary>
    private static async Task AssertServedAsync(BrokerFixture broker)
    {
        var service = Unique("after");
        using var worker = await broker.RawWorkerAsync(service);
        await using var client = await ZwsTestClient.ConnectAsync(broker.WebSocket);
        await MdpRoundTripAsync(client, worker, service, "ok");
    }

    private static Task<long> DroppedAsync(BrokerFixture broker) =>
        broker.Server.InvokeAsync(() => broker.Stats.BadInputCount(BadInput.ConnectionDropped));
}
