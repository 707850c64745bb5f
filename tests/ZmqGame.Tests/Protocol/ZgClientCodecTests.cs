using System.Buffers.Binary;
using ZmqGame.Protocol;

namespace ZmqGame.Tests.Protocol;

[TestFixture]
public sealed class ZgClientCodecTests
{
    [Test]
    public void Request_WithoutSession_RoundTrips()
    {
        var writer = new RecordingWriter();
        var payload = "p"u8.ToArray();
        ZgClient.WriteRequest(writer, 0, RecordingWriter.Ascii("game"), new RequestHeader(11, 7, 500), payload);

        writer.AssertWellFormed();
        Assert.That(writer.Frames[1], Is.EqualTo("ZGC01"u8.ToArray()));
        Assert.That(ZgClient.TryReadCommand(writer.Read, out var command), Is.True);
        Assert.That(command, Is.EqualTo(ZgClient.Request));
        Assert.That(ZgClient.TryReadRequest(writer.Read, out var request), Is.True);
        Assert.That(request.SessionBound, Is.False);
        Assert.That(request.SessionId, Is.Zero);
        Assert.That(writer.Frames[request.ServiceIndex], Is.EqualTo("game"u8.ToArray()));
        Assert.That(request.Header, Is.EqualTo(new RequestHeader(11, 7, 500)));
        Assert.That(request.BodyCount, Is.EqualTo(2), "request header and payload");
        Assert.That(writer.Frames[request.BodyStart + 1], Is.SameAs(payload));
    }

    [Test]
    public void Request_InASession_IsASessionRequest()
    {
        var writer = new RecordingWriter();
        ZgClient.WriteRequest(writer, 0x0102030405060708, RecordingWriter.Ascii("game"), new RequestHeader(1, 2, 3), []);

        writer.AssertWellFormed();
        Assert.That(ZgClient.TryReadRequest(writer.Read, out var request), Is.True);
        Assert.That(request.SessionBound, Is.True);
        Assert.That(request.SessionId, Is.EqualTo(0x0102030405060708UL));
        Assert.That(writer.Frames[3][0], Is.EqualTo(0x01), "session id is big-endian");
        Assert.That(writer.Frames[request.ServiceIndex], Is.EqualTo("game"u8.ToArray()));
        Assert.That(request.Header.Command, Is.EqualTo(2));
    }

    [Test]
    public void Request_WithABadSessionIdOrHeader_ReturnsFalse()
    {
        var header = new RequestHeader(1, 2, 3).ToArray();
        byte[][] shortId = [[], "ZGC01"u8.ToArray(), [ZgClient.SessionRequest], [1, 2, 3], "game"u8.ToArray(), header];
        byte[][] badHeader = [[], "ZGC01"u8.ToArray(), [ZgClient.Request], "game"u8.ToArray(), new ReplyHeader(1, Status.Ok).ToArray()];
        byte[][] noHeader = [[], "ZGC01"u8.ToArray(), [ZgClient.Request], "game"u8.ToArray()];
        byte[][] notARequest = [[], "ZGC01"u8.ToArray(), [ZgClient.Hello], "game"u8.ToArray(), header];
        Assert.That(ZgClient.TryReadRequest(new ListFrames(shortId), out _), Is.False);
        Assert.That(ZgClient.TryReadRequest(new ListFrames(badHeader), out _), Is.False);
        Assert.That(ZgClient.TryReadRequest(new ListFrames(noHeader), out _), Is.False);
        Assert.That(ZgClient.TryReadRequest(new ListFrames(notARequest), out _), Is.False);
    }

    [Test]
    public void Hello_RoundTrips()
    {
        var writer = new RecordingWriter();
        ZgClient.WriteHello(writer, RecordingWriter.Ascii("lobby"), "ticket"u8.ToArray());

        writer.AssertWellFormed();
        Assert.That(ZgClient.TryReadHello(writer.Read, out var service, out var ticket), Is.True);
        Assert.That(writer.Frames[service], Is.EqualTo("lobby"u8.ToArray()));
        Assert.That(writer.Frames[ticket], Is.EqualTo("ticket"u8.ToArray()));
    }

    [Test]
    public void Hello_WithoutService_ReturnsFalse()
    {
        byte[][] frames = [[], "ZGC01"u8.ToArray(), [ZgClient.Hello]];
        Assert.That(ZgClient.TryReadHello(new ListFrames(frames), out _, out _), Is.False);
    }

    [Test]
    public void Welcome_ReadsItsMapAndOptionalTicket()
    {
        var map = new Welcome { Session = 5 }.Serialize();
        byte[][] withTicket = [[], "ZGC01"u8.ToArray(), [ZgClient.Hello], map, "ticket"u8.ToArray()];
        byte[][] withoutTicket = [[], "ZGC01"u8.ToArray(), [ZgClient.Hello], map];
        byte[][] withoutMap = [[], "ZGC01"u8.ToArray(), [ZgClient.Hello]];
        byte[][] notAWelcome = [[], "ZGC01"u8.ToArray(), [ZgClient.Push], map];

        Assert.That(ZgClient.TryReadWelcome(new ListFrames(withTicket), out var mapIndex, out var ticketIndex), Is.True);
        Assert.That(withTicket[mapIndex], Is.SameAs(map));
        Assert.That(withTicket[ticketIndex], Is.EqualTo("ticket"u8.ToArray()));
        Assert.That(ZgClient.TryReadWelcome(new ListFrames(withoutTicket), out _, out var noTicket), Is.True);
        Assert.That(noTicket, Is.EqualTo(-1));
        Assert.That(ZgClient.TryReadWelcome(new ListFrames(withoutMap), out _, out _), Is.False);
        Assert.That(ZgClient.TryReadWelcome(new ListFrames(notAWelcome), out _, out _), Is.False);
    }

    [TestCase(0UL)]
    [TestCase(77UL)]
    public void Heartbeat_NamesItsSession(ulong sessionId)
    {
        var writer = new RecordingWriter();
        ZgClient.WriteHeartbeat(writer, sessionId);

        writer.AssertWellFormed();
        Assert.That(ZgClient.TryReadCommand(writer.Read, out var command), Is.True);
        Assert.That(command, Is.EqualTo(ZgClient.Heartbeat));
        var index = ZgClient.BodyIndex(writer.Read);
        if (sessionId == 0)
        {
            Assert.That(index, Is.EqualTo(-1));
        }
        else
        {
            Assert.That(BinaryPrimitives.ReadUInt64BigEndian(writer.Frames[index]), Is.EqualTo(sessionId));
        }
    }

    [TestCase(ZgClient.Heartbeat)]
    [TestCase(ZgClient.NoSession)]
    [TestCase(ZgClient.Close)]
    public void Command_WithoutBody_IsThreeConstantFrames(byte command)
    {
        var writer = new RecordingWriter();
        ZgClient.WriteCommand(writer, command);

        writer.AssertWellFormed();
        Assert.That(writer.Frames, Has.Count.EqualTo(3));
        Assert.That(writer.Written.All(w => w.Constant), Is.True);
        Assert.That(ZgClient.TryReadCommand(writer.Read, out var read), Is.True);
        Assert.That(read, Is.EqualTo(command));
    }

    [Test]
    public void StatusReply_RoundTrips()
    {
        var writer = new RecordingWriter();
        ZgClient.WriteStatusReply(writer, new ReplyHeader(5, Status.Timeout), "timeout"u8);

        writer.AssertWellFormed();
        Assert.That(ZgClient.TryReadReply(writer.Read, out var header), Is.True);
        Assert.That(header, Is.EqualTo(new ReplyHeader(5, Status.Timeout)));
        Assert.That(writer.Frames[ZgClient.SecondBodyIndex(writer.Read)], Is.EqualTo("timeout"u8.ToArray()));
    }

    [Test]
    public void Push_ReadsItsHeaderAndPayload()
    {
        var writer = new RecordingWriter();
        ZgClient.WriteCommand(writer, ZgClient.Push, more: true);
        writer.Write(new PushHeader(42).ToArray(), more: true);
        writer.Write("body"u8, more: false);

        writer.AssertWellFormed();
        Assert.That(ZgClient.TryReadPush(writer.Read, out var header), Is.True);
        Assert.That(header.Command, Is.EqualTo(42));
        Assert.That(ZgClient.TryReadReply(writer.Read, out _), Is.False, "a PUSH is not a REPLY");
    }

    [Test]
    public void Closed_ReadsItsReason()
    {
        byte[][] frames = [[], "ZGC01"u8.ToArray(), [ZgClient.Close], [(byte)SessionCloseReason.Kicked], "bye"u8.ToArray()];
        Assert.That(ZgClient.TryReadClosed(new ListFrames(frames), out var reason), Is.True);
        Assert.That(reason, Is.EqualTo(SessionCloseReason.Kicked));
        byte[][] wide = [[], "ZGC01"u8.ToArray(), [ZgClient.Close], [1, 2]];
        Assert.That(ZgClient.TryReadClosed(new ListFrames(wide), out _), Is.False);
    }

    private static readonly byte[][][] Malformed =
    [
        [],
        [[], "ZGC01"u8.ToArray()],
        [[9], "ZGC01"u8.ToArray(), [ZgClient.Reply], new ReplyHeader(1, Status.Ok).ToArray()],
        [[], "MDPC01"u8.ToArray(), [ZgClient.Reply], new ReplyHeader(1, Status.Ok).ToArray()],
        [[], "ZGC01"u8.ToArray(), [], new ReplyHeader(1, Status.Ok).ToArray()],
        [[], "ZGC01"u8.ToArray(), [ZgClient.Reply, 0], new ReplyHeader(1, Status.Ok).ToArray()],
        [[], "ZGC01"u8.ToArray(), [ZgClient.Reply], new byte[12]],
        [[], "ZGC01"u8.ToArray(), [ZgClient.Reply]],
    ];

    [TestCaseSource(nameof(Malformed))]
    public void Reply_Malformed_ReturnsFalse(byte[][] frames)
    {
        Assert.That(ZgClient.TryReadReply(new ListFrames(frames), out _), Is.False);
        Assert.That(ZgClient.TryReadPush(new ListFrames(frames), out _), Is.False);
        Assert.That(ZgClient.TryReadRequest(new ListFrames(frames), out _), Is.False);
    }
}
