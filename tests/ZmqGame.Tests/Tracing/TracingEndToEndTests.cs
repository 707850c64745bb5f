using System.Buffers.Binary;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using NetMQ.Sockets;
using ZmqGame.Client;
using ZmqGame.Protocol;
using ZmqGame.Tests.Support;
using ZmqGame.Tests.WorkerTests;
using ZmqGame.Worker;
using static ZmqGame.Tests.Support.Raw;

namespace ZmqGame.Tests.Tracing;

/// <summary>
/// Traces across processes' boundaries, in one process: a request from the client library through the real broker to a
/// worker, with an OpenTelemetry tracer that exports to memory; and what goes on the wire with and without one.
/// </summary>
[TestFixture]
[NonParallelizable] // an ActivitySource listener is process-wide
public sealed class TracingEndToEndTests
{
    private const string Service = "traced";
    private const int Double = 1; // RawZg's requests carry command 1
    private const int Boom = 2;
    private const int BadTraceContextEvent = 1060;

    private static readonly ActivitySource Handler = new(SpanCollector.HandlerSourceName);

    private BrokerFixture _broker = null!;

    [SetUp]
    public void SetUp() => _broker = new BrokerFixture();

    [TearDown]
    public void TearDown() => _broker.Dispose();

    [Test]
    public async Task Request_ThroughBroker_WorkerSpanIsChildOfClientSpan()
    {
        using var spans = new SpanCollector();
        await using var app = await StartWorkerAsync();
        await using var client = await ZmqGameClient.ConnectAsync(_broker.Frontend);

        Num reply;
        Activity? caller;
        using (caller = Handler.StartActivity("caller"))
        {
            reply = await client.RequestAsync<Num, Num>(Service, Double, new Num(21));
            Assert.That(Activity.Current, Is.SameAs(caller), "the request left the caller's current activity as it was");
        }

        Assert.That(reply.Value, Is.EqualTo(42));
        var clientSpan = spans.From("ZmqGame.Client").Single();
        var workerSpan = spans.From("ZmqGame.Worker").Single();
        var inHandler = spans.From(SpanCollector.HandlerSourceName).Single(s => s.OperationName == "in handler");
        Assert.Multiple(() =>
        {
            Assert.That(clientSpan.Kind, Is.EqualTo(ActivityKind.Client));
            Assert.That(clientSpan.ParentSpanId, Is.EqualTo(caller!.SpanId), "the client span is a child of the caller's");
            Assert.That(clientSpan.GetTagItem("rpc.service"), Is.EqualTo(Service));
            Assert.That(clientSpan.GetTagItem("zmqgame.command"), Is.EqualTo(Double));
            Assert.That(clientSpan.GetTagItem("zmqgame.status"), Is.EqualTo("Ok"));
            Assert.That(clientSpan.Status, Is.EqualTo(ActivityStatusCode.Unset));

            Assert.That(workerSpan.Kind, Is.EqualTo(ActivityKind.Server));
            Assert.That(workerSpan.TraceId, Is.EqualTo(clientSpan.TraceId));
            Assert.That(workerSpan.ParentSpanId, Is.EqualTo(clientSpan.SpanId));
            Assert.That(workerSpan.HasRemoteParent, Is.True, "the parent came over the wire, not through Activity.Current");
            Assert.That(workerSpan.GetTagItem("rpc.service"), Is.EqualTo(Service));
            Assert.That(workerSpan.GetTagItem("zmqgame.command"), Is.EqualTo(Double));
            Assert.That(workerSpan.GetTagItem("zmqgame.status"), Is.EqualTo("Ok"));

            Assert.That(inHandler.ParentSpanId, Is.EqualTo(workerSpan.SpanId), "the handler's own activity nests under the worker span");
            Assert.That(inHandler.TraceId, Is.EqualTo(clientSpan.TraceId));
        });
    }

    [Test]
    public async Task HandlerThrows_ClientAndWorkerSpansEndInError()
    {
        using var spans = new SpanCollector();
        await using var app = await StartWorkerAsync();
        await using var client = await ZmqGameClient.ConnectAsync(_broker.Frontend);

        var error = Assert.ThrowsAsync<ZmqGameRequestException>(() => client.RequestAsync<Num, Num>(Service, Boom, new Num(1)));

        Assert.That(error!.Status, Is.EqualTo(Status.HandlerFailed));
        var clientSpan = spans.From("ZmqGame.Client").Single();
        var workerSpan = spans.From("ZmqGame.Worker").Single();
        Assert.Multiple(() =>
        {
            Assert.That(clientSpan.Status, Is.EqualTo(ActivityStatusCode.Error));
            Assert.That(clientSpan.GetTagItem("zmqgame.status"), Is.EqualTo("HandlerFailed"));
            Assert.That(workerSpan.Status, Is.EqualTo(ActivityStatusCode.Error));
            Assert.That(workerSpan.GetTagItem("zmqgame.status"), Is.EqualTo("HandlerFailed"));
            Assert.That(workerSpan.Events.Select(e => e.Name), Does.Contain("exception"));
            Assert.That(workerSpan.ParentSpanId, Is.EqualTo(clientSpan.SpanId));
        });
    }

    [Test]
    public async Task NoWorker_RequestTimesOut_ClientSpanEndsInError()
    {
        using var spans = new SpanCollector();
        await using var client = await ZmqGameClient.ConnectAsync(_broker.Frontend);

        var error = Assert.ThrowsAsync<ZmqGameRequestException>(
            () => client.RequestAsync<Num, Num>("nobody", Double, new Num(1), TimeSpan.FromMilliseconds(200)));

        Assert.That(error!.Status, Is.EqualTo(Status.Timeout));
        var clientSpan = spans.From("ZmqGame.Client").Single();
        Assert.That(clientSpan.Status, Is.EqualTo(ActivityStatusCode.Error));
        Assert.That(clientSpan.GetTagItem("zmqgame.status"), Is.EqualTo("Timeout"));
        Assert.That(clientSpan.StatusDescription, Does.Contain("nobody"));
    }

    [Test]
    public async Task NoListener_RequestCarriesNoTraceContext()
    {
        var body = await BodyAStockWorkerReceivesAsync();

        Assert.That(body, Has.Count.EqualTo(2), "exactly [request header][payload], as without tracing");
        Assert.That(body.Any(IsTraceFrame), Is.False);
    }

    [Test]
    public async Task Listener_RequestCarriesTheClientSpanAsTraceparent()
    {
        using var spans = new SpanCollector();

        var body = await BodyAStockWorkerReceivesAsync();

        var clientSpan = spans.From("ZmqGame.Client").Single();
        var expected = $"00-{clientSpan.TraceId.ToHexString()}-{clientSpan.SpanId.ToHexString()}-01";
        Assert.That(body, Has.Count.EqualTo(3), "[request header][trace context][payload]");
        Assert.That(body[1], Is.EqualTo(TraceFrame(expected)), "'Z' 'G' 1 6, the traceparent's length, the traceparent, no tracestate");
    }

    [Test]
    public async Task HandWrittenClient_TraceContextAsDocumented_ParentsTheWorkerSpan()
    {
        using var spans = new SpanCollector();
        await using var app = await StartWorkerAsync();
        using var client = new DealerSocket(_broker.Frontend);
        const string traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        const string spanId = "00f067aa0ba902b7";

        RawZg.SendRequest(client, Service, 1, 0, TraceFrame($"00-{traceId}-{spanId}-01", "vendor=abc"), Payload.Serialize(new Num(4)));
        var (status, payload) = RawZg.ReceiveReply(client, 1);

        Assert.That(status, Is.Zero);
        Assert.That(Payload.Deserialize<Num>(payload.Single()).Value, Is.EqualTo(8));
        var workerSpan = spans.From("ZmqGame.Worker").Single();
        Assert.Multiple(() =>
        {
            Assert.That(workerSpan.TraceId.ToHexString(), Is.EqualTo(traceId));
            Assert.That(workerSpan.ParentSpanId.ToHexString(), Is.EqualTo(spanId));
            Assert.That(workerSpan.HasRemoteParent, Is.True);
            Assert.That(workerSpan.TraceStateString, Is.EqualTo("vendor=abc"));
            Assert.That(Interlocked.Read(ref app.Counters.BadTraceContexts), Is.Zero);
        });
    }

    [Test]
    public async Task HandWrittenClient_MalformedTraceContext_IsIgnoredCountedAndLoggedOnce()
    {
        using var spans = new SpanCollector();
        var log = new WarningLog();
        using var logs = log.Factory();
        await using var app = await StartWorkerAsync(logs);
        using var client = new DealerSocket(_broker.Frontend);
        byte[][] malformed =
        [
            TraceFrame("00-not-a-traceparent"),
            TraceFrame("00-00000000000000000000000000000000-0000000000000000-01"), // all-zero ids: not valid W3C
            [(byte)'Z', (byte)'G', 1, 6, 200, (byte)'0', (byte)'0'],             // a length past the frame's end
        ];

        for (var i = 0; i < malformed.Length; i++)
        {
            var id = (ulong)i + 1;
            RawZg.SendRequest(client, Service, id, 0, malformed[i], Payload.Serialize(new Num(i + 1)));
            var (status, payload) = RawZg.ReceiveReply(client, id);
            Assert.That(status, Is.Zero, $"request {id} still runs");
            Assert.That(Payload.Deserialize<Num>(payload.Single()).Value, Is.EqualTo((i + 1) * 2));
        }

        var warnings = log.Entries.Where(e => e.EventId == BadTraceContextEvent).ToList();
        var workerSpans = spans.From("ZmqGame.Worker");
        Assert.Multiple(() =>
        {
            Assert.That(Interlocked.Read(ref app.Counters.BadTraceContexts), Is.EqualTo(3));
            Assert.That(warnings, Has.Count.EqualTo(1), "logged once, then only counted");
            Assert.That(warnings[0].Text, Does.Contain("not a W3C traceparent: 00-not-a-traceparent"));
            Assert.That(workerSpans, Has.Count.EqualTo(3));
            Assert.That(workerSpans.Select(s => s.HasRemoteParent), Has.All.False);
            Assert.That(workerSpans.Select(s => s.ParentSpanId), Has.All.EqualTo(default(ActivitySpanId)));
        });
    }

    [Test]
    public async Task StockMdpClient_WithTracingOn_IsServed()
    {
        using var spans = new SpanCollector();
        await using var app = await StartWorkerAsync();
        using var client = new RequestSocket(_broker.Frontend);

        Send(client, B("MDPC01"), B(Service), B("hello"), B("world"));
        var reply = Receive(client);

        Assert.That(reply.Select(S), Is.EqualTo(new[] { "MDPC01", Service, "hello", "world" }));
        var workerSpan = spans.From("ZmqGame.Worker").Single();
        Assert.That(workerSpan.GetTagItem("rpc.method"), Is.EqualTo("raw"));
        Assert.That(workerSpan.HasRemoteParent, Is.False);
        Assert.That(Interlocked.Read(ref app.Counters.BadTraceContexts), Is.Zero);
    }

    /// <summary>The trace context frame of docs/protocol.md, built by hand.</summary>
    private static byte[] TraceFrame(string traceParent, string traceState = "") =>
        [(byte)'Z', (byte)'G', 1, 6, (byte)traceParent.Length, .. B(traceParent), .. B(traceState)];

    private static bool IsTraceFrame(byte[] frame) => frame.Length >= 4 && frame[0] == 'Z' && frame[1] == 'G' && frame[2] == 1 && frame[3] == 6;

    /// <summary>One request of the client library, as a stock MDP worker attached to the real broker receives it: its body frames.</summary>
    private async Task<List<byte[]>> BodyAStockWorkerReceivesAsync()
    {
        using var worker = await _broker.RawWorkerAsync("wire");
        await using var client = await ZmqGameClient.ConnectAsync(_broker.Frontend);

        var call = client.RequestRawAsync("wire", 5, B("hi"));
        var request = ReceiveUntil(worker, f => IsWorkerCommand(f, 0x02));
        var body = request.Skip(5).ToList();
        var id = BinaryPrimitives.ReadUInt64BigEndian(body[0].AsSpan(4));
        Send(worker, [[], B("MDPW01"), [0x03], request[3], [], RawZg.ReplyHeader(id, 0), body[^1]]);

        Assert.That(S(await call.WaitAsync(Wait)), Is.EqualTo("hi"));
        return body;
    }

    private async Task<WorkerApp> StartWorkerAsync(ILoggerFactory? logs = null)
    {
        var app = WorkerApp.Create(TestOptions.For(_broker.Backend, slots: 1), logs);
        var service = app.MapService(Service);
        service.Map<Num, Num>(Double, (n, _) =>
        {
            using var inner = Handler.StartActivity("in handler");
            return new Num(n.Value * 2);
        });
        service.Map<Num, Num>(Boom, (_, _) => throw new InvalidOperationException("boom"));
        service.MapRaw((frames, _) => frames);
        await app.StartAsync();
        await _broker.WaitForIdleWorkers(Service);
        return app;
    }
}
