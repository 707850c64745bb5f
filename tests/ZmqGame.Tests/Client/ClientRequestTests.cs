using System.Collections.Concurrent;
using MessagePack;
using ZmqGame.Client;
using ZmqGame.Protocol;
using ZmqGame.Tests.Support;
using static ZmqGame.Tests.Client.ClientTestSupport;

namespace ZmqGame.Tests.Client;

[MessagePackObject]
public sealed record Move([property: Key(0)] string Player, [property: Key(1)] int X, [property: Key(2)] int Y);

[MessagePackObject]
public sealed record MoveResult([property: Key(0)] bool Accepted, [property: Key(1)] string Note);

[TestFixture]
[CancelAfter(30_000)]
public sealed class ClientRequestTests : FakeBrokerFixture
{
    [Test]
    public async Task Request_SendsExactZgc01RequestFrames()
    {
        await using var client = await ConnectAsync(Broker);
        var move = new Move("ann", 3, -4);

        var call = client.RequestAsync<Move, MoveResult>("game", 42, move, TimeSpan.FromSeconds(7));
        var message = await Broker.ReceiveAsync();

        Assert.That(message.FrameCount, Is.EqualTo(7));
        Assert.Multiple(() =>
        {
            Assert.That(message[1].MessageSize, Is.Zero, "empty delimiter frame");
            Assert.That(message[2].ToByteArray(), Is.EqualTo("ZGC01"u8.ToArray()));
            Assert.That(message[3].ToByteArray(), Is.EqualTo(new byte[] { 0x01 }), "REQUEST command byte");
            Assert.That(message[4].ConvertToString(), Is.EqualTo("game"));
            Assert.That(message[5].MessageSize, Is.EqualTo(RequestHeader.Size));
            Assert.That(message[6].ToByteArray(), Is.EqualTo(Pack(move)), "payload is the MessagePack of the request");
        });

        var (identity, _, header, _) = ParseRequest(message);
        Assert.That(header.Command, Is.EqualTo(42));
        Assert.That(header.RequestId, Is.Not.Zero);
        Assert.That(header.TimeoutMs, Is.InRange(6000u, 7000u), "the remaining deadline travels in the header");

        Broker.Send(FakeBroker.Reply(identity, header.RequestId, Status.Ok, Pack(new MoveResult(true, "ok"))));
        Assert.That(await call.Within(), Is.EqualTo(new MoveResult(true, "ok")));
    }

    [Test]
    public async Task Request_DefaultDeadline_IsSentInHeader()
    {
        await using var client = await ConnectAsync(Broker, new ZmqGameClientOptions { RequestTimeout = TimeSpan.FromSeconds(3) });
        _ = client.RequestRawAsync("game", 1, new byte[] { 0xC0 });
        var (_, _, header, _) = ParseRequest(await Broker.ReceiveAsync());
        Assert.That(header.TimeoutMs, Is.InRange(2000u, 3000u));
    }

    [Test]
    public async Task Request_RepliesOutOfOrder_EachCallerGetsItsOwnReply()
    {
        await using var client = await ConnectAsync(Broker);
        const int count = 20;
        var calls = Enumerable.Range(0, count)
            .Select(i => client.RequestAsync<Move, MoveResult>("game", 7, new Move($"p{i}", i, i)))
            .ToArray();

        var seen = new List<(byte[] Identity, RequestHeader Header, Move Move)>();
        for (var i = 0; i < count; i++)
        {
            var (identity, _, header, payload) = ParseRequest(await Broker.ReceiveAsync());
            seen.Add((identity, header, MessagePackSerializer.Deserialize<Move>(payload, Payload.Options)));
        }

        Assert.That(seen.Select(s => s.Header.RequestId).Distinct().Count(), Is.EqualTo(count), "request ids are unique");

        seen.Reverse();
        foreach (var (identity, header, move) in seen)
        {
            Broker.Send(FakeBroker.Reply(identity, header.RequestId, Status.Ok, Pack(new MoveResult(true, move.Player))));
        }

        var results = await Task.WhenAll(calls).Within();
        for (var i = 0; i < count; i++)
        {
            Assert.That(results[i].Note, Is.EqualTo($"p{i}"), $"call {i} got its own reply");
        }
    }

    [TestCase(Status.NoSuchRoute, "no such route")]
    [TestCase(Status.HandlerFailed, "handler failed")]
    [TestCase(Status.Timeout, "timeout")]
    [TestCase(Status.WorkerLost, "worker lost")]
    [TestCase(Status.Busy, "busy")]
    [TestCase(Status.NotAuthorised, "not authorised")]
    [TestCase(Status.BadRequest, "bad request")]
    public async Task Request_BrokerAnswersErrorStatus_ThrowsWithStatusAndMessage(Status status, string name)
    {
        await using var client = await ConnectAsync(Broker);
        var call = client.RequestAsync<Move, MoveResult>("game", 99, new Move("ann", 0, 0));
        var (identity, _, header, _) = ParseRequest(await Broker.ReceiveAsync());

        Broker.Send(FakeBroker.Reply(identity, header.RequestId, status, "server says no"u8.ToArray()));

        var ex = Assert.ThrowsAsync<ZmqGameRequestException>(async () => await call.Within());
        Assert.Multiple(() =>
        {
            Assert.That(ex!.Status, Is.EqualTo(status));
            Assert.That(ex.ServerMessage, Is.EqualTo("server says no"));
            Assert.That(ex.Service, Is.EqualTo("game"));
            Assert.That(ex.Command, Is.EqualTo(99));
            Assert.That(ex.ConnectionLost, Is.False);
            Assert.That(ex.Message, Is.EqualTo($"{name} (service game, cmd 99): server says no"));
        });
    }

    [Test]
    public async Task Request_NoReplyBeforeDeadline_ThrowsTimeout()
    {
        await using var client = await ConnectAsync(Broker);
        var started = DateTime.UtcNow;

        var ex = Assert.ThrowsAsync<ZmqGameRequestException>(async () =>
            await client.RequestRawAsync("game", 1, new byte[] { 0xC0 }, TimeSpan.FromMilliseconds(200)).Within());

        Assert.That(ex!.Status, Is.EqualTo(Status.Timeout));
        Assert.That(ex.ConnectionLost, Is.False);
        Assert.That(DateTime.UtcNow - started, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(190)));
        Assert.That(client.Core.PendingCount, Is.Zero, "the request is forgotten");
    }

    [Test]
    public async Task Request_LateReplyAfterTimeout_IsDroppedAndCounted()
    {
        await using var client = await ConnectAsync(Broker);
        var call = client.RequestRawAsync("game", 1, new byte[] { 0xC0 }, TimeSpan.FromMilliseconds(100));
        var (identity, _, header, _) = ParseRequest(await Broker.ReceiveAsync());
        Assert.ThrowsAsync<ZmqGameRequestException>(async () => await call.Within());

        Broker.Send(FakeBroker.Reply(identity, header.RequestId, Status.Ok, new byte[] { 0xC0 }));

        await Eventually.True(() => client.Core.UnknownReplies == 1, "the late reply counted as unknown");
        Broker.Responder = FakeBroker.Echo;
        Assert.That(await client.RequestRawAsync("game", 1, new byte[] { 0x2A }).Within(), Is.EqualTo(new byte[] { 0x2A }));
    }

    [Test]
    public async Task Request_Cancelled_ThrowsOperationCanceledAndForgetsRequest()
    {
        await using var client = await ConnectAsync(Broker);
        using var cts = new CancellationTokenSource();
        var call = client.RequestAsync<Move, MoveResult>("game", 1, new Move("ann", 1, 1), cts.Token);
        var (identity, _, header, _) = ParseRequest(await Broker.ReceiveAsync());

        await cts.CancelAsync();

        Assert.That(async () => await call.Within(), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(client.Core.PendingCount, Is.Zero);

        Broker.Send(FakeBroker.Reply(identity, header.RequestId, Status.Ok, Pack(new MoveResult(true, "late"))));
        await Eventually.True(() => client.Core.UnknownReplies == 1, "the late reply counted as unknown");
    }

    [Test]
    public async Task Request_AlreadyCancelledToken_ThrowsWithoutSending()
    {
        await using var client = await ConnectAsync(Broker);
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        Assert.That(async () => await client.RequestRawAsync("game", 1, new byte[] { 0xC0 }, cts.Token), Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task Request_MalformedMessagesFromBroker_AreCountedAndDropped()
    {
        await using var client = await ConnectAsync(Broker);
        var call = client.RequestRawAsync("game", 5, new byte[] { 0xC0 });
        var (identity, _, header, _) = ParseRequest(await Broker.ReceiveAsync());

        Broker.Send(identity, "garbage"u8.ToArray());                                     // no delimiter
        Broker.Send(identity, [], "MDPC01"u8.ToArray(), [0x02]);                          // wrong protocol
        Broker.Send(identity, [], ZgClient.Header.ToArray(), [0x7F]);                     // unknown command
        Broker.Send(identity, [], ZgClient.Header.ToArray(), [ZgClient.Reply], [1, 2, 3]); // short reply header
        Broker.Send(identity, [], ZgClient.Header.ToArray(), [ZgClient.Reply]);           // no reply header
        Broker.Send(identity, [], ZgClient.Header.ToArray(), [1, 2]);                     // command not one byte
        await Eventually.True(() => client.Core.MalformedMessages == 6, "six malformed messages counted");

        Broker.Send(FakeBroker.Reply(identity, header.RequestId, Status.Ok, new byte[] { 0x07 }));
        Assert.That(await call.Within(), Is.EqualTo(new byte[] { 0x07 }), "the client keeps working");
    }

    [Test]
    public async Task Request_ReplyPayloadNotReadable_ThrowsHandlerFailed()
    {
        await using var client = await ConnectAsync(Broker);
        var call = client.RequestAsync<Move, MoveResult>("game", 1, new Move("ann", 1, 1));
        var (identity, _, header, _) = ParseRequest(await Broker.ReceiveAsync());

        Broker.Send(FakeBroker.Reply(identity, header.RequestId, Status.Ok, "not msgpack"u8.ToArray()));

        var ex = Assert.ThrowsAsync<ZmqGameRequestException>(async () => await call.Within());
        Assert.That(ex!.Status, Is.EqualTo(Status.HandlerFailed));
    }

    [Test]
    public async Task Request_ManyTasksAtOnce_EveryCallerGetsItsReply()
    {
        Broker.Responder = FakeBroker.Echo;
        await using var client = await ConnectAsync(Broker);
        const int tasks = 16;
        const int perTask = 50;

        var workers = Enumerable.Range(0, tasks).Select(t => Task.Run(async () =>
        {
            for (var i = 0; i < perTask; i++)
            {
                var move = new Move($"t{t}", i, -i);
                var echoed = await client.RequestAsync<Move, Move>("game", t, move);
                Assert.That(echoed, Is.EqualTo(move));
            }
        }));

        await Task.WhenAll(workers).Within();
        Assert.That(client.Core.PendingCount, Is.Zero);
        Assert.That(client.Core.UnknownReplies, Is.Zero);
    }

    [TestCase("")]
    [TestCase("mmi.service")]
    public async Task Request_InvalidService_ThrowsArgumentException(string service)
    {
        await using var client = await ConnectAsync(Broker);
        Assert.That(() => client.RequestRawAsync(service, 1, Array.Empty<byte>()), Throws.InstanceOf<ArgumentException>());
        Assert.That(() => client.RequestRawAsync(new string('s', 256), 1, Array.Empty<byte>()), Throws.InstanceOf<ArgumentException>());
    }

    [Test]
    public async Task Request_NonPositiveTimeout_ThrowsArgumentOutOfRange()
    {
        await using var client = await ConnectAsync(Broker);
        Assert.That(() => client.RequestRawAsync("game", 1, Array.Empty<byte>(), TimeSpan.Zero), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => client.RequestRawAsync("game", 1, Array.Empty<byte>(), Timeout.InfiniteTimeSpan), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public async Task Dispose_WithOutstandingRequest_FailsItWithObjectDisposed()
    {
        var client = await ConnectAsync(Broker);
        var call = client.RequestRawAsync("game", 1, new byte[] { 0xC0 });
        await Broker.ReceiveAsync();

        await client.DisposeAsync().AsTask().Within();

        Assert.That(async () => await call.Within(), Throws.InstanceOf<ObjectDisposedException>());
        Assert.That(() => client.RequestRawAsync("game", 1, new byte[] { 0xC0 }), Throws.InstanceOf<ObjectDisposedException>());
        await client.DisposeAsync(); // twice is fine
    }
}
