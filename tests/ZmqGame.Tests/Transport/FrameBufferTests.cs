using ZmqGame.Transport;

namespace ZmqGame.Tests.Transport;

/// <summary>
/// A received message in a <see cref="FrameBuffer"/>: the identity referenced, borrowed frames copied when kept,
/// owned frames moved, and whatever is left freed by <see cref="FrameBuffer.Clear"/>.
/// </summary>
[TestFixture]
public sealed class FrameBufferTests
{
    [Test]
    public void Begin_ReferencesTheIdentity_AndAddBorrowedCopiesNothing()
    {
        var identity = "peer"u8.ToArray();
        var read = "..abcde.."u8.ToArray();
        var buffer = new FrameBuffer();

        buffer.Begin(identity);
        buffer.AddBorrowed(read, 2, 3);
        buffer.AddBorrowed(read, 5, 0);

        Assert.That(buffer.Count, Is.EqualTo(3));
        Assert.That(buffer[0].Kind, Is.EqualTo(FrameKind.Shared));
        Assert.That(buffer[0].Array, Is.SameAs(identity));
        Assert.That(buffer[1].Kind, Is.EqualTo(FrameKind.Borrowed));
        Assert.That(buffer[1].Array, Is.SameAs(read));
        Assert.That(buffer.Span(1).ToArray(), Is.EqualTo("abc"u8.ToArray()));
        Assert.That(buffer.Size(2), Is.EqualTo(0));
        buffer.Clear();
        Assert.That(buffer.Count, Is.EqualTo(0));
    }

    [Test]
    public void MoveTo_CopiesBorrowedFrames_SoTheyOutliveTheReadBuffer()
    {
        var read = "xyhello"u8.ToArray();
        var buffer = new FrameBuffer();
        buffer.Begin("peer"u8.ToArray());
        buffer.AddBorrowed(read, 2, 5);
        buffer.AddBorrowed(read, 0, 0);
        var kept = new Frame[FrameBuffer.MaxFrames];

        var n = buffer.MoveTo(1, kept);
        buffer.Clear();
        read.AsSpan().Clear();

        Assert.That(n, Is.EqualTo(2));
        Assert.That(kept[0].Kind, Is.EqualTo(FrameKind.Pooled));
        Assert.That(kept[0].Span.ToArray(), Is.EqualTo("hello"u8.ToArray()));
        Assert.That(kept[1].Kind, Is.EqualTo(FrameKind.Empty));
        kept[0].Close();
    }

    [Test]
    public void MoveTo_MovesOwnedFrames_WithoutACopy()
    {
        var shared = "constant"u8.ToArray();
        var buffer = new FrameBuffer();
        buffer.Start();
        var frame = default(Frame);
        frame.InitShared(shared);
        buffer.Add(ref frame);
        buffer.Add("copied"u8);
        var pooled = buffer[1].Array;
        var kept = new Frame[FrameBuffer.MaxFrames];

        var n = buffer.MoveTo(0, kept);

        Assert.That(frame.Kind, Is.EqualTo(FrameKind.Empty), "Add(ref) leaves the source empty");
        Assert.That(n, Is.EqualTo(2));
        Assert.That(kept[0].Array, Is.SameAs(shared));
        Assert.That(kept[1].Kind, Is.EqualTo(FrameKind.Pooled));
        Assert.That(kept[1].Array, Is.SameAs(pooled));
        Assert.That(buffer[0].Kind, Is.EqualTo(FrameKind.Empty), "a moved frame leaves the buffer");
        Assert.That(buffer[1].Kind, Is.EqualTo(FrameKind.Empty));
        buffer.Clear();
        Assert.That(kept[1].Span.ToArray(), Is.EqualTo("copied"u8.ToArray()), "clearing the buffer frees nothing that was moved out");
        kept[1].Close();
    }

    [Test]
    public void Add_PastMaxFrames_SetsOverflow_AndFreesTheFrame()
    {
        var buffer = new FrameBuffer();
        buffer.Start();
        for (var i = 0; i < FrameBuffer.MaxFrames; i++)
        {
            buffer.Add("f"u8);
        }

        var extra = default(Frame);
        extra.InitCopy("extra"u8);
        buffer.Add(ref extra);

        Assert.That(buffer.Count, Is.EqualTo(FrameBuffer.MaxFrames));
        Assert.That(buffer.Overflow, Is.True);
        Assert.That(extra.Kind, Is.EqualTo(FrameKind.Empty));
        buffer.Clear();
        buffer.Start();
        Assert.That(buffer.Overflow, Is.False, "a new message starts without overflow");
    }
}
