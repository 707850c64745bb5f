using ZmqGame.Protocol;

namespace ZmqGame.Tests.Protocol;

[TestFixture]
public sealed class MdpWorkerCodecTests
{
    [Test]
    public void Ready_WithInfo_RoundTrips()
    {
        var writer = new RecordingWriter();
        var info = new WorkerInfo("1.2.3", [7]).Serialize();
        MdpWorker.WriteReady(writer, RecordingWriter.Ascii("game"), info);

        writer.AssertWellFormed();
        Assert.That(writer.Frames.Select(f => f.Length).Take(3), Is.EqualTo(new[] { 0, 6, 1 }));
        Assert.That(writer.Frames[1], Is.EqualTo("MDPW01"u8.ToArray()));
        Assert.That(writer.Written.Take(3).All(w => w.Constant), Is.True, "header and command are constant frames");
        Assert.That(MdpWorker.TryReadReady(writer.Read, out var ready), Is.True);
        Assert.That(writer.Frames[MdpWorkerReady.ServiceIndex], Is.EqualTo("game"u8.ToArray()));
        Assert.That(ready.InfoIndex, Is.EqualTo(4));
        Assert.That(WorkerInfo.TryParse(writer.Frames[ready.InfoIndex], out var parsed), Is.True);
        Assert.That(parsed.Version, Is.EqualTo("1.2.3"));
    }

    [Test]
    public void Ready_WithoutInfo_HasNoInfoIndex()
    {
        var writer = new RecordingWriter();
        MdpWorker.WriteReady(writer, RecordingWriter.Ascii("game"), null);

        writer.AssertWellFormed();
        Assert.That(writer.Frames, Has.Count.EqualTo(4));
        Assert.That(MdpWorker.TryReadReady(writer.Read, out var ready), Is.True);
        Assert.That(ready.InfoIndex, Is.EqualTo(-1));
    }

    [Test]
    public void Reply_RoundTrips_WithBodyHandedOver()
    {
        var writer = new RecordingWriter();
        var body = new[] { new ReplyHeader(9, Status.Ok).ToArray(), "payload"u8.ToArray() };
        MdpWorker.WriteReply(writer, "client-1"u8, body);

        writer.AssertWellFormed();
        Assert.That(writer.Written[^1].Frame, Is.SameAs(body[1]), "body frames are referenced, not copied");
        Assert.That(MdpWorker.TryReadCommand(writer.Read, out var command), Is.True);
        Assert.That(command, Is.EqualTo(Mdp.Reply));
        Assert.That(MdpWorker.TryReadEnvelope(writer.Read, Mdp.Reply, out var reply), Is.True);
        Assert.That(writer.Frames[MdpWorkerEnvelope.ClientIndex], Is.EqualTo("client-1"u8.ToArray()));
        Assert.That(reply.BodyCount, Is.EqualTo(2));
        Assert.That(writer.Frames[MdpWorkerEnvelope.BodyStart], Is.EqualTo(body[0]));
        Assert.That(MdpWorker.TryReadEnvelope(writer.Read, Mdp.Request, out _), Is.False, "a REPLY is not a REQUEST");
    }

    [Test]
    public void RequestHead_ThenBody_ReadsAsRequest()
    {
        var writer = new RecordingWriter();
        MdpWorker.WriteRequestHead(writer, "client-2"u8, more: true);
        writer.Write("body"u8, more: false);

        writer.AssertWellFormed();
        Assert.That(MdpWorker.TryReadEnvelope(writer.Read, Mdp.Request, out var request), Is.True);
        Assert.That(request.BodyCount, Is.EqualTo(1));
        Assert.That(writer.Frames[MdpWorkerEnvelope.ClientIndex], Is.EqualTo("client-2"u8.ToArray()));
    }

    [Test]
    public void RequestHead_WithoutBody_ReadsAsEmptyRequest()
    {
        var writer = new RecordingWriter();
        MdpWorker.WriteRequestHead(writer, "c"u8, more: false);

        writer.AssertWellFormed();
        Assert.That(MdpWorker.TryReadEnvelope(writer.Read, Mdp.Request, out var request), Is.True);
        Assert.That(request.BodyCount, Is.Zero);
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Heartbeat_SaysWhetherDraining(bool draining)
    {
        var writer = new RecordingWriter();
        MdpWorker.WriteHeartbeat(writer, draining);

        writer.AssertWellFormed();
        Assert.That(MdpWorker.TryReadCommand(writer.Read, out var command), Is.True);
        Assert.That(command, Is.EqualTo(Mdp.Heartbeat));
        Assert.That(MdpWorker.IsDraining(writer.Read), Is.EqualTo(draining));
    }

    [Test]
    public void Disconnect_IsThreeFrames()
    {
        var writer = new RecordingWriter();
        MdpWorker.WriteDisconnect(writer);

        writer.AssertWellFormed();
        Assert.That(writer.Frames, Has.Count.EqualTo(3));
        Assert.That(MdpWorker.TryReadCommand(writer.Read, out var command), Is.True);
        Assert.That(command, Is.EqualTo(Mdp.Disconnect));
    }

    [Test]
    public void FrameListWriter_BuildsTheSameFrames()
    {
        var list = new List<byte[]>();
        var body = new[] { "x"u8.ToArray() };
        MdpWorker.WriteReply(new FrameListWriter(list), "c"u8, body);

        Assert.That(list.Select(f => f.Length), Is.EqualTo(new[] { 0, 6, 1, 1, 0, 1 }));
        Assert.That(list[^1], Is.SameAs(body[0]));
        var other = new List<byte[]>();
        MdpWorker.WriteDisconnect(new FrameListWriter(other));
        Assert.That(other[1], Is.SameAs(list[1]), "the header is one shared array, not a copy per message");
    }

    private static readonly byte[][][] Malformed =
    [
        [],
        [[]],
        [[], "MDPW01"u8.ToArray()],
        [[1], "MDPW01"u8.ToArray(), [Mdp.Heartbeat]],
        [[], "MDPW02"u8.ToArray(), [Mdp.Heartbeat]],
        [[], "MDPC01"u8.ToArray(), [Mdp.Heartbeat]],
        [[], "MDPW01"u8.ToArray(), []],
        [[], "MDPW01"u8.ToArray(), [Mdp.Heartbeat, 0]],
    ];

    [TestCaseSource(nameof(Malformed))]
    public void TryReadCommand_Malformed_ReturnsFalse(byte[][] frames)
    {
        Assert.That(MdpWorker.TryReadCommand(new ListFrames(frames), out _), Is.False);
        Assert.That(MdpWorker.TryReadReady(new ListFrames(frames), out _), Is.False);
        Assert.That(MdpWorker.IsDraining(new ListFrames(frames)), Is.False);
    }

    [Test]
    public void Envelope_MissingOrNonEmptyDelimiter_ReturnsFalse()
    {
        byte[][] missing = [[], "MDPW01"u8.ToArray(), [Mdp.Request], "client"u8.ToArray()];
        byte[][] notEmpty = [[], "MDPW01"u8.ToArray(), [Mdp.Request], "client"u8.ToArray(), [0]];
        Assert.That(MdpWorker.TryReadEnvelope(new ListFrames(missing), Mdp.Request, out _), Is.False);
        Assert.That(MdpWorker.TryReadEnvelope(new ListFrames(notEmpty), Mdp.Request, out _), Is.False);
    }

    [Test]
    public void Ready_WithoutService_ReturnsFalse()
    {
        byte[][] frames = [[], "MDPW01"u8.ToArray(), [Mdp.Ready]];
        Assert.That(MdpWorker.TryReadCommand(new ListFrames(frames), out _), Is.True);
        Assert.That(MdpWorker.TryReadReady(new ListFrames(frames), out _), Is.False);
    }

    [Test]
    public void ListFrames_FromARouterList_SkipsTheIdentity()
    {
        byte[][] frames = ["peer"u8.ToArray(), [], "MDPW01"u8.ToArray(), [Mdp.Disconnect]];
        var read = new ListFrames(frames, start: 1);
        Assert.That(read.Count, Is.EqualTo(3));
        Assert.That(MdpWorker.TryReadCommand(read, out var command), Is.True);
        Assert.That(command, Is.EqualTo(Mdp.Disconnect));
    }
}
