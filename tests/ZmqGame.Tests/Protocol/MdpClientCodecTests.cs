using ZmqGame.Protocol;

namespace ZmqGame.Tests.Protocol;

[TestFixture]
public sealed class MdpClientCodecTests
{
    [Test]
    public void Message_RoundTrips()
    {
        var writer = new RecordingWriter();
        byte[][] body = ["a"u8.ToArray(), "b"u8.ToArray()];
        MdpClient.WriteMessage(writer, "echo"u8, body);

        writer.AssertWellFormed();
        Assert.That(writer.Frames[1], Is.EqualTo("MDPC01"u8.ToArray()));
        Assert.That(MdpClient.TryRead(writer.Read, out var message), Is.True);
        Assert.That(message.IsMmi, Is.False);
        Assert.That(writer.Frames[MdpClient.ServiceIndex], Is.EqualTo("echo"u8.ToArray()));
        Assert.That(message.BodyCount, Is.EqualTo(2));
        Assert.That(writer.Frames[MdpClient.BodyStart + 1], Is.SameAs(body[1]));
    }

    [Test]
    public void Head_WithConstantService_ReferencesIt()
    {
        var writer = new RecordingWriter();
        var service = "echo"u8.ToArray();
        MdpClient.WriteHead(writer, service, more: false);

        writer.AssertWellFormed();
        Assert.That(writer.Written[^1].Frame, Is.SameAs(service));
        Assert.That(MdpClient.TryRead(writer.Read, out var message), Is.True);
        Assert.That(message.BodyCount, Is.Zero);
    }

    [TestCase(0, "200")]
    [TestCase(1, "404")]
    [TestCase(2, "501")]
    public void MmiAnswer_CarriesItsCode(int answerValue, string code)
    {
        var answer = (MmiAnswer)answerValue;
        var writer = new RecordingWriter();
        MdpClient.WriteMmiAnswer(writer, "mmi.service"u8, answer);

        writer.AssertWellFormed();
        Assert.That(MdpClient.TryRead(writer.Read, out var message), Is.True);
        Assert.That(message.IsMmi, Is.True);
        Assert.That(System.Text.Encoding.ASCII.GetString(writer.Frames[MdpClient.BodyStart]), Is.EqualTo(code));
    }

    [Test]
    public void MmiServiceQuery_FindsTheName()
    {
        var writer = new RecordingWriter();
        MdpClient.WriteMessage(writer, "mmi.service"u8, ["echo"u8.ToArray()]);
        Assert.That(MdpClient.IsMmiServiceQuery(writer.Read, out var name), Is.True);
        Assert.That(writer.Frames[name], Is.EqualTo("echo"u8.ToArray()));

        var other = new RecordingWriter();
        MdpClient.WriteMessage(other, "mmi.other"u8, []);
        Assert.That(MdpClient.TryRead(other.Read, out var message), Is.True);
        Assert.That(message.IsMmi, Is.True);
        Assert.That(MdpClient.IsMmiServiceQuery(other.Read, out _), Is.False);

        var nameless = new RecordingWriter();
        MdpClient.WriteMessage(nameless, "mmi.service"u8, []);
        Assert.That(MdpClient.IsMmiServiceQuery(nameless.Read, out var missing), Is.True);
        Assert.That(missing, Is.EqualTo(-1));
    }

    private static readonly byte[][][] Malformed =
    [
        [],
        [[], "MDPC01"u8.ToArray()],
        [[1], "MDPC01"u8.ToArray(), "echo"u8.ToArray()],
        [[], "ZGC01"u8.ToArray(), "echo"u8.ToArray()],
        [[], "MDPC0"u8.ToArray(), "echo"u8.ToArray()],
    ];

    [TestCaseSource(nameof(Malformed))]
    public void Malformed_ReturnsFalse(byte[][] frames)
    {
        Assert.That(MdpClient.TryRead(new ListFrames(frames), out _), Is.False);
        Assert.That(MdpClient.IsMmiServiceQuery(new ListFrames(frames), out _), Is.False);
    }
}
