using System.Net.Sockets;
using NetMQ;
using NetMQ.Sockets;
using ZmqGame.Broker;
using ZmqGame.Tests.Support;
using static ZmqGame.Tests.Support.Raw;
using static ZmqGame.Tests.Support.RawZg;

namespace ZmqGame.Tests.Broker;

/// <summary>
/// Every kind of bad input is dropped or answered, counted, and leaves the broker serving others.
/// Each test ends by completing a normal request through the same broker.
/// </summary>
[TestFixture]
public sealed class BadInputTests
{
    private static IEnumerable<TestCaseData> FrontendGarbage()
    {
        yield return new TestCaseData(new[] { B("lonely") }, nameof(BadInput.FrontendMalformed)).SetName("Frontend_OneFrame");
        yield return new TestCaseData(new[] { Array.Empty<byte>(), B("MDPC01") }, nameof(BadInput.FrontendMalformed)).SetName("Frontend_TooFewFrames");
        yield return new TestCaseData(new[] { B("x"), B("MDPC01"), B("echo"), B("body") }, nameof(BadInput.FrontendMalformed)).SetName("Frontend_NonEmptyDelimiter");
        yield return new TestCaseData(new[] { Array.Empty<byte>(), B("HTTP/1.1"), B("GET"), B("/") }, nameof(BadInput.FrontendUnknownHeader)).SetName("Frontend_UnknownProtocolHeader");
        yield return new TestCaseData(new[] { Array.Empty<byte>(), B("ZGC01"), new byte[] { 0x77 }, B("x") }, nameof(BadInput.FrontendUnknownCommand)).SetName("Frontend_UnknownZgCommand");
        yield return new TestCaseData(new[] { Array.Empty<byte>(), B("ZGC01"), new byte[] { 1, 2 }, B("x") }, nameof(BadInput.FrontendUnknownCommand)).SetName("Frontend_LongZgCommandFrame");
        yield return new TestCaseData(new[] { Array.Empty<byte>(), B("ZGC01"), new byte[] { 0x01 }, B("game"), B("garbage-header") }, nameof(BadInput.FrontendBadRequestHeader)).SetName("Frontend_GarbageRequestHeader");
        yield return new TestCaseData(new[] { Array.Empty<byte>(), B("ZGC01"), new byte[] { 0x01 }, B("game") }, nameof(BadInput.FrontendBadRequestHeader)).SetName("Frontend_MissingRequestHeader");
        yield return new TestCaseData(new[] { Array.Empty<byte>(), B("MDPC01"), Array.Empty<byte>(), B("body") }, nameof(BadInput.FrontendBadService)).SetName("Frontend_EmptyServiceName");
        yield return new TestCaseData(Enumerable.Repeat(Array.Empty<byte>(), 40).ToArray(), nameof(BadInput.FrontendTooManyFrames)).SetName("Frontend_TooManyFrames");
    }

    [TestCaseSource(nameof(FrontendGarbage))]
    public async Task Frontend_BadMessage_IsCountedAndBrokerKeepsServing(byte[][] frames, string expected)
    {
        using var broker = new BrokerFixture();
        using var client = new DealerSocket(broker.Frontend);

        Send(client, frames);
        // A heartbeat from the same connection is handled after the bad message: its answer is the signal.
        Send(client, [], B("ZGC01"), [0x04]);
        Receive(client);

        Assert.That(broker.Stats.BadInputCount(Enum.Parse<BadInput>(expected)), Is.EqualTo(1));
        await AssertServing(broker);
    }

    private static IEnumerable<TestCaseData> BackendGarbage()
    {
        yield return new TestCaseData(new[] { B("lonely") }, nameof(BadInput.BackendMalformed)).SetName("Backend_OneFrame");
        yield return new TestCaseData(new[] { B("x"), B("MDPW01"), new byte[] { 0x01 }, B("echo") }, nameof(BadInput.BackendMalformed)).SetName("Backend_NonEmptyDelimiter");
        yield return new TestCaseData(new[] { Array.Empty<byte>(), B("MDPW01"), new byte[] { 0x01 } }, nameof(BadInput.BackendMalformed)).SetName("Backend_ReadyWithoutService");
        yield return new TestCaseData(new[] { Array.Empty<byte>(), B("MDPW01"), new byte[] { 0x01, 0x02 }, B("echo") }, nameof(BadInput.BackendMalformed)).SetName("Backend_LongCommandFrame");
        yield return new TestCaseData(new[] { Array.Empty<byte>(), B("MDPW99"), new byte[] { 0x01 }, B("echo") }, nameof(BadInput.BackendUnknownHeader)).SetName("Backend_UnknownHeader");
        yield return new TestCaseData(new[] { Array.Empty<byte>(), B("MDPW01"), new byte[] { 0x09 } }, nameof(BadInput.BackendUnknownCommand)).SetName("Backend_UnknownCommand");
        yield return new TestCaseData(new[] { Array.Empty<byte>(), B("MDPW01"), new byte[] { 0x01 }, B("mmi.service") }, nameof(BadInput.BackendBadService)).SetName("Backend_ReadyForMmiService");
        yield return new TestCaseData(Enumerable.Repeat(Array.Empty<byte>(), 40).ToArray(), nameof(BadInput.BackendTooManyFrames)).SetName("Backend_TooManyFrames");
    }

    [TestCaseSource(nameof(BackendGarbage))]
    public async Task Backend_BadMessage_GetsDisconnectAndBrokerKeepsServing(byte[][] frames, string expected)
    {
        using var broker = new BrokerFixture();
        using var worker = new DealerSocket(broker.Backend);

        Send(worker, frames);

        ReceiveUntil(worker, f => IsWorkerCommand(f, 0x05));
        Assert.That(broker.Stats.BadInputCount(Enum.Parse<BadInput>(expected)), Is.EqualTo(1));
        await AssertServing(broker);
    }

    [Test]
    public async Task Backend_ReplyWithEmptyClientAddress_LosesOnlyThatWorker()
    {
        using var broker = new BrokerFixture();
        using var worker = await broker.RawWorkerAsync("game");
        using var client = new DealerSocket(broker.Frontend);
        SendRequest(client, "game", 3, 0, B("x"));
        ReceiveUntil(worker, f => IsWorkerCommand(f, 0x02));

        Send(worker, [], B("MDPW01"), [0x03], [], [], ReplyHeader(3, 0), B("forged"));

        ReceiveUntil(worker, f => IsWorkerCommand(f, 0x05));
        var (status, _) = ReceiveReply(client, 3);
        Assert.That(status, Is.EqualTo((byte)ZmqGame.Protocol.Status.WorkerLost));
        Assert.That(broker.Stats.BadInputCount(BadInput.BackendUnexpectedReply), Is.EqualTo(1));
        await AssertServing(broker);
    }

    [Test]
    public async Task Frontend_FrameBeyondWhatIsSkipped_DropsThatPeerOnly()
    {
        using var broker = new BrokerFixture();
        using var attacker = new DealerSocket(broker.Frontend);

        var closed = Volatile.Read(ref broker.Stats.ClientDisconnects);

        // Over 64 times the limit (own transport) and 4 times it (NetMQ): too much to skip.
        Send(attacker, [], B("MDPC01"), B("echo"), new byte[65 * 1024 * 1024]);

        // The transport closes the attacker's connection before the message reaches the broker (at its frame header);
        // the ROUTER reports the closed connection, which is the signal here.
        await WaitUntil(() => broker.Stats.ClientDisconnects > closed, broker);
        Assert.That(broker.Stats.Requests, Is.Zero);
        await AssertServing(broker);
    }

    [Test]
    public async Task Backend_FrameBeyondWhatIsSkipped_DropsThatPeerOnly()
    {
        using var broker = new BrokerFixture();
        using var worker = await broker.RawWorkerAsync("huge");

        Send(worker, [], B("MDPW01"), [0x04], new byte[65 * 1024 * 1024]);

        await WaitUntil(() => broker.Stats.WorkersDisconnected == 1, broker);
        await AssertServing(broker);
    }

    [Test]
    public async Task RandomBytesOnTheTcpPort_LeaveTheBrokerServing()
    {
        using var broker = new BrokerFixture();
        var random = new Random(1234);
        foreach (var endpoint in new[] { broker.Frontend, broker.Backend, broker.Control })
        {
            var port = int.Parse(endpoint[(endpoint.LastIndexOf(':') + 1)..]);
            for (var i = 0; i < 5; i++)
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync("127.0.0.1", port);
                var junk = new byte[random.Next(1, 4096)];
                random.NextBytes(junk);
                try
                {
                    await tcp.GetStream().WriteAsync(junk);
                }
                catch (IOException)
                {
                    // The broker may close a garbage connection while we write: that is the point.
                }
            }
        }

        await AssertServing(broker);
    }

    [Test]
    public async Task RandomFrames_FromClientsAndWorkers_LeaveTheBrokerServing()
    {
        using var broker = new BrokerFixture();
        var random = new Random(4321);
        using var client = new DealerSocket(broker.Frontend);
        using var worker = new DealerSocket(broker.Backend);
        byte[][] prefixes = [[], B("MDPC01"), B("MDPW01"), B("ZGC01"), [0x01], [0x02], [0x03], B("echo")];
        for (var i = 0; i < 300; i++)
        {
            var frames = new byte[random.Next(1, 8)][];
            for (var f = 0; f < frames.Length; f++)
            {
                if (random.Next(3) == 0)
                {
                    frames[f] = prefixes[random.Next(prefixes.Length)];
                }
                else
                {
                    frames[f] = new byte[random.Next(0, 64)];
                    random.NextBytes(frames[f]);
                }
            }

            Send(i % 2 == 0 ? client : worker, frames);
        }

        Send(client, [], B("ZGC01"), [0x04]);
        ReceiveUntil(client, f => f.Count == 3 && S(f[1]) == "ZGC01" && f[2][0] == 0x04);
        Assert.That(broker.Stats.BadInputTotal, Is.GreaterThan(0));
        await AssertServing(broker);
    }

    [Test]
    public async Task Control_Garbage_IsCountedAndStatsStillAnswer()
    {
        using var broker = new BrokerFixture();
        using var admin = new DealerSocket(broker.Control);

        Send(admin, B("garbage"));
        Send(admin, [], B("ZGT01"), B("no-such-command"));
        var error = Receive(admin);
        Assert.That(S(error[1]), Is.EqualTo("ZGT01"));

        Send(admin, [], B("ZGT01"), B("stats"));
        var stats = Receive(admin);
        var map = MessagePack.MessagePackSerializer.Deserialize<Dictionary<string, object>>(stats[3], ZmqGame.Protocol.Payload.Options);
        var counters = (Dictionary<object, object>)map["counters"];
        Assert.That(Convert.ToInt64(counters["bad_input.ControlMalformed"]), Is.EqualTo(2));
        await AssertServing(broker);
    }

    [Test]
    public async Task BadInput_IsLoggedOncePerInterval()
    {
        var log = new BadInputLog(
            new CountingLogger(), new BrokerStats(), TimeProvider.System, TimeSpan.FromHours(1));
        for (var i = 0; i < 1000; i++)
        {
            log.Report(BadInput.FrontendMalformed, [1, 2, 3], "test");
        }

        log.Report(BadInput.BackendMalformed, [1, 2, 3], "test");
        Assert.That(CountingLogger.Lines, Is.EqualTo(2), "one line per kind, the rest only counted");
        await Task.CompletedTask;
    }

    /// <summary>Waits for a broker-side condition that has no message to signal it (connection drops).</summary>
    private static async Task WaitUntil(Func<bool> condition, BrokerFixture broker)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!condition())
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "condition not reached in time");
            // A round trip through the poller thread: everything it received before is handled.
            await broker.Server.InvokeAsync(() => 0);
            await Task.Yield();
        }
    }

    private sealed class CountingLogger : Microsoft.Extensions.Logging.ILogger
    {
        public static int Lines;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Interlocked.Increment(ref Lines);
    }
}
