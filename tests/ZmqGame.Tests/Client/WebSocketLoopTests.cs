using System.Collections.Concurrent;
using ZmqGame.Transport;
using ZmqGame.Transport.WebSocket;

namespace ZmqGame.Tests.Client;

/// <summary>
/// The WebSocket connection loop and its ZWS 2.0 DEALER against a bridge the test drives by hand: the bytes of the
/// handshake and of each frame, commands, bad input from the broker, the bridge's close, and the pumped mode that a
/// WebGL build runs in (no thread: nothing happens until <see cref="ZmqGameWebSocket.Pump"/>).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class WebSocketLoopTests
{
    private FakeBridge bridge = null!;
    private WebSocketConnectionLoop loop = null!;
    private readonly ConcurrentQueue<List<byte[]>> received = new();
    private readonly ConcurrentQueue<string> lost = new();
    private IDealerLink link = null!;

    [SetUp]
    public void SetUp()
    {
        received.Clear();
        lost.Clear();
        bridge = new FakeBridge();
        loop = new WebSocketConnectionLoop(bridge, pumped: true, ex => Assert.Fail(ex.ToString()));
        loop.Start("test");
        link = Connect();
    }

    [TearDown]
    public void TearDown() => loop.Dispose();

    private IDealerLink Connect() =>
        loop.Connect("ws://broker.example:5580/zmq", f => received.Enqueue([.. f]), lost.Enqueue);

    private static void Pump(int turns = 1)
    {
        for (var i = 0; i < turns; i++)
        {
            ZmqGameWebSocket.Pump();
        }
    }

    /// <summary>Opens the socket and completes the handshake (the broker's routing id, empty).</summary>
    private FakeSocket Handshake()
    {
        var socket = bridge.Last!;
        socket.Events.OnOpen();
        socket.Events.OnMessage([0x00]);
        Pump();
        socket.Sent.Clear();
        return socket;
    }

    [Test]
    public void Connect_OffersBareZws20_ToTheUrl_AndSaysItsEmptyRoutingIdOnceOpen()
    {
        var socket = bridge.Last!;
        Assert.That((socket.Url, socket.SubProtocol), Is.EqualTo(("ws://broker.example:5580/zmq", "ZWS2.0")));
        Assert.That(socket.Sent, Is.Empty, "nothing before the socket is open");

        socket.Events.OnOpen();
        Assert.That(socket.Sent, Is.Empty, "pumped: nothing runs until Pump");
        Pump();

        Assert.That(socket.Sent.Select(Convert.ToHexString), Is.EqualTo(new[] { "00" }));
    }

    [Test]
    public void MessagesWrittenBeforeTheBrokersRoutingId_WaitInOrder_ThenGoAsOneFlaggedWebSocketMessagePerFrame()
    {
        var socket = bridge.Last!;
        Assert.That(link.TrySend([[], "MDPC01"u8.ToArray(), "echo"u8.ToArray(), "hello"u8.ToArray()]), Is.True);
        socket.Events.OnOpen();
        Pump();
        Assert.That(link.TrySend([[], [0x2A]]), Is.True);
        Assert.That(socket.Sent.Select(Convert.ToHexString), Is.EqualTo(new[] { "00" }), "only the routing id before the broker's");

        socket.Events.OnMessage([0x00]);
        Pump();

        Assert.That(socket.Sent.Select(Convert.ToHexString), Is.EqualTo(new[]
        {
            "00", "01", "014D4450433031", "016563686F", "0068656C6C6F", "01", "002A",
        }));
    }

    [Test]
    public void FramesFromTheBroker_AreOneMessageUntilAFrameWithoutMore_AndAPingIsAnsweredWithItsContext()
    {
        var socket = Handshake();

        socket.Events.OnMessage([0x02, 4, .. "PING"u8, 0, 10, 0xC0, 0xFF, 0xEE]);
        socket.Events.OnMessage([0x01]);
        socket.Events.OnMessage([0x01, .. "ZGC01"u8]);
        Pump();
        Assert.That(received, Is.Empty, "the message is not whole yet");
        Assert.That(socket.Sent.Select(Convert.ToHexString), Is.EqualTo(new[] { "0204504F4E47C0FFEE" }), "PONG with the PING's context");

        socket.Events.OnMessage([0x00, 0x04]);
        Pump();

        Assert.That(received.TryDequeue(out var message), Is.True);
        Assert.That(message!.Select(Convert.ToHexString), Is.EqualTo(new[] { string.Empty, "5A47433031", "04" }));
        Assert.That(lost, Is.Empty);
    }

    [TestCase(new byte[0], "empty message")]
    [TestCase(new byte[] { 0x04, 1 }, "unknown flag bits 0x04")]
    [TestCase(new byte[] { 0x03, 4, 0x50, 0x49, 0x4E, 0x47 }, "a command with MORE")]
    [TestCase(new byte[] { 0x01, 0x01 }, "more than 32 frames")]
    public void BadInputFromTheBroker_EndsTheConnection_SayingWhy(byte[] bad, string why)
    {
        var socket = Handshake();

        socket.Events.OnMessage(bad);
        if (bad is [0x01, ..])
        {
            for (var i = 0; i < 32; i++)
            {
                socket.Events.OnMessage(bad); // a message that never ends
            }
        }

        Pump();

        Assert.That(lost.TryDequeue(out var reason), Is.True, "onLost");
        Assert.That(reason, Does.Contain(why));
        Assert.That(socket.Closed, Is.True);
        Assert.That(link.TrySend([[0x01]]), Is.False, "a lost link takes nothing");
    }

    [Test]
    public void ACommandInsideAMessage_EndsTheConnection()
    {
        var socket = Handshake();

        socket.Events.OnMessage([0x01, 0x01]);
        socket.Events.OnMessage([0x02, 4, .. "PING"u8, 0, 10]);
        Pump();

        Assert.That(lost.TryDequeue(out var reason), Is.True);
        Assert.That(reason, Does.Contain("inside a message"));
        Assert.That(received, Is.Empty);
    }

    [Test]
    public void ACommandFirstInsteadOfTheBrokersRoutingId_EndsTheConnection()
    {
        var socket = bridge.Last!;
        socket.Events.OnOpen();
        socket.Events.OnMessage([0x02, 5, .. "READY"u8]);
        Pump();

        Assert.That(lost.TryDequeue(out var reason), Is.True);
        Assert.That(reason, Does.Contain("routing id"));
    }

    [Test]
    public void TheBridgesErrorAndClose_AreOneLoss_WithTheError_AndLaterEventsAreIgnored()
    {
        var socket = Handshake();

        socket.Events.OnError("connection reset");
        socket.Events.OnClose(1006, string.Empty);
        socket.Events.OnMessage([0x00, 0x01]);
        Pump();

        Assert.That(lost.ToArray(), Is.EqualTo(new[] { "the WebSocket failed: connection reset (1006)" }));
        Assert.That(received, Is.Empty);
    }

    [Test]
    public void ClosedByTheBroker_IsLostWithTheCloseStatus()
    {
        var socket = Handshake();

        socket.Events.OnClose(1008, "identity taken");
        Pump();

        Assert.That(lost.ToArray(), Is.EqualTo(new[] { "the WebSocket closed (1008 identity taken)" }));
    }

    [Test]
    public void Close_ClosesTheSocket_Quietly()
    {
        var socket = Handshake();

        link.Close();
        socket.Events.OnClose(1000, string.Empty);
        Pump();

        Assert.That(socket.Closed, Is.True);
        Assert.That(lost, Is.Empty);
        Assert.That(link.TrySend([[0x01]]), Is.False);
    }

    [Test]
    public void TrySend_RefusesWhileTheSocketHoldsTooMuchUnsent()
    {
        var socket = Handshake();
        socket.Buffered = ZwsDealer.MaxBuffered + 1;

        Assert.That(link.TrySend([[0x01]]), Is.False);
        socket.Buffered = 0;
        Assert.That(link.TrySend([[0x01]]), Is.True);
    }

    [Test]
    public void Pumped_PostWakeAndTick_RunOnlyInPump_OnTheCallersThread_AndStopRunsTheExitThere()
    {
        using var pumped = new WebSocketConnectionLoop(bridge, pumped: true, ex => Assert.Fail(ex.ToString()));
        var ran = new List<string>();
        var thread = Environment.CurrentManagedThreadId;
        pumped.Start("pumped", TimeSpan.FromTicks(1), () => ran.Add("tick"), () => ran.Add("wake"), () => ran.Add("exit"));
        pumped.Post(() => ran.Add(Environment.CurrentManagedThreadId == thread ? "posted here" : "posted elsewhere"));
        pumped.Wake();
        Assert.That(ran, Is.Empty, "no thread of its own");

        Pump(); // a tick of 100 ns is due by now
        Assert.That(ran, Is.EqualTo(new[] { "posted here", "wake", "tick" }));

        pumped.Stop();
        Pump(2);
        Assert.That(ran[^1], Is.EqualTo("exit"));
        Assert.That(ran.Count(r => r == "exit"), Is.EqualTo(1));
    }

    [Test]
    public async Task Threaded_RunsPostedWorkOnItsOwnThread_AndTheExitWhenStopped()
    {
        using var threaded = new WebSocketConnectionLoop(bridge, pumped: false, ex => Assert.Fail(ex.ToString()));
        var exited = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var posted = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        threaded.Start("zws-test", onExit: () => exited.TrySetResult(true));

        threaded.Post(() => posted.TrySetResult(Thread.CurrentThread.Name));
        Assert.That(await posted.Task.WaitAsync(TimeSpan.FromSeconds(5)), Is.EqualTo("zws-test"));
        threaded.Stop();
        Assert.That(await exited.Task.WaitAsync(TimeSpan.FromSeconds(5)), Is.True);
    }

    [TestCase("ws://127.0.0.1:5580")]
    [TestCase("wss://game.example/zmq")]
    public void ConnectionLoop_ForAWebSocketEndpoint_IsTheWebSocketLoop_WhateverTheTransportSetting(string endpoint)
    {
        using var created = ConnectionLoop.Create(endpoint, new DealerOptions(), _ => { });
        Assert.That(created, Is.TypeOf<WebSocketConnectionLoop>());
        Assert.That(TransportChoice.UsesOwnTransport(endpoint, curve: false), Is.False);
    }

    [Test]
    public void Connect_NotAWebSocketUrl_Throws()
    {
        Assert.Throws<ArgumentException>(() => loop.Connect("tcp://127.0.0.1:5555", _ => { }, _ => { }));
    }

    private sealed class FakeBridge : IWebSocketBridge
    {
        public FakeSocket? Last { get; private set; }

        public IWebSocketConnection Open(string url, string subProtocol, IWebSocketEvents events) =>
            Last = new FakeSocket(url, subProtocol, events);
    }

    private sealed class FakeSocket(string url, string subProtocol, IWebSocketEvents events) : IWebSocketConnection
    {
        public string Url { get; } = url;

        public string SubProtocol { get; } = subProtocol;

        public IWebSocketEvents Events { get; } = events;

        public List<byte[]> Sent { get; } = [];

        public bool Closed { get; private set; }

        public long Buffered { get; set; }

        public long BufferedAmount => Buffered;

        public void Send(byte[] message) => Sent.Add(message);

        public void Close() => Closed = true;
    }
}
