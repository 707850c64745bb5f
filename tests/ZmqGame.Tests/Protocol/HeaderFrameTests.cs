using ZmqGame.Protocol;

namespace ZmqGame.Tests.Protocol;

[TestFixture]
public sealed class HeaderFrameTests
{
    [Test]
    public void RequestHeader_RoundTrips()
    {
        var header = new RequestHeader(0x0102030405060708UL, -7, 1500);
        var bytes = header.ToArray();
        Assert.That(bytes, Has.Length.EqualTo(RequestHeader.Size));
        Assert.That(bytes[4], Is.EqualTo(0x01), "request id is big-endian");
        Assert.That(RequestHeader.TryRead(bytes, out var read), Is.True);
        Assert.That(read, Is.EqualTo(header));
    }

    [Test]
    public void ReplyHeader_RoundTrips()
    {
        var header = new ReplyHeader(42, Status.WorkerLost);
        Assert.That(ReplyHeader.TryRead(header.ToArray(), out var read), Is.True);
        Assert.That(read, Is.EqualTo(header));
    }

    [TestCase(new byte[0])]
    [TestCase(new byte[] { (byte)'Z', (byte)'G', 1, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0 })]
    [TestCase(new byte[] { (byte)'Z', (byte)'G', 9, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0 })]
    [TestCase(new byte[] { (byte)'Z', (byte)'G', 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0 })]
    public void RequestHeader_RejectsWrongFrames(byte[] frame)
    {
        Assert.That(RequestHeader.TryRead(frame, out _), Is.False);
    }

    [Test]
    public void ReplyHeader_RejectsRequestHeader()
    {
        Assert.That(ReplyHeader.TryRead(new RequestHeader(1, 1, 0).ToArray(), out _), Is.False);
    }
}
