using System.Net;
using System.Net.Sockets;
using System.Text;
using NetMQ.Sockets;
using ZmqGame.Tests.Support;
using ZmqGame.Transport;
using static ZmqGame.Tests.Support.Raw;
using static ZmqGame.Tests.Transport.RawZmtp;

namespace ZmqGame.Tests.Transport;

/// <summary>
/// ZmqGame's own DEALER (<see cref="ZmtpDealer"/>, what workers and .NET clients connect with) against a NetMQ ROUTER,
/// against ZmqGame's broker, and against a raw TCP peer that sends exactly the bytes a test chooses. Everything on the
/// dealer runs on its loop's thread (<see cref="DealerOnLoop"/>).
/// </summary>
[TestFixture]
[Category(Categories.OwnTransport)]
public sealed class ZmtpDealerTests
{
    private const byte MdpReady = 0x01;
    private const byte MdpRequest = 0x02;
    private const byte MdpReply = 0x03;

    // ------------------------------------------------------------------ against a NetMQ ROUTER

    [Test]
    public async Task Send_ToNetMqRouter_ArrivesAsIdentityAndFramesIntact()
    {
        using var router = new RouterSocket();
        var port = router.BindRandomPort("tcp://127.0.0.1");
        using var dealer = new DealerOnLoop();
        var large = Pattern(300 * 1024, seed: 1);

        await dealer.ConnectAsync($"tcp://127.0.0.1:{port}");
        await dealer.SendAsync(B("first"), [], large, B("last"));

        var received = Receive(router);
        Assert.That(received, Has.Count.EqualTo(5), "[identity] then the four frames");
        Assert.Multiple(() =>
        {
            Assert.That(received[0], Is.Not.Empty, "the ROUTER's identity for the connection");
            Assert.That(S(received[1]), Is.EqualTo("first"));
            Assert.That(received[2], Is.Empty, "an empty frame stays an empty frame");
            Assert.That(received[3], Is.EqualTo(large), "the 300 KB frame");
            Assert.That(S(received[4]), Is.EqualTo("last"));
            Assert.That(dealer.Errors, Is.Empty);
        });
    }

    [Test]
    public async Task Send_InTheTurnOfConnect_WaitsBehindTheHandshakeAndArrives()
    {
        using var router = new RouterSocket();
        var port = router.BindRandomPort("tcp://127.0.0.1");
        using var dealer = new DealerOnLoop();

        await dealer.ConnectAsync($"tcp://127.0.0.1:{port}", firstMessage: [B("early")]);

        var received = Receive(router);
        Assert.That(received.Skip(1).Select(S), Is.EqualTo(new[] { "early" }));
    }

    [Test]
    public async Task Connect_ByHostName_ResolvesAndDelivers()
    {
        using var router = new RouterSocket();
        var port = router.BindRandomPort("tcp://127.0.0.1");
        using var dealer = new DealerOnLoop();

        await dealer.ConnectAsync($"tcp://localhost:{port}", firstMessage: [B("by name")]);

        Assert.That(Receive(router).Skip(1).Select(S), Is.EqualTo(new[] { "by name" }));
    }

    [Test]
    public async Task NetMqRouterReply_ArrivesAtOnMessageIntactOnTheLoopThread()
    {
        using var router = new RouterSocket();
        var port = router.BindRandomPort("tcp://127.0.0.1");
        using var dealer = new DealerOnLoop();
        await dealer.ConnectAsync($"tcp://127.0.0.1:{port}");
        await dealer.SendAsync(B("hello"));
        var identity = Receive(router)[0];
        var large = Pattern(300 * 1024, seed: 2);

        Send(router, identity, [], large, B("tail"));

        var reply = await dealer.ReceiveAsync();
        Assert.That(reply, Has.Count.EqualTo(3), "the ROUTER's identity frame is not part of what the dealer gets");
        Assert.Multiple(() =>
        {
            Assert.That(reply[0], Is.Empty);
            Assert.That(reply[1], Is.EqualTo(large), "the 300 KB frame, read across many reads");
            Assert.That(S(reply[2]), Is.EqualTo("tail"));
            Assert.That(dealer.CallbacksOffLoop, Is.Zero, "onMessage runs on the loop thread");
            Assert.That(dealer.Errors, Is.Empty);
        });
    }

    [Test]
    public async Task ManyMessages_BothWays_ArriveInOrder()
    {
        const int n = 200;
        using var router = new RouterSocket();
        var port = router.BindRandomPort("tcp://127.0.0.1");
        using var dealer = new DealerOnLoop();
        await dealer.ConnectAsync($"tcp://127.0.0.1:{port}");

        // All in one turn of the loop: one flush writes them together.
        await dealer.OnLoopAsync(() =>
        {
            for (var i = 0; i < n; i++)
            {
                dealer.Dealer.Send([B("up"), B(i.ToString()), new byte[i * 50]]);
            }
        });

        byte[] identity = [];
        for (var i = 0; i < n; i++)
        {
            var message = Receive(router);
            Assert.That(message.Skip(1).Take(2).Select(S), Is.EqualTo(new[] { "up", i.ToString() }), $"message {i}");
            Assert.That(message[3], Has.Length.EqualTo(i * 50));
            identity = message[0];
        }

        for (var i = 0; i < n; i++)
        {
            Send(router, identity, B("down"), B(i.ToString()), new byte[i * 50]);
        }

        for (var i = 0; i < n; i++)
        {
            var message = await dealer.ReceiveAsync();
            Assert.That(message.Take(2).Select(S), Is.EqualTo(new[] { "down", i.ToString() }), $"message {i}");
            Assert.That(message[2], Has.Length.EqualTo(i * 50));
        }
    }

    // ------------------------------------------------------------------ against ZmqGame's broker

    [Test]
    public async Task MdpWorkerOnZmtpDealer_RegistersAndServesANetMqClient()
    {
        using var broker = new BrokerFixture();
        using var worker = new DealerOnLoop();
        await worker.ConnectAsync(broker.Backend, firstMessage: [[], B("MDPW01"), [MdpReady], B("dealer.echo")]);
        await broker.WaitForIdleWorkers("dealer.echo");
        using var client = new DealerSocket(broker.Frontend);

        Send(client, [], B("MDPC01"), B("dealer.echo"), B("ping"));

        var request = await ReceiveWorkerCommandAsync(worker, MdpRequest);
        Assert.That(request, Has.Count.EqualTo(6), "[\"\"][MDPW01][REQUEST][client][\"\"][body]");
        Assert.That(request[4], Is.Empty);
        Assert.That(S(request[5]), Is.EqualTo("ping"));
        await worker.SendAsync([], B("MDPW01"), [MdpReply], request[3], [], B("pong"));
        var reply = Receive(client);
        Assert.That(reply.Select(S), Is.EqualTo(new[] { "", "MDPC01", "dealer.echo", "pong" }));
        Assert.That(worker.Errors, Is.Empty);
        Assert.That(worker.ClosedCount, Is.Zero);
    }

    // ------------------------------------------------------------------ connections that end

    [Test]
    public async Task Connect_NothingListening_EndsWithConnectionFailed()
    {
        using var dealer = new DealerOnLoop();

        await dealer.ConnectAsync(ClosedPortEndpoint());

        Assert.That(await dealer.WaitClosedAsync(), Does.StartWith("connection failed"));
        Assert.That(dealer.Errors, Is.Empty, "a refused connection is not a loop error");
        Assert.That(dealer.CallbacksOffLoop, Is.Zero, "onClosed runs on the loop thread");
        Assert.That(await dealer.OnLoopAsync(() => dealer.Dealer.IsClosed), Is.True);
    }

    [Test]
    public void Connect_NotATcpEndpoint_ThrowsArgumentException()
    {
        using var dealer = new DealerOnLoop();

        Assert.That(async () => await dealer.ConnectAsync("ipc:///tmp/zmqgame-dealer"), Throws.ArgumentException);
        Assert.That(dealer.ClosedCount, Is.Zero);
    }

    [Test]
    public async Task Peer_ClosesConnection_OnClosedRunsOnceWithConnectionClosed()
    {
        using var peer = RawRouterPeer.Listen();
        using var dealer = new DealerOnLoop();
        await dealer.ConnectAsync(peer.Endpoint);
        await peer.HandshakeAsync();
        await peer.SendAsync(Message(B("are you there")));
        Assert.That((await dealer.ReceiveAsync()).Select(S), Is.EqualTo(new[] { "are you there" }), "the handshake is over");

        peer.CloseConnection();

        Assert.That(await dealer.WaitClosedAsync(), Does.StartWith("connection closed"));
        // A few more turns of the loop, with a send on the closed connection: still one onClosed, no error.
        await dealer.SendAsync(B("into the void"));
        await dealer.OnLoopAsync(() => { });
        Assert.Multiple(() =>
        {
            Assert.That(dealer.ClosedCount, Is.EqualTo(1));
            Assert.That(dealer.Errors, Is.Empty);
            Assert.That(dealer.CallbacksOffLoop, Is.Zero);
        });
        Assert.That(await dealer.OnLoopAsync(() => dealer.Dealer.IsClosed), Is.True);
    }

    [Test]
    public async Task Peer_ClosesBeforeHandshake_EndsWithConnectionFailed()
    {
        using var peer = RawRouterPeer.Listen();
        using var dealer = new DealerOnLoop();
        await dealer.ConnectAsync(peer.Endpoint);
        await peer.AcceptAsync();

        peer.CloseConnection();

        Assert.That(await dealer.WaitClosedAsync(), Does.StartWith("connection failed"));
        Assert.That(dealer.Errors, Is.Empty);
    }

    [Test]
    public async Task Peer_SendsGarbageInsteadOfGreeting_IsRefusedAndDisconnected()
    {
        using var peer = RawRouterPeer.Listen();
        using var dealer = new DealerOnLoop();
        await dealer.ConnectAsync(peer.Endpoint);
        await peer.AcceptAsync();

        await peer.SendAsync(Encoding.ASCII.GetBytes("HTTP/1.1 400 Bad Request\r\n\r\n"));

        Assert.That(await dealer.WaitClosedAsync(), Does.Contain("greeting"), "the reason names what was wrong");
        Assert.That(await peer.WaitClosedAsync(), Is.True, "the dealer closes the connection");
        Assert.That(dealer.ClosedCount, Is.EqualTo(1));
        Assert.That(dealer.Errors, Is.Empty);
    }

    private static IEnumerable<TestCaseData> RefusedPeers()
    {
        yield return Case("ReadyWithSocketTypePub", [.. Greeting(), .. Ready("PUB")], "PUB");
        yield return Case("ReadyWithoutSocketType", [.. Greeting(), .. Frame(CommandBody("READY", Properties(("Identity", [7]))), command: true)], "Socket-Type");
        yield return Case("GreetingVersion2", [.. Greeting(major: 2), .. Ready("ROUTER")], "version 2");
        yield return Case("GreetingCurve", [.. Greeting("CURVE"), .. Ready("ROUTER")], "CURVE");
        yield return Case("MessageBeforeReady", [.. Greeting(), .. Message(B("too"), B("soon"))], "before the READY");
        yield return Case("PingBeforeReady", [.. Greeting(), .. Frame(PingBody(0, "early"u8), command: true)], "handshake");
        yield return Case("SecondReady", [.. Greeting(), .. Ready("ROUTER"), .. Ready("ROUTER")], "second READY");

        static TestCaseData Case(string name, byte[] bytes, string reason) =>
            new TestCaseData(bytes, reason).SetName("Peer_" + name + "_IsRefusedWithReason");
    }

    [TestCaseSource(nameof(RefusedPeers))]
    public async Task Peer_BreaksTheHandshake_IsRefusedWithReason(byte[] bytes, string reason)
    {
        using var peer = RawRouterPeer.Listen();
        using var dealer = new DealerOnLoop();
        await dealer.ConnectAsync(peer.Endpoint);
        await peer.AcceptAsync();

        await peer.SendAsync(bytes);

        Assert.That(await dealer.WaitClosedAsync(), Does.Contain(reason));
        Assert.That(await peer.WaitClosedAsync(), Is.True, "the dealer closes the connection");
        Assert.That(dealer.HasMessage, Is.False, "nothing from a refused peer is handed on");
        Assert.That(dealer.Errors, Is.Empty);
    }

    /// <summary>A ZMTP 3.0 peer (libzmq 4.1) with libzmq's padding in the signature is a peer like any other.</summary>
    [Test]
    public async Task Peer_Zmtp30GreetingWithPadding_IsAccepted()
    {
        using var peer = RawRouterPeer.Listen();
        using var dealer = new DealerOnLoop();
        await dealer.ConnectAsync(peer.Endpoint);
        await peer.AcceptAsync();

        await peer.SendAsync([.. Greeting(minor: 0, padding: 1), .. Ready("ROUTER"), .. Message(B("from 3.0"))]);

        Assert.That((await dealer.ReceiveAsync()).Select(S), Is.EqualTo(new[] { "from 3.0" }));
        await peer.ExpectDealerHelloAsync();
        Assert.That(dealer.ClosedCount, Is.Zero);
    }

    [Test]
    public async Task Peer_SendsFrameOverMaxFrameSize_IsRefused()
    {
        using var peer = RawRouterPeer.Listen();
        using var dealer = new DealerOnLoop();
        await dealer.ConnectAsync(peer.Endpoint, maxFrameSize: 1024);
        await peer.HandshakeAsync();

        await peer.SendAsync(Message(new byte[1024]));
        Assert.That(await dealer.ReceiveAsync(), Has.Count.EqualTo(1), "a frame of exactly the limit is delivered");
        await peer.SendAsync(Message(B("head"), new byte[1025]));

        Assert.That(await dealer.WaitClosedAsync(), Does.Contain("1025-byte frame"));
        Assert.That(await peer.WaitClosedAsync(), Is.True);
        Assert.That(dealer.HasMessage, Is.False, "no part of the oversized message is handed on");
    }

    [Test]
    public async Task Close_ByOwner_DisconnectsAndReportsOnlyWhenNotQuiet()
    {
        using var loud = RawRouterPeer.Listen();
        using var quiet = RawRouterPeer.Listen();
        using var loudDealer = new DealerOnLoop();
        using var quietDealer = new DealerOnLoop();
        await loudDealer.ConnectAsync(loud.Endpoint);
        await quietDealer.ConnectAsync(quiet.Endpoint);
        await loud.HandshakeAsync();
        await quiet.HandshakeAsync();

        await loudDealer.OnLoopAsync(() => loudDealer.Dealer.Close());
        await quietDealer.OnLoopAsync(() => quietDealer.Dealer.Close(quiet: true));

        Assert.That(await loud.WaitClosedAsync(), Is.True);
        Assert.That(await quiet.WaitClosedAsync(), Is.True);
        Assert.That(loudDealer.ClosedCount, Is.EqualTo(1), "Close() reports the end");
        Assert.That(quietDealer.ClosedCount, Is.Zero, "Close(quiet: true) does not");
    }

    // ------------------------------------------------------------------ commands and framing

    [Test]
    public async Task Peer_SendsPing_GetsPongEchoingTheContext()
    {
        using var peer = RawRouterPeer.Listen();
        using var dealer = new DealerOnLoop();
        await dealer.ConnectAsync(peer.Endpoint);
        await peer.HandshakeAsync();

        await peer.SendAsync(Frame(PingBody(300, "ctx-0123456789ab"u8), command: true));

        var pong = await peer.ReceiveAsync();
        Assert.That(pong.IsCommand, Is.True);
        Assert.That(pong.CommandName, Is.EqualTo("PONG"));
        Assert.That(Encoding.ASCII.GetString(pong.CommandData), Is.EqualTo("ctx-0123456789ab"));

        // A PING without context gets a bare PONG, and the connection still carries messages.
        await peer.SendAsync([.. Frame(PingBody(0, []), command: true), .. Message(B("after"))]);
        var bare = await peer.ReceiveAsync();
        Assert.That(bare.IsCommand, Is.True);
        Assert.That(bare.CommandName, Is.EqualTo("PONG"));
        Assert.That(bare.CommandData, Is.Empty);
        Assert.That((await dealer.ReceiveAsync()).Select(S), Is.EqualTo(new[] { "after" }));
        Assert.That(dealer.ClosedCount, Is.Zero);
    }

    [Test]
    public async Task Peer_SendsUnknownCommandOnceReady_IsIgnored()
    {
        using var peer = RawRouterPeer.Listen();
        using var dealer = new DealerOnLoop();
        await dealer.ConnectAsync(peer.Endpoint);
        await peer.HandshakeAsync();

        await peer.SendAsync([.. Frame(CommandBody("SUBSCRIBE", "topic"u8), command: true), .. Message(B("still here"))]);

        Assert.That((await dealer.ReceiveAsync()).Select(S), Is.EqualTo(new[] { "still here" }));
        Assert.That(dealer.ClosedCount, Is.Zero);
    }

    [Test]
    public async Task Peer_SendsErrorCommand_ConnectionEnds()
    {
        using var peer = RawRouterPeer.Listen();
        using var dealer = new DealerOnLoop();
        await dealer.ConnectAsync(peer.Endpoint);
        await peer.HandshakeAsync();
        await peer.SendAsync(Message(B("ready")));
        _ = await dealer.ReceiveAsync();

        await peer.SendAsync(Frame(CommandBody("ERROR", [4, .. "bye!"u8]), command: true));

        Assert.That(await dealer.WaitClosedAsync(), Does.StartWith("connection closed"));
        Assert.That(await peer.WaitClosedAsync(), Is.True);
    }

    [Test]
    public async Task Peer_WritesHandshakeAndMessageByteByByte_MessageArrivesIntact()
    {
        using var peer = RawRouterPeer.Listen();
        using var dealer = new DealerOnLoop();
        await dealer.ConnectAsync(peer.Endpoint);
        await peer.AcceptAsync();
        var longFrame = Pattern(300, seed: 3);
        byte[] bytes = [.. Greeting(), .. Ready("ROUTER"), .. Message(B("short"), [], longFrame)];

        foreach (var b in bytes)
        {
            await peer.SendAsync([b]);
            // A turn of the dealer's loop between bytes, so that it tends to read them one at a time.
            await dealer.OnLoopAsync(() => { });
        }

        var message = await dealer.ReceiveAsync();
        Assert.That(message, Has.Count.EqualTo(3));
        Assert.That(S(message[0]), Is.EqualTo("short"));
        Assert.That(message[1], Is.Empty);
        Assert.That(message[2], Is.EqualTo(longFrame));
        await peer.ExpectDealerHelloAsync();
        Assert.That(dealer.ClosedCount, Is.Zero);
    }

    [Test]
    public async Task ManyMessagesInOneWrite_FromPeer_AreAllHandedOnInOrder()
    {
        const int n = 300;
        using var peer = RawRouterPeer.Listen();
        using var dealer = new DealerOnLoop();
        await dealer.ConnectAsync(peer.Endpoint);
        await peer.HandshakeAsync();
        var bytes = new List<byte>();
        for (var i = 0; i < n; i++)
        {
            bytes.AddRange(Message(B("m"), B(i.ToString()), new byte[i % 7 == 0 ? 70_000 : i]));
        }

        await peer.SendAsync([.. bytes]);

        for (var i = 0; i < n; i++)
        {
            var message = await dealer.ReceiveAsync();
            Assert.That(S(message[1]), Is.EqualTo(i.ToString()));
            Assert.That(message[2], Has.Length.EqualTo(i % 7 == 0 ? 70_000 : i));
        }
    }

    // ------------------------------------------------------------------ an owner whose onMessage throws

    /// <summary>
    /// The loop reports an exception from <c>onMessage</c> and goes on, so the connection must go on too: the message
    /// that failed is not handed on again and the ones after it (in the same read, or completing a read in progress)
    /// arrive intact and in order.
    /// </summary>
    /// <param name="failingSize">Size of the failing message's second frame: 100 fits one read, 200 000 is parsed from the stash.</param>
    [TestCase(100, TestName = "OnMessageThrows_SmallMessage_LaterMessagesInTheSameReadStillArriveIntact")]
    [TestCase(200_000, TestName = "OnMessageThrows_MessageReadAcrossReads_LaterMessagesStillArriveIntact")]
    public async Task OnMessageThrows_LaterMessagesStillArriveIntact(int failingSize)
    {
        using var peer = RawRouterPeer.Listen();
        var thrown = 0;
        using var dealer = new DealerOnLoop { ThrowWhen = frames => S(frames[0]) == "poison" && Interlocked.Increment(ref thrown) == 1 };
        await dealer.ConnectAsync(peer.Endpoint);
        await peer.HandshakeAsync();
        var after = Pattern(1000, seed: 4);

        await peer.SendAsync([.. Message(B("poison"), new byte[failingSize]), .. Message(B("next"), after), .. Message(B("last"))]);

        var next = await dealer.ReceiveAsync(TimeSpan.FromSeconds(3));
        Assert.That(S(next[0]), Is.EqualTo("next"), "the failed message is not handed on a second time");
        Assert.That(next[1], Is.EqualTo(after));
        Assert.That((await dealer.ReceiveAsync(TimeSpan.FromSeconds(3))).Select(S), Is.EqualTo(new[] { "last" }));
        Assert.That(dealer.Errors.Select(e => e.Message), Is.EqualTo(new[] { "onMessage failed" }), "the loop reports the owner's exception");
    }

    // ------------------------------------------------------------------ helpers

    private static async Task<List<byte[]>> ReceiveWorkerCommandAsync(DealerOnLoop worker, byte command)
    {
        while (true)
        {
            var frames = await worker.ReceiveAsync();
            if (IsWorkerCommand(frames, command))
            {
                return frames;
            }
        }
    }

    /// <summary>tcp://127.0.0.1:port of a port that was free a moment ago and where nothing listens now.</summary>
    private static string ClosedPortEndpoint()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        listener.Dispose();
        return $"tcp://127.0.0.1:{port}";
    }

    private static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
