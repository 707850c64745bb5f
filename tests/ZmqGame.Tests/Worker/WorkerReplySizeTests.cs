using NetMQ.Sockets;
using ZmqGame.Broker;
using ZmqGame.Client;
using ZmqGame.Protocol;
using ZmqGame.Tests.Support;
using ZmqGame.Worker;
using static ZmqGame.Tests.Support.Raw;

namespace ZmqGame.Tests.WorkerTests;

/// <summary>
/// A handler's reply over <see cref="WorkerOptions.MaxMessageSize"/> is not sent: the worker answers <c>too large</c>
/// in its own words (a ZmqGame request) or an <c>error: …</c> frame (a stock MDP request) instead, the slot stays
/// attached and serves the next request; seen through the real in-process broker, which never sees an oversized
/// message.
/// </summary>
[TestFixture]
public sealed class WorkerReplySizeTests
{
    private const int Limit = 64 * 1024;
    private const string Service = "sized";
    private const int Bytes = 1;

    private BrokerFixture _broker = null!;

    [SetUp]
    public void SetUp()
    {
        _seenAfter.Clear();
        _broker = new BrokerFixture(o => o.MaxMessageSize = Limit);
    }

    [TearDown]
    public void TearDown() => _broker.Dispose();

    /// <summary>The status each request's after-request hook saw, in order.</summary>
    private readonly System.Collections.Concurrent.ConcurrentQueue<Status> _seenAfter = new();

    /// <summary>One slot; command <see cref="Bytes"/> replies with as many bytes as asked, the raw route likewise (its body is the count as text).</summary>
    private async Task<WorkerApp> StartAsync()
    {
        var options = TestOptions.For(_broker.Backend, slots: 1);
        options.MaxMessageSize = Limit;
        var app = WorkerApp.Create(options);
        app.OnAfterRequest(ctx => _seenAfter.Enqueue(ctx.Status));
        app.MapService(Service)
            .Map<int, byte[]>(Bytes, (n, _) => new byte[n])
            .MapRaw((frames, _) => [new byte[int.Parse(S(frames[0]), System.Globalization.CultureInfo.InvariantCulture)]]);
        await app.StartAsync();
        await _broker.WaitForIdleWorkers(Service, 1);
        return app;
    }

    [Test]
    public async Task ZgRequest_HandlerReplyOverTheLimit_ClientGetsTheWorkersTooLargeAndTheSlotServesTheNext()
    {
        await using var app = await StartAsync();
        await using var client = await ZmqGameClient.ConnectAsync(_broker.Frontend);

        var ex = Assert.ThrowsAsync<ZmqGameRequestException>(() => client.RequestAsync<int, byte[]>(Service, Bytes, 100_000));

        Assert.That(ex!.Status, Is.EqualTo(Status.TooLarge));
        Assert.That(ex.ServerMessage, Does.Match($"^the handler's reply of 1[0-9]{{5}} bytes is over the broker's limit of {Limit}$"));
        Assert.That(Interlocked.Read(ref app.Counters.HandlerFailures), Is.EqualTo(1), "counted as a failed handler");
        Assert.That(_broker.Stats.BadInputCount(BadInput.BackendTooLarge), Is.Zero, "the oversized reply never went on the wire");

        var next = await client.RequestAsync<int, byte[]>(Service, Bytes, 1000).WaitAsync(Wait);
        Assert.That(next, Has.Length.EqualTo(1000), "the same (only) slot serves the next request");
        Assert.That(_seenAfter, Is.EqualTo(new[] { Status.TooLarge, Status.Ok }), "the after-request hook sees what the client got");
        Assert.That(Volatile.Read(ref _broker.Stats.WorkersDisconnected), Is.Zero, "the slot stayed attached");
        Assert.That(Interlocked.Read(ref app.Counters.Reconnects), Is.Zero);
    }

    [Test]
    public async Task MdpRequest_HandlerReplyOverTheLimit_ClientGetsAnErrorFrameAndTheSlotServesTheNext()
    {
        await using var app = await StartAsync();
        using var client = new RequestSocket(_broker.Frontend);

        Send(client, B("MDPC01"), B(Service), B("100000"));
        var reply = Receive(client);

        Assert.That(reply.Take(2).Select(S), Is.EqualTo(new[] { "MDPC01", Service }));
        Assert.That(reply, Has.Count.EqualTo(3));
        Assert.That(S(reply[2]), Does.Match($"^error: too large: the handler's reply of 1[0-9]{{5}} bytes is over the broker's limit of {Limit}$"));
        Assert.That(_broker.Stats.BadInputCount(BadInput.BackendTooLarge), Is.Zero, "the oversized reply never went on the wire");

        Send(client, B("MDPC01"), B(Service), B("1000"));
        var next = Receive(client);
        Assert.That(next, Has.Count.EqualTo(3));
        Assert.That(next[2], Has.Length.EqualTo(1000), "the same (only) slot serves the next request");
        Assert.That(Volatile.Read(ref _broker.Stats.WorkersDisconnected), Is.Zero, "the slot stayed attached");
    }

    [Test]
    public async Task ZgRequest_ReplyJustWithinTheLimit_IsDeliveredWhole()
    {
        await using var app = await StartAsync();
        await using var client = await ZmqGameClient.ConnectAsync(_broker.Frontend);

        // Envelope, reply header and the MessagePack bin header stay well under 100 bytes.
        var reply = await client.RequestAsync<int, byte[]>(Service, Bytes, Limit - 100).WaitAsync(Wait);

        Assert.That(reply, Has.Length.EqualTo(Limit - 100));
        Assert.That(Interlocked.Read(ref app.Counters.HandlerFailures), Is.Zero);
    }
}
