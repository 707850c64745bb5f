using ZmqGame.Protocol;

namespace ZmqGame.Tests.Protocol;

[TestFixture]
public sealed class ZgWorkerCodecTests
{
    [Test]
    public void Action_WithPayload_RoundTrips()
    {
        var writer = new RecordingWriter();
        var args = new ActionArgs { Session = 5, Command = 3 }.Serialize();
        var payload = "push-body"u8.ToArray();
        ZgWorker.WriteAction(writer, RecordingWriter.Ascii(SessionActions.Push), args, payload);

        writer.AssertWellFormed();
        Assert.That(writer.Frames[1], Is.EqualTo("ZGW01"u8.ToArray()));
        Assert.That(writer.Written.All(w => w.Constant), Is.True, "every frame is handed over, none copied");
        Assert.That(ZgWorker.TryReadAction(writer.Read, out var action), Is.True);
        Assert.That(writer.Frames[ZgWorker.ActionIndex], Is.EqualTo("push"u8.ToArray()));
        Assert.That(action.HasArguments, Is.True);
        Assert.That(ActionArgs.TryParse(writer.Frames[ZgWorkerAction.ArgumentsIndex], out var parsed, out _), Is.True);
        Assert.That(parsed.Command, Is.EqualTo(3));
        Assert.That(action.PayloadCount, Is.EqualTo(1));
        Assert.That(writer.Frames[ZgWorkerAction.PayloadStart], Is.SameAs(payload));
    }

    [Test]
    public void Action_WithoutPayload_HasNoPayloadFrames()
    {
        var writer = new RecordingWriter();
        ZgWorker.WriteAction(writer, RecordingWriter.Ascii(SessionActions.Unbind), new ActionArgs { Session = 5 }.Serialize(), null);

        writer.AssertWellFormed();
        Assert.That(writer.Frames, Has.Count.EqualTo(4));
        Assert.That(ZgWorker.TryReadAction(writer.Read, out var action), Is.True);
        Assert.That(action.PayloadCount, Is.Zero);
    }

    [Test]
    public void Action_MissingArguments_ReadsWithoutArguments()
    {
        byte[][] frames = [[], "ZGW01"u8.ToArray(), "kick"u8.ToArray()];
        Assert.That(ZgWorker.TryReadAction(new ListFrames(frames), out var action), Is.True);
        Assert.That(action.HasArguments, Is.False);
        Assert.That(action.PayloadCount, Is.Zero);
    }

    private static readonly byte[][][] Malformed =
    [
        [],
        [[], "ZGW01"u8.ToArray()],
        [[0], "ZGW01"u8.ToArray(), "kick"u8.ToArray()],
        [[], "MDPW01"u8.ToArray(), "kick"u8.ToArray()],
        [[], "ZGW0"u8.ToArray(), "kick"u8.ToArray()],
    ];

    [TestCaseSource(nameof(Malformed))]
    public void TryReadAction_Malformed_ReturnsFalse(byte[][] frames)
    {
        Assert.That(ZgWorker.TryReadAction(new ListFrames(frames), out _), Is.False);
    }
}
