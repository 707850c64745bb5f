using System.Buffers;
using ZmqGame.Transport;

namespace ZmqGame.Tests.Transport;

/// <summary>Who owns a <see cref="Frame"/>'s bytes, and what moving and closing one does with them.</summary>
[TestFixture]
public sealed class FrameTests
{
    [Test]
    public void Default_IsEmpty()
    {
        var frame = default(Frame);

        Assert.That(frame.Kind, Is.EqualTo(FrameKind.Empty));
        Assert.That(frame.Array, Is.Null);
        Assert.That(frame.Span.IsEmpty, Is.True);
        frame.Close();
        Assert.That(frame.Kind, Is.EqualTo(FrameKind.Empty));
    }

    [Test]
    public void InitPooled_RentsAtLeastTheLength_AndExposesExactlyIt()
    {
        var frame = default(Frame);
        frame.InitPooled(5);
        "hello"u8.CopyTo(frame.Slice());

        Assert.That(frame.Kind, Is.EqualTo(FrameKind.Pooled));
        Assert.That(frame.Array!, Has.Length.GreaterThanOrEqualTo(5));
        Assert.That(frame.Span.ToArray(), Is.EqualTo("hello"u8.ToArray()));
        frame.Close();
    }

    [Test]
    public void InitPooled_ZeroLength_IsEmptyAndRentsNothing()
    {
        var frame = default(Frame);
        frame.InitPooled(0);

        Assert.That(frame.Kind, Is.EqualTo(FrameKind.Empty));
        Assert.That(frame.Array, Is.Null);
    }

    [Test]
    public void Close_Pooled_ReturnsTheArrayToThePoolOnce()
    {
        // A size of its own, so the pool's per-thread slot for it holds only what this test puts there.
        const int size = 3001;
        var frame = default(Frame);
        frame.InitPooled(size);
        var array = frame.Array!;

        frame.Close();
        frame.Close();

        Assert.That(frame.Kind, Is.EqualTo(FrameKind.Empty));
        Assert.That(frame.Array, Is.Null);
        var first = ArrayPool<byte>.Shared.Rent(size);
        var second = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            Assert.That(first, Is.SameAs(array), "closing returns the array to the pool");
            Assert.That(second, Is.Not.SameAs(array), "closing twice returns it only once");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(second);
            ArrayPool<byte>.Shared.Return(first);
        }
    }

    [Test]
    public void Move_TakesTheContents_AndLeavesTheSourceEmpty()
    {
        var source = default(Frame);
        source.InitCopy("abc"u8);
        var array = source.Array;
        var destination = default(Frame);

        destination.Move(ref source);

        Assert.That(source.Kind, Is.EqualTo(FrameKind.Empty));
        Assert.That(source.Array, Is.Null);
        Assert.That(destination.Kind, Is.EqualTo(FrameKind.Pooled));
        Assert.That(destination.Array, Is.SameAs(array));
        Assert.That(destination.Span.ToArray(), Is.EqualTo("abc"u8.ToArray()));
        destination.Close();
    }

    [Test]
    public void Move_ClosesWhatTheDestinationHeld()
    {
        const int size = 3003;
        var destination = default(Frame);
        destination.InitPooled(size);
        var old = destination.Array!;
        var source = default(Frame);
        source.InitShared("x"u8.ToArray());

        destination.Move(ref source);

        Assert.That(destination.Kind, Is.EqualTo(FrameKind.Shared));
        var rented = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            Assert.That(rented, Is.SameAs(old), "the destination's pooled array went back to the pool");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    [Test]
    public void InitShared_ReferencesTheArray_AndCloseLetsItGo()
    {
        var array = "0123456789"u8.ToArray();
        var frame = default(Frame);
        frame.InitShared(array, 2, 3);

        Assert.That(frame.Kind, Is.EqualTo(FrameKind.Shared));
        Assert.That(frame.Array, Is.SameAs(array));
        Assert.That(frame.Offset, Is.EqualTo(2));
        Assert.That(frame.Length, Is.EqualTo(3));
        Assert.That(frame.Span.ToArray(), Is.EqualTo("234"u8.ToArray()));
        frame.Close();
        Assert.That(frame.Kind, Is.EqualTo(FrameKind.Empty));
        Assert.That(array, Is.EqualTo("0123456789"u8.ToArray()));
    }

    [Test]
    public void Borrow_IsASliceOfTheBuffer_NotACopy()
    {
        var buffer = "0123456789"u8.ToArray();
        var frame = default(Frame);
        frame.Borrow(buffer, 4, 2);

        Assert.That(frame.Kind, Is.EqualTo(FrameKind.Borrowed));
        buffer[4] = (byte)'x';
        Assert.That(frame.Span.ToArray(), Is.EqualTo("x5"u8.ToArray()));
        frame.Close();
        Assert.That(frame.Kind, Is.EqualTo(FrameKind.Empty));
    }

    [Test]
    public void ZeroLengthSharedOrBorrowed_IsEmpty()
    {
        var frame = default(Frame);
        frame.InitShared([]);
        Assert.That(frame.Kind, Is.EqualTo(FrameKind.Empty));
        frame.Borrow(new byte[8], 3, 0);
        Assert.That(frame.Kind, Is.EqualTo(FrameKind.Empty));
        frame.InitCopy([]);
        Assert.That(frame.Kind, Is.EqualTo(FrameKind.Empty));
    }
}
