using System.Buffers.Binary;
using ZmqGame.Client.Internal;
using ZmqGame.Protocol;

namespace ZmqGame.Tests.Client;

/// <summary>
/// <see cref="ClientFrames"/>: the ZGC01 messages the client writes (as the <see cref="ZgClient"/> codec reads them
/// back), and the client's policy when it reads the broker's (missing payloads, ticket limits).
/// </summary>
[TestFixture]
public sealed class ClientFramesTests
{
    private static readonly byte[] Header = ZgClient.Header.ToArray();

    [Test]
    public void Request_WithoutSession_IsPlainRequest()
    {
        var header = new RequestHeader(7, 3, 500);
        var message = ClientFrames.Request(0, [0x61], header, [1, 2]);

        Assert.That(message, Has.Count.EqualTo(6));
        Assert.Multiple(() =>
        {
            Assert.That(message[0], Is.Empty);
            Assert.That(message[1], Is.EqualTo(Header));
            Assert.That(message[2], Is.EqualTo(new[] { ZgClient.Request }));
            Assert.That(message[3], Is.EqualTo(new byte[] { 0x61 }));
            Assert.That(message[4], Is.EqualTo(header.ToArray()));
            Assert.That(message[5], Is.EqualTo(new byte[] { 1, 2 }));
        });
    }

    [Test]
    public void Request_WithSession_IsSessionRequestWithBigEndianId()
    {
        var message = ClientFrames.Request(0x0102, [0x61], new RequestHeader(7, 3, 500), []);

        Assert.That(message, Has.Count.EqualTo(7));
        Assert.Multiple(() =>
        {
            Assert.That(message[2], Is.EqualTo(new[] { ZgClient.SessionRequest }));
            Assert.That(BinaryPrimitives.ReadUInt64BigEndian(message[3]), Is.EqualTo(0x0102UL));
        });
    }

    [TestCase(0UL)]
    [TestCase(42UL)]
    public void Request_ReadsBackThroughTheCodec(ulong sessionId)
    {
        var payload = new byte[] { 1, 2 };
        var message = ClientFrames.Request(sessionId, [0x61], new RequestHeader(7, 3, 500), payload);

        Assert.That(ZgClient.TryReadRequest(new ListFrames(message), out var request), Is.True);
        Assert.Multiple(() =>
        {
            Assert.That(request.SessionBound, Is.EqualTo(sessionId != 0));
            Assert.That(request.SessionId, Is.EqualTo(sessionId));
            Assert.That(request.Header, Is.EqualTo(new RequestHeader(7, 3, 500)));
            Assert.That(message[request.BodyStart + 1], Is.SameAs(payload), "the payload is sent as it is");
        });
    }

    [Test]
    public void Request_ListNeverGrowsAndSharesItsConstantFrames()
    {
        var first = ClientFrames.Request(9, [0x61], new RequestHeader(1, 3, 500), []);
        var second = ClientFrames.Request(9, [0x61], new RequestHeader(2, 3, 500), []);

        Assert.Multiple(() =>
        {
            Assert.That(first.Capacity, Is.EqualTo(first.Count), "a SESSION REQUEST fills the list it was made with");
            Assert.That(second[1], Is.SameAs(first[1]), "header frame");
            Assert.That(second[2], Is.SameAs(first[2]), "command frame");
        });
    }

    [Test]
    public void Close_IsABodilessCommand()
    {
        var message = ClientFrames.Close();
        Assert.Multiple(() =>
        {
            Assert.That(message, Has.Count.EqualTo(3));
            Assert.That(ClientFrames.TryReadCommand(message, out var command), Is.True);
            Assert.That(command, Is.EqualTo(ZgClient.Close));
        });
    }

    [Test]
    public void Heartbeat_CarriesSessionIdOnlyWhenOpen()
    {
        Assert.Multiple(() =>
        {
            Assert.That(ClientFrames.Heartbeat(0), Has.Count.EqualTo(3));
            Assert.That(BinaryPrimitives.ReadUInt64BigEndian(ClientFrames.Heartbeat(9)[3]), Is.EqualTo(9UL));
        });
    }

    [Test]
    public void Hello_WithoutTicket_SendsEmptyTicketFrame()
    {
        var message = ClientFrames.Hello([0x67], ticket: null);
        Assert.Multiple(() =>
        {
            Assert.That(message[2], Is.EqualTo(new[] { ZgClient.Hello }));
            Assert.That(message[3], Is.EqualTo(new byte[] { 0x67 }));
            Assert.That(message[4], Is.Empty);
        });
    }

    [Test]
    public void TryReadCommand_NotZgc01_False()
    {
        Assert.Multiple(() =>
        {
            Assert.That(ClientFrames.TryReadCommand([[], Header], out _), Is.False, "too short");
            Assert.That(ClientFrames.TryReadCommand([[1], Header, [ZgClient.Reply]], out _), Is.False, "no empty delimiter");
            Assert.That(ClientFrames.TryReadCommand([[], [0x5A], [ZgClient.Reply]], out _), Is.False, "wrong header");
            Assert.That(ClientFrames.TryReadCommand([[], Header, [ZgClient.Reply, 0]], out _), Is.False, "two-byte command");
            Assert.That(ClientFrames.TryReadCommand([[], Header, [ZgClient.Push]], out var command), Is.True);
            Assert.That(command, Is.EqualTo(ZgClient.Push));
        });
    }

    [Test]
    public void TryReadWelcome_TicketTooLong_Ignored()
    {
        var welcome = new Welcome { Session = 5 }.Serialize();
        Assert.Multiple(() =>
        {
            Assert.That(ClientFrames.TryReadWelcome([[], Header, [ZgClient.Hello], welcome, [1, 2]], out var w, out var ticket), Is.True);
            Assert.That(w.Session, Is.EqualTo(5UL));
            Assert.That(ticket, Is.EqualTo(new byte[] { 1, 2 }));
            Assert.That(ClientFrames.TryReadWelcome([[], Header, [ZgClient.Hello], welcome, new byte[ClientFrames.MaxTicketBytes + 1]], out _, out var tooLong), Is.True);
            Assert.That(tooLong, Is.Null);
            Assert.That(ClientFrames.TryReadWelcome([[], Header, [ZgClient.Hello]], out _, out _), Is.False, "no welcome map");
        });
    }

    [Test]
    public void TryReadClosed_ReasonAndOptionalText()
    {
        Assert.Multiple(() =>
        {
            Assert.That(ClientFrames.TryReadClosed([[], Header, [ZgClient.Close], [(byte)SessionCloseReason.Kicked]], out var reason, out var text), Is.True);
            Assert.That(reason, Is.EqualTo(SessionCloseReason.Kicked));
            Assert.That(text, Is.Empty);
            Assert.That(ClientFrames.TryReadClosed([[], Header, [ZgClient.Close], [(byte)SessionCloseReason.Expired], "idle"u8.ToArray()], out _, out var said), Is.True);
            Assert.That(said, Is.EqualTo("idle"));
            Assert.That(ClientFrames.TryReadClosed([[], Header, [ZgClient.Close], [1, 2]], out _, out _), Is.False, "two-byte reason");
        });
    }

    [Test]
    public void TryReadReply_PayloadMissing_IsEmpty()
    {
        var header = new ReplyHeader(4, Status.Ok).ToArray();
        var payload = new byte[] { 7 };
        Assert.Multiple(() =>
        {
            Assert.That(ClientFrames.TryReadReply([[], Header, [ZgClient.Reply], header], out var read, out var none), Is.True);
            Assert.That(read.RequestId, Is.EqualTo(4UL));
            Assert.That(none, Is.Empty);
            Assert.That(ClientFrames.TryReadReply([[], Header, [ZgClient.Reply], header, payload], out _, out var some), Is.True);
            Assert.That(some, Is.SameAs(payload));
            Assert.That(ClientFrames.TryReadReply([[], Header, [ZgClient.Reply], [1, 2]], out _, out _), Is.False, "bad reply header");
        });
    }

    [Test]
    public void TryReadPush_CommandAndOptionalPayload()
    {
        var header = new PushHeader(42).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(ClientFrames.TryReadPush([[], Header, [ZgClient.Push], header], out var read, out var none), Is.True);
            Assert.That(read.Command, Is.EqualTo(42));
            Assert.That(none, Is.Empty);
            Assert.That(ClientFrames.TryReadPush([[], Header, [ZgClient.Push], header, [5]], out _, out var some), Is.True);
            Assert.That(some, Is.EqualTo(new byte[] { 5 }));
            Assert.That(ClientFrames.TryReadPush([[], Header, [ZgClient.Push]], out _, out _), Is.False, "no push header");
        });
    }
}
