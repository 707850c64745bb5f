using ZmqGame.Protocol;

namespace ZmqGame.Tests.Protocol;

[TestFixture]
public sealed class ControlCodecTests
{
    [Test]
    public void Command_WithArguments_RoundTrips()
    {
        var writer = new RecordingWriter();
        byte[][] arguments = ["args"u8.ToArray(), "payload"u8.ToArray()];
        Control.WriteCommand(writer, RecordingWriter.Ascii("push"), arguments);

        writer.AssertWellFormed();
        Assert.That(writer.Frames[1], Is.EqualTo("ZGT01"u8.ToArray()));
        Assert.That(Control.TryReadCommand(writer.Read, out var command), Is.True);
        Assert.That(writer.Frames[Control.CommandIndex], Is.EqualTo("push"u8.ToArray()));
        Assert.That(command.ArgumentCount, Is.EqualTo(2));
        Assert.That(writer.Frames[ControlCommand.ArgumentStart + 1], Is.SameAs(arguments[1]));
    }

    [Test]
    public void Command_WithoutArguments_EndsAtTheCommand()
    {
        var writer = new RecordingWriter();
        Control.WriteCommand(writer, RecordingWriter.Ascii(Control.Stats), []);

        writer.AssertWellFormed();
        Assert.That(Control.TryReadCommand(writer.Read, out var command), Is.True);
        Assert.That(command.ArgumentCount, Is.Zero);
        Assert.That(Control.TryReadAnswer(writer.Read, out _), Is.False, "three frames are not an answer");
    }

    [Test]
    public void Answer_RoundTrips()
    {
        var writer = new RecordingWriter();
        var result = "result-map"u8.ToArray();
        Control.WriteAnswer(writer, "stats"u8, result);

        writer.AssertWellFormed();
        Assert.That(Control.TryReadAnswer(writer.Read, out var resultIndex), Is.True);
        Assert.That(writer.Frames[Control.CommandIndex], Is.EqualTo("stats"u8.ToArray()));
        Assert.That(writer.Frames[resultIndex], Is.SameAs(result));
        Assert.That(Control.IsAnswer(writer.Frames), Is.True);
    }

    private static readonly byte[][][] Malformed =
    [
        [],
        [[], "ZGT01"u8.ToArray()],
        [[1], "ZGT01"u8.ToArray(), "stats"u8.ToArray(), [0x80]],
        [[], "ZGC01"u8.ToArray(), "stats"u8.ToArray(), [0x80]],
    ];

    [TestCaseSource(nameof(Malformed))]
    public void Malformed_ReturnsFalse(byte[][] frames)
    {
        Assert.That(Control.TryReadCommand(new ListFrames(frames), out _), Is.False);
        Assert.That(Control.TryReadAnswer(new ListFrames(frames), out _), Is.False);
        Assert.That(Control.IsAnswer(frames), Is.False);
    }

    [Test]
    public void Answer_WithAnExtraFrame_IsNotAnAnswer()
    {
        byte[][] frames = [[], "ZGT01"u8.ToArray(), "stats"u8.ToArray(), [0x80], [0x80]];
        Assert.That(Control.TryReadAnswer(new ListFrames(frames), out _), Is.False);
        Assert.That(Control.TryReadCommand(new ListFrames(frames), out var command), Is.True, "but it reads as a command with two arguments");
        Assert.That(command.ArgumentCount, Is.EqualTo(2));
    }
}
