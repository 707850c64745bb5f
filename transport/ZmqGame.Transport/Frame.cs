using System.Buffers;

namespace ZmqGame.Transport;

/// <summary>Who owns the bytes of a <see cref="Frame"/>, and so what <see cref="Frame.Close"/> does with them.</summary>
internal enum FrameKind : byte
{
    /// <summary>No bytes (a zero-length frame); also what <c>default</c> is.</summary>
    Empty,

    /// <summary>An array rented from <see cref="ArrayPool{T}.Shared"/> for this frame: returned on <see cref="Frame.Close"/>.</summary>
    Pooled,

    /// <summary>An array nobody changes any more (a constant, or one handed over for good): referenced, never returned.</summary>
    Shared,

    /// <summary>
    /// A slice of a transport's read buffer: valid only until the <see cref="FrameBuffer"/> holding it is cleared.
    /// Whatever keeps or hands it to another thread copies it.
    /// </summary>
    Borrowed,
}

/// <summary>
/// One frame of a message as the broker's transports hold it: a slice of an array and who owns the array. Like a
/// NetMQ <c>Msg</c> it is a mutable struct used by reference (<see cref="Move"/> hands it on, <see cref="Close"/> frees
/// it), so a message costs no allocation once the pool is warm; unlike one, it says whether its bytes are borrowed.
/// <c>default</c> is an empty frame. A copy of the struct shares the array: only one copy may be closed or moved.
/// </summary>
internal struct Frame
{
    /// <summary>What the frame's bytes are and who frees them.</summary>
    public FrameKind Kind { readonly get; private set; }

    /// <summary>The array holding the bytes; null when <see cref="FrameKind.Empty"/>.</summary>
    public byte[]? Array { readonly get; private set; }

    /// <summary>Where the bytes start in <see cref="Array"/>.</summary>
    public int Offset { readonly get; private set; }

    /// <summary>How many bytes the frame has.</summary>
    public int Length { readonly get; private set; }

    /// <summary>The frame's bytes.</summary>
    public readonly ReadOnlySpan<byte> Span => Slice();

    /// <summary>The frame's bytes, writable (for filling a frame just made with <see cref="InitPooled"/>).</summary>
    public readonly Span<byte> Slice() => Array is null ? default : Array.AsSpan(Offset, Length);

    /// <summary>Makes the frame empty, without freeing what it held (use <see cref="Close"/> for that).</summary>
    public void InitEmpty() => this = default;

    /// <summary>A frame of <paramref name="length"/> bytes in an array rented from the shared pool (empty when 0); fill it through <see cref="Slice"/>.</summary>
    public void InitPooled(int length)
    {
        if (length == 0)
        {
            this = default;
            return;
        }

        Set(FrameKind.Pooled, ArrayPool<byte>.Shared.Rent(length), 0, length);
    }

    /// <summary>A pooled frame holding a copy of <paramref name="bytes"/> (empty when they are).</summary>
    public void InitCopy(ReadOnlySpan<byte> bytes)
    {
        InitPooled(bytes.Length);
        bytes.CopyTo(Slice());
    }

    /// <summary>A frame referencing all of <paramref name="array"/>, which nobody changes afterwards.</summary>
    public void InitShared(byte[] array) => InitShared(array, 0, array.Length);

    /// <summary>A frame referencing part of <paramref name="array"/>, which nobody changes afterwards.</summary>
    public void InitShared(byte[] array, int offset, int length) =>
        Set(length == 0 ? FrameKind.Empty : FrameKind.Shared, length == 0 ? null : array, offset, length);

    /// <summary>A frame referencing part of a read buffer that will be reused: valid until the buffer holding it is cleared.</summary>
    public void Borrow(byte[] buffer, int offset, int length) =>
        Set(length == 0 ? FrameKind.Empty : FrameKind.Borrowed, length == 0 ? null : buffer, offset, length);

    /// <summary>Frees what this frame held, then takes <paramref name="source"/>'s contents; <paramref name="source"/> is left empty.</summary>
    public void Move(ref Frame source)
    {
        Close();
        this = source;
        source = default;
    }

    /// <summary>Returns a pooled array to the pool (once: the frame is left empty); other kinds are just let go.</summary>
    public void Close()
    {
        if (Kind == FrameKind.Pooled)
        {
            ArrayPool<byte>.Shared.Return(Array!);
        }

        this = default;
    }

    private void Set(FrameKind kind, byte[]? array, int offset, int length)
    {
        Kind = kind;
        Array = array;
        Offset = offset;
        Length = length;
    }
}
