using System.Buffers.Binary;
using System.Text;
using NetMQ;
using NetMQ.Sockets;
using ZmqGame.Broker;
using ZmqGame.Tests.Support;
using static ZmqGame.Tests.Support.Raw;
using static ZmqGame.Tests.Support.RawZg;
using static ZmqGame.Tests.Transport.RawZmtp;

namespace ZmqGame.Tests.Transport;

/// <summary>
/// The broker's own ZMTP transport (<c>ZmtpRouter</c>) on its TCP endpoints, driven by NetMQ peers and by raw TCP
/// peers that send exactly the bytes a test chooses.
/// </summary>
[TestFixture]
[Category(Categories.OwnTransport)]
public sealed class ZmtpRouterTests
{
    private const byte MdpReady = 0x01;
    private const byte MdpRequest = 0x02;
    private const byte MdpReply = 0x03;

    // ------------------------------------------------------------------ protocol violations

    [Test]
    public async Task Peer_SendsGarbage_IsDisconnectedAndCounted()
    {
        using var broker = new BrokerFixture();
        using var peer = await RawZmtpPeer.ConnectAsync(broker.Frontend);

        await peer.SendAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: broker\r\n\r\n"));

        Assert.That(await peer.WaitClosedAsync(), Is.True, "the broker closes a connection that does not speak ZMTP");
        Assert.That(broker.Stats.BadInputCount(BadInput.ConnectionDropped), Is.EqualTo(1));
        Assert.That(broker.Stats.ClientDisconnects, Is.Zero, "never a peer, so no peer-gone notice");
        await AssertServing(broker);
    }

    private static IEnumerable<TestCaseData> HandshakeViolations()
    {
        yield return Case("Greeting_Version2", [.. Greeting(major: 2), .. Ready()]);
        yield return Case("Greeting_CurveMechanism", [.. Greeting("CURVE"), .. Ready()]);
        yield return Case("Greeting_BadSignatureEnd", [.. Greeting()[..9], 0x00, .. Greeting()[10..]]);
        yield return Case("Ready_PubSocketType", Handshake("PUB"));
        yield return Case("Ready_WithoutSocketType", [.. Greeting(), .. Frame(CommandBody("READY", Properties(("Identity", [7]))), command: true)]);
        yield return Case("Ready_MalformedProperties", [.. Greeting(), .. Frame([.. CommandBody("READY", []), 11, .. "Socket-Type"u8, 0, 0, 0, 99, .. "DEALER"u8], command: true)]);
        yield return Case("Handshake_MessageBeforeReady", [.. Greeting(), .. Message([], B("MDPC01"), B("echo"), B("x"))]);
        yield return Case("Handshake_PingBeforeReady", [.. Greeting(), .. Frame(PingBody(0, "early"u8), command: true)]);
        yield return Case("Handshake_SecondReady", [.. Handshake(), .. Ready()]);
        yield return Case("Message_CommandInsideMultipart", [.. Handshake(), .. Frame([], more: true), .. Frame(PingBody(0, []), command: true)]);

        static TestCaseData Case(string name, byte[] bytes) => new TestCaseData(bytes).SetName("Peer_" + name + "_IsDisconnectedAndCounted");
    }

    [TestCaseSource(nameof(HandshakeViolations))]
    public async Task Peer_BreaksZmtp_IsDisconnectedAndCounted(byte[] bytes)
    {
        using var broker = new BrokerFixture();
        using var peer = await RawZmtpPeer.ConnectAsync(broker.Frontend);

        await peer.SendAsync(bytes);

        Assert.That(await peer.WaitClosedAsync(), Is.True, "the broker closes the connection");
        Assert.That(broker.Stats.BadInputCount(BadInput.ConnectionDropped), Is.EqualTo(1));
        Assert.That(broker.Stats.Requests, Is.Zero, "nothing from the peer reached the broker");
        await AssertServing(broker);
    }

    [Test]
    public async Task Peer_AnnouncesFrameBeyondWhatIsSkipped_IsDisconnectedBeforeSendingTheBody()
    {
        using var broker = new BrokerFixture(o => o.MaxMessageSize = 1024);
        using var peer = await RawZmtpPeer.HandshakeAsync(broker.Frontend);

        // [""] then the header of a frame over 64 times the limit, and no body: the header alone must be enough to refuse it.
        var header = new byte[9];
        header[0] = Long;
        BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(1), 64 * 1024 + 1);
        await peer.SendAsync([.. Frame([], more: true), .. header]);

        Assert.That(await peer.WaitClosedAsync(), Is.True, "the broker closes the connection");
        Assert.That(broker.Stats.BadInputCount(BadInput.ConnectionDropped), Is.EqualTo(1));
        await Eventually.True(() => Volatile.Read(ref broker.Stats.ClientDisconnects) == 1, "the handshaken peer is reported gone");
        await AssertServing(broker);
    }

    [Test]
    public async Task Peer_SendsMdpRequestOverMaxMessageSize_IsSkippedAndCountedAndTheConnectionServesTheNext()
    {
        using var broker = new BrokerFixture(o => o.MaxMessageSize = 1024);
        using var worker = await broker.RawWorkerAsync("limit");
        using var peer = await RawZmtpPeer.HandshakeAsync(broker.Frontend);

        await peer.SendAsync([.. Message([], B("MDPC01"), B("limit"), new byte[1025]), .. Message([], B("MDPC01"), B("limit"), B("next"))]);

        var request = ReceiveUntil(worker, f => IsWorkerCommand(f, MdpRequest));
        Assert.That(S(request[5]), Is.EqualTo("next"), "the oversized request was skipped, the next one read");
        Send(worker, [], B("MDPW01"), [MdpReply], request[3], [], B("ok"));
        Assert.That((await peer.ReceiveMessageAsync()).Select(S), Is.EqualTo(new[] { "", "MDPC01", "limit", "ok" }));
        Assert.That(broker.Stats.BadInputCount(BadInput.FrontendTooLarge), Is.EqualTo(1));
        Assert.That(broker.Stats.BadInputCount(BadInput.ConnectionDropped), Is.Zero);
        Assert.That(broker.Stats.Requests, Is.EqualTo(1), "only the request within the limit reached the dispatcher");
    }

    /// <summary>
    /// The limit is on the whole message: many frames each within it add up past it. The frames after the limit is
    /// passed are skipped as they arrive, in pieces across reads, without being buffered; the kept head (envelope and
    /// request header) is enough to answer the request.
    /// </summary>
    [Test]
    public async Task Peer_SendsZgRequestOfManySmallFramesOverMaxMessageSizeInPieces_GetsTooLargeAndTheConnectionServesTheNext()
    {
        using var broker = new BrokerFixture(o => o.MaxMessageSize = 1024);
        using var worker = await broker.RawWorkerAsync("limit");
        using var peer = await RawZmtpPeer.HandshakeAsync(broker.Frontend);
        byte[][] payload = [.. Enumerable.Range(0, 20).Select(i => Pattern(100, seed: i)), Pattern(40_000, seed: 99)];
        var big = Message([[], B("ZGC01"), [0x01], B("limit"), RequestHeader(1, 1, 0), .. payload]);

        for (var at = 0; at < big.Length; at += 777)
        {
            await peer.SendAsync(big[at..Math.Min(big.Length, at + 777)]);
        }

        await peer.SendAsync(Message([], B("ZGC01"), [0x01], B("limit"), RequestHeader(2, 1, 0), B("next")));

        var tooLarge = await peer.ReceiveMessageAsync();
        Assert.That(tooLarge[3], Is.EqualTo(ReplyHeader(1, (byte)ZmqGame.Protocol.Status.TooLarge)));
        var size = 5 + 1 + 5 + 20 + (20 * 100) + 40_000;
        Assert.That(S(tooLarge[4]), Is.EqualTo($"request of {size} bytes is over the broker's limit of 1024"));
        ServeOneEcho(worker);
        var next = await peer.ReceiveMessageAsync();
        Assert.That(next[3], Is.EqualTo(ReplyHeader(2, 0)));
        Assert.That(S(next[4]), Is.EqualTo("next"));
        Assert.That(broker.Stats.BadInputCount(BadInput.FrontendTooLarge), Is.EqualTo(1));
        Assert.That(broker.Stats.BadInputCount(BadInput.ConnectionDropped), Is.Zero);
    }

    [Test]
    public async Task Peer_StreamsOneMessageBeyondWhatIsSkipped_IsDisconnected()
    {
        using var broker = new BrokerFixture(o => o.MaxMessageSize = 1024);
        using var peer = await RawZmtpPeer.HandshakeAsync(broker.Frontend);

        // 65 frames of 1 KiB, all in one message: past 64 times the limit the broker stops reading it.
        var frames = Enumerable.Range(0, 65).SelectMany(_ => Frame(new byte[1024], more: true)).ToArray();
        await peer.SendAsync([.. Frame([], more: true), .. frames]);

        Assert.That(await peer.WaitClosedAsync(), Is.True, "the broker closes the connection");
        Assert.That(broker.Stats.BadInputCount(BadInput.ConnectionDropped), Is.EqualTo(1));
        await AssertServing(broker);
    }

    [Test]
    public async Task Peer_SendsMessageOfExactlyMaxMessageSize_IsDelivered()
    {
        using var broker = new BrokerFixture(o => o.MaxMessageSize = 1024);
        using var worker = await broker.RawWorkerAsync("limit");
        using var peer = await RawZmtpPeer.HandshakeAsync(broker.Frontend);
        var body = Pattern(1024 - "MDPC01".Length - "limit".Length, seed: 3);

        await peer.SendAsync(Message([], B("MDPC01"), B("limit"), body));

        var request = ReceiveUntil(worker, f => IsWorkerCommand(f, MdpRequest));
        Assert.That(request[5], Is.EqualTo(body));
        Send(worker, [], B("MDPW01"), [MdpReply], request[3], [], B("ok"));
        var reply = await peer.ReceiveMessageAsync();
        Assert.That(reply.Select(S), Is.EqualTo(new[] { "", "MDPC01", "limit", "ok" }));
        Assert.That(broker.Stats.BadInputCount(BadInput.ConnectionDropped), Is.Zero);
        Assert.That(broker.Stats.BadInputCount(BadInput.FrontendTooLarge), Is.Zero);
    }

    /// <summary>
    /// A long frame size with the top bit set (an unsigned 64-bit size on the wire) is over any limit: such a frame must
    /// be refused like any other oversized frame.
    /// </summary>
    [Test]
    public async Task Peer_SendsMessageFrameWithSizeOver2Pow63_IsDisconnectedAndCounted()
    {
        using var broker = new BrokerFixture();
        using var peer = await RawZmtpPeer.HandshakeAsync(broker.Frontend);

        await peer.SendAsync([Long, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);

        Assert.That(await peer.WaitClosedAsync(TimeSpan.FromSeconds(3)), Is.True, "the broker closes the connection");
        Assert.That(broker.Stats.BadInputCount(BadInput.ConnectionDropped), Is.EqualTo(1));
        await AssertServing(broker);
    }

    [Test]
    public async Task Peer_SendsMessageFrameWithSize2Pow63_IsDisconnectedAndCounted()
    {
        using var broker = new BrokerFixture();
        using var worker = await broker.RawWorkerAsync("echo");
        using var peer = await RawZmtpPeer.HandshakeAsync(broker.Frontend);

        // The announced frame would swallow everything after it; the broker must not read those bytes as a request.
        await peer.SendAsync([Long, 0x80, 0, 0, 0, 0, 0, 0, 0, .. Message([], B("MDPC01"), B("echo"), B("smuggled"))]);

        Assert.That(await peer.WaitClosedAsync(TimeSpan.FromSeconds(3)), Is.True, "the broker closes the connection");
        Assert.That(broker.Stats.BadInputCount(BadInput.ConnectionDropped), Is.EqualTo(1));
        Assert.That(broker.Stats.Requests, Is.Zero, "nothing after the oversized header is taken as a request");
        await AssertServing(broker);
    }

    [Test]
    public async Task Peer_SendsCommandFrameWithSizeOver2Pow63_IsDisconnectedAndCounted()
    {
        using var broker = new BrokerFixture();
        using var peer = await RawZmtpPeer.HandshakeAsync(broker.Frontend);

        await peer.SendAsync([Long | CommandFlag, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);

        Assert.That(await peer.WaitClosedAsync(TimeSpan.FromSeconds(3)), Is.True, "the broker closes the connection");
        Assert.That(broker.Stats.BadInputCount(BadInput.ConnectionDropped), Is.EqualTo(1));
        await AssertServing(broker);
    }

    // ------------------------------------------------------------------ commands

    [Test]
    public async Task Peer_SendsPing_GetsPongWithSameContext()
    {
        using var broker = new BrokerFixture();
        using var peer = await RawZmtpPeer.HandshakeAsync(broker.Frontend);

        await peer.SendAsync(Frame(PingBody(300, "ctx-0123456789ab"u8), command: true));

        var pong = await peer.ReceiveAsync();
        Assert.That(pong.IsCommand, Is.True);
        Assert.That(pong.CommandName, Is.EqualTo("PONG"));
        Assert.That(Encoding.ASCII.GetString(pong.CommandData), Is.EqualTo("ctx-0123456789ab"));

        // Still a working connection after the PING: an MMI request is answered on it.
        await peer.SendAsync(Message([], B("MDPC01"), B("mmi.service"), B("nobody")));
        var mmi = await peer.ReceiveMessageAsync();
        Assert.That(mmi.Select(S), Is.EqualTo(new[] { "", "MDPC01", "mmi.service", "404" }));
    }

    [Test]
    public async Task Peer_SendsErrorCommand_IsClosedAndReportedGoneWithoutCounting()
    {
        using var broker = new BrokerFixture();
        using var peer = await RawZmtpPeer.HandshakeAsync(broker.Backend);
        await peer.SendAsync(Message([], B("MDPW01"), [MdpReady], B("erring")));
        await broker.WaitForIdleWorkers("erring");

        await peer.SendAsync(Frame(CommandBody("ERROR", [4, .. "bye!"u8]), command: true));

        Assert.That(await peer.WaitClosedAsync(), Is.True, "the broker closes the connection");
        await Eventually.True(async () => await WorkersOf(broker, "erring") == 0, "the worker is removed");
        Assert.That(broker.Stats.BadInputCount(BadInput.ConnectionDropped), Is.Zero, "ERROR is a peer's goodbye, not bad input");
    }

    // ------------------------------------------------------------------ framing across reads

    [Test]
    public async Task Message_SplitByteByByte_IsDeliveredIntact()
    {
        using var broker = new BrokerFixture();
        using var worker = await broker.RawWorkerAsync("split");
        using var peer = await RawZmtpPeer.ConnectAsync(broker.Frontend);
        var longFrame = Pattern(300, seed: 1);
        byte[] bytes = [.. Handshake(), .. Message([], B("MDPC01"), B("split"), B("short"), longFrame)];

        foreach (var b in bytes)
        {
            await peer.SendAsync([b]);
            // A turn of the broker's loop between bytes, so that it reads them one at a time.
            await broker.Server.InvokeAsync(() => 0);
        }

        var request = ReceiveUntil(worker, f => IsWorkerCommand(f, MdpRequest));
        Assert.That(request, Has.Count.EqualTo(7));
        Assert.That(S(request[5]), Is.EqualTo("short"));
        Assert.That(request[6], Is.EqualTo(longFrame));

        Send(worker, [], B("MDPW01"), [MdpReply], request[3], [], request[6]);
        await peer.ExpectRouterGreetingAsync();
        var reply = await peer.ReceiveMessageAsync();
        Assert.That(reply, Has.Count.EqualTo(4));
        Assert.That(reply[3], Is.EqualTo(longFrame));
    }

    [Test]
    public async Task ManyMessagesInOneWrite_AreAllHandledInOrder()
    {
        using var broker = new BrokerFixture();
        using var worker = await broker.RawWorkerAsync("present");
        using var peer = await RawZmtpPeer.HandshakeAsync(broker.Frontend);
        const int n = 200;
        var bytes = new List<byte>();
        for (var i = 0; i < n; i++)
        {
            bytes.AddRange(Message([], B("MDPC01"), B("mmi.service"), B(i % 2 == 0 ? "present" : "absent-" + i)));
        }

        await peer.SendAsync([.. bytes]);

        for (var i = 0; i < n; i++)
        {
            var reply = await peer.ReceiveMessageAsync();
            Assert.That(S(reply[3]), Is.EqualTo(i % 2 == 0 ? "200" : "404"), $"reply {i}");
        }

        Assert.That(broker.Stats.MmiRequests, Is.EqualTo(n));
    }

    [Test]
    public async Task LargeRequest_RoundTripsIntactThroughRawWorker()
    {
        using var broker = new BrokerFixture();
        using var worker = await broker.RawWorkerAsync("bulk");
        using var peer = await RawZmtpPeer.HandshakeAsync(broker.Frontend);
        var payload = Pattern(300 * 1024, seed: 2);

        await peer.SendAsync(Message([], B("MDPC01"), B("bulk"), B("head"), payload));

        var request = ReceiveUntil(worker, f => IsWorkerCommand(f, MdpRequest));
        Assert.That(request, Has.Count.EqualTo(7));
        Assert.That(request[6].AsSpan().SequenceEqual(payload), Is.True, "the request reached the worker intact");

        var answer = payload.Reverse().ToArray();
        Send(worker, [], B("MDPW01"), [MdpReply], request[3], [], B("head"), answer);
        var reply = await peer.ReceiveMessageAsync();
        Assert.That(reply, Has.Count.EqualTo(5));
        Assert.That(S(reply[2]), Is.EqualTo("bulk"));
        Assert.That(reply[4].AsSpan().SequenceEqual(answer), Is.True, "the reply reached the client intact");
    }

    // ------------------------------------------------------------------ identities and socket types

    [Test]
    public async Task Dealer_WithFixedIdentity_IsRoutedByThatIdentity()
    {
        using var broker = new BrokerFixture();
        var identity = B("worker-fixed-1");
        using var worker = await NamedWorkerAsync(broker, identity);

        Assert.That(await broker.Server.InvokeAsync(() => broker.Server.Dispatcher.FindWorker(identity) is not null), Is.True,
            "the broker knows the worker by the identity it asked for");
        AssertRoundTrip(broker, worker, "named");
    }

    [Test]
    public async Task SecondConnection_AskingForATakenIdentity_IsRefusedAndFirstKeepsWorking()
    {
        using var broker = new BrokerFixture();
        var identity = B("worker-fixed-2");
        using var first = await NamedWorkerAsync(broker, identity);

        using var second = await RawZmtpPeer.ConnectAsync(broker.Backend);
        await second.SendAsync([.. Handshake(identity: identity), .. Message([], B("MDPW01"), [MdpReady], B("named"))]);

        Assert.That(await second.WaitClosedAsync(), Is.True, "the second connection is closed");
        Assert.That(broker.Stats.BadInputCount(BadInput.ConnectionDropped), Is.EqualTo(1));
        Assert.That(await WorkersOf(broker, "named"), Is.EqualTo(1), "the refused connection did not register");
        Assert.That(broker.Stats.WorkersDisconnected, Is.Zero, "the first worker was not taken for gone");
        AssertRoundTrip(broker, first, "named");
    }

    [Test]
    public async Task RawPeer_WithIdentityProperty_IsRoutedByThatIdentity()
    {
        using var broker = new BrokerFixture();
        var identity = B("raw-worker");
        using var peer = await RawZmtpPeer.HandshakeAsync(broker.Backend, identity: identity);

        await peer.SendAsync(Message([], B("MDPW01"), [MdpReady], B("raw")));
        await broker.WaitForIdleWorkers("raw");

        Assert.That(await broker.Server.InvokeAsync(() => broker.Server.Dispatcher.FindWorker(identity) is not null), Is.True);
        using var client = new DealerSocket(broker.Frontend);
        Send(client, [], B("MDPC01"), B("raw"), B("ping"));
        var request = await peer.ReceiveMessageAsync();
        Assert.That(request.Select(S).Take(3), Is.EqualTo(new[] { "", "MDPW01", "\u0002" }));
        await peer.SendAsync(Message([], B("MDPW01"), [MdpReply], request[3], [], B("pong")));
        var reply = Receive(client);
        Assert.That(reply.Select(S), Is.EqualTo(new[] { "", "MDPC01", "raw", "pong" }));
    }

    [Test]
    public async Task ReqClient_MdpRequestReply_RoundTripsTwice()
    {
        using var broker = new BrokerFixture();
        using var worker = await broker.RawWorkerAsync("req");
        using var client = new RequestSocket(broker.Frontend);

        for (var i = 0; i < 2; i++)
        {
            // REQ adds the empty delimiter itself: the broker sees [id][""]["MDPC01"][service][body].
            Send(client, B("MDPC01"), B("req"), B("question-" + i));
            var request = ReceiveUntil(worker, f => IsWorkerCommand(f, MdpRequest));
            Assert.That(S(request[5]), Is.EqualTo("question-" + i));
            Send(worker, [], B("MDPW01"), [MdpReply], request[3], [], B("answer-" + i));

            var reply = Receive(client);
            Assert.That(reply.Select(S), Is.EqualTo(new[] { "MDPC01", "req", "answer-" + i }));
        }
    }

    // ------------------------------------------------------------------ peers that go away

    [Test]
    public async Task NetMqWorker_Disconnects_IsRemoved()
    {
        using var broker = new BrokerFixture();
        var worker = await broker.RawWorkerAsync("leaving");
        Assert.That(await WorkersOf(broker, "leaving"), Is.EqualTo(1));

        worker.Dispose();

        await Eventually.True(async () => await WorkersOf(broker, "leaving") == 0, "the worker is removed when its connection closes");
        Assert.That(broker.Stats.WorkersDisconnected, Is.EqualTo(1));
    }

    [Test]
    public async Task RawWorker_ClosesTcp_IsRemovedAndClientHearsWorkerLost()
    {
        using var broker = new BrokerFixture();
        var peer = await RawZmtpPeer.HandshakeAsync(broker.Backend);
        await peer.SendAsync(Message([], B("MDPW01"), [MdpReady], B("fragile")));
        await broker.WaitForIdleWorkers("fragile");
        using var client = new DealerSocket(broker.Frontend);
        SendRequest(client, "fragile", 5, 0, B("work"));
        var request = await peer.ReceiveMessageAsync();
        Assert.That(request[2], Is.EqualTo(new[] { MdpRequest }));

        peer.Dispose();

        // The peer-gone notice reaches the dispatcher: the worker goes, and the request it held is answered.
        var (status, _) = ReceiveReply(client, 5);
        Assert.That(status, Is.EqualTo((byte)ZmqGame.Protocol.Status.WorkerLost));
        Assert.That(await WorkersOf(broker, "fragile"), Is.Zero);
        Assert.That(broker.Stats.WorkersDisconnected, Is.EqualTo(1));
    }

    [Test]
    public async Task RawClient_ClosesTcp_IsReportedGone()
    {
        using var broker = new BrokerFixture();
        var peer = await RawZmtpPeer.HandshakeAsync(broker.Frontend);
        // A round trip proves the broker took the handshake before the close.
        await peer.SendAsync(Message([], B("MDPC01"), B("mmi.service"), B("x")));
        await peer.ReceiveMessageAsync();

        peer.Dispose();

        await Eventually.True(() => Volatile.Read(ref broker.Stats.ClientDisconnects) == 1, "the client is reported gone");
        Assert.That(broker.Stats.BadInputCount(BadInput.ConnectionDropped), Is.Zero, "a clean close is not bad input");
    }

    // ------------------------------------------------------------------ back-pressure

    [Test]
    public async Task PeerThatDoesNotRead_IsBoundedBySendHighWatermark_AndOthersAreServed()
    {
        const int hwm = 2;
        const int more = 5;
        using var broker = new BrokerFixture(o => o.SendHighWatermark = hwm);
        using var worker = await broker.RawWorkerAsync("flood");
        using var stuck = await RawZmtpPeer.HandshakeAsync(broker.Frontend, receiveBufferSize: 4096);
        var big = Pattern(256 * 1024, seed: 4);
        var sent = 0;

        // Replies far bigger than socket buffers, until the kernel's buffers are full and the broker starts refusing
        // (how much the kernel takes first depends on its settings: up to 32 MB are tried).
        while (Volatile.Read(ref broker.Stats.UnroutableClient) == 0 && sent < 128)
        {
            await ServeOneAsync();
        }

        var refused = Volatile.Read(ref broker.Stats.UnroutableClient);
        Assert.That(refused, Is.EqualTo(1), $"after {sent} replies of {big.Length} bytes to a peer that does not read, one is refused and counted");
        Assert.That(sent, Is.GreaterThan(hwm), "the first replies are queued");

        // Bounded: while the peer does not read, every further reply is refused.
        for (var i = 0; i < more; i++)
        {
            await ServeOneAsync();
        }

        Assert.That(Volatile.Read(ref broker.Stats.UnroutableClient), Is.EqualTo(refused + more), "every reply past the high watermark is refused");

        // The broker is not stuck behind the peer that does not read.
        await AssertServing(broker);

        // The replies it did accept arrive whole and in order once the peer reads; nothing refused was half-sent.
        var delivered = sent - (int)Volatile.Read(ref broker.Stats.UnroutableClient);
        for (var i = 0; i < delivered; i++)
        {
            var reply = await stuck.ReceiveMessageAsync();
            Assert.That(reply, Has.Count.EqualTo(5));
            Assert.That(S(reply[3]), Is.EqualTo("r" + i), "in order, none missing before the first refusal");
            Assert.That(reply[4].AsSpan().SequenceEqual(big), Is.True, $"reply {i} intact");
        }

        await stuck.SendAsync(Message([], B("MDPC01"), B("mmi.service"), B("flood")));
        var next = await stuck.ReceiveMessageAsync();
        Assert.That(next.Select(S), Is.EqualTo(new[] { "", "MDPC01", "mmi.service", "200" }), "the stream holds nothing else");

        async Task ServeOneAsync()
        {
            await stuck.SendAsync(Message([], B("MDPC01"), B("flood"), B("r" + sent)));
            var request = ReceiveUntil(worker, f => IsWorkerCommand(f, MdpRequest));
            Send(worker, [], B("MDPW01"), [MdpReply], request[3], [], request[5], big);
            sent++;
            await LoopUntil(broker, () => Volatile.Read(ref broker.Stats.Replies) == sent, $"reply {sent} handled by the broker");
        }
    }

    // ------------------------------------------------------------------ helpers

    /// <summary>Waits for a broker-side condition, a turn of the broker's loop at a time (no fixed sleeps).</summary>
    private static async Task LoopUntil(BrokerFixture broker, Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!condition())
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "timed out waiting for: " + what);
            await broker.Server.InvokeAsync(() => 0);
        }
    }

    private static Task<int> WorkersOf(BrokerFixture broker, string service) =>
        broker.Server.InvokeAsync(() => broker.Server.Dispatcher.WorkersOf(B(service)));

    /// <summary>A stock MDP worker of service <c>named</c> connected with <paramref name="identity"/>, once the broker holds it idle.</summary>
    private static async Task<DealerSocket> NamedWorkerAsync(BrokerFixture broker, byte[] identity)
    {
        var worker = new DealerSocket();
        worker.Options.Identity = identity;
        worker.Connect(broker.Backend);
        Send(worker, [], B("MDPW01"), [MdpReady], B("named"));
        await broker.WaitForIdleWorkers("named");
        return worker;
    }

    /// <summary>A stock MDP client request served by <paramref name="worker"/>.</summary>
    private static void AssertRoundTrip(BrokerFixture broker, DealerSocket worker, string service)
    {
        using var client = new DealerSocket(broker.Frontend);
        Send(client, [], B("MDPC01"), B(service), B("hello"));
        var request = ReceiveUntil(worker, f => IsWorkerCommand(f, MdpRequest));
        Assert.That(S(request[5]), Is.EqualTo("hello"));
        Send(worker, [], B("MDPW01"), [MdpReply], request[3], [], B("world"));
        var reply = Receive(client);
        Assert.That(reply.Select(S), Is.EqualTo(new[] { "", "MDPC01", service, "world" }));
    }

    /// <summary>Deterministic bytes covering every value (0x00, 0xFF and flag-like bytes included).</summary>
    private static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
