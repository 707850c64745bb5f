namespace ZmqGame.Transport;

/// <summary>
/// One received multipart message as reusable <see cref="Frame"/>s: no allocation per message. The broker's own
/// transport fills it with frames borrowed from its read buffer; the NetMQ router moves in frames made from NetMQ's.
/// Frames can be moved out (to a pending request, copied if borrowed) or sent on.
/// </summary>
internal sealed class FrameBuffer
{
    /// <summary>Most frames a message may have; more is bad input.</summary>
    public const int MaxFrames = 32;

    private readonly Frame[] _frames = new Frame[MaxFrames];

    public int Count { get; private set; }

    /// <summary>The message had more than <see cref="MaxFrames"/> frames; the rest were discarded.</summary>
    public bool Overflow { get; private set; }

    /// <summary>
    /// 0 for a whole message. Else the message was over the endpoint's size limit and was skipped: the frames here are
    /// only its first ones within the limit (maybe none), and this is the size of all its frame bodies together.
    /// </summary>
    public long TruncatedSize { get; private set; }

    public ref Frame this[int index] => ref _frames[index];

    public ReadOnlySpan<byte> Span(int index) => _frames[index].Span;

    public int Size(int index) => _frames[index].Length;

    /// <summary>Starts a message from a peer: the routing identity, referenced (not copied); frames follow with <see cref="Add(ReadOnlySpan{byte})"/>.</summary>
    public void Begin(byte[] identity)
    {
        Count = 1;
        Overflow = false;
        TruncatedSize = 0;
        _frames[0].InitShared(identity);
    }

    /// <summary>Starts an empty message; frames follow with <see cref="Add(ref Frame)"/>.</summary>
    public void Start()
    {
        Count = 0;
        Overflow = false;
        TruncatedSize = 0;
    }

    /// <summary>The sender's message was over the size limit: these are its first frames, and its whole size was <paramref name="size"/>.</summary>
    public void MarkTruncated(long size) => TruncatedSize = size;

    /// <summary>The sender's message had more frames than were kept.</summary>
    public void MarkOverflow() => Overflow = true;

    /// <summary>Appends a copy of one received frame; past <see cref="MaxFrames"/> the frame is dropped and <see cref="Overflow"/> set.</summary>
    public void Add(ReadOnlySpan<byte> frame)
    {
        if (Count == MaxFrames)
        {
            Overflow = true;
            return;
        }

        _frames[Count++].InitCopy(frame);
    }

    /// <summary>
    /// Appends a frame that refers to <paramref name="buffer"/> without copying: valid only until <see cref="Clear"/>
    /// (the transport reuses the buffer). <see cref="MoveTo"/> copies such frames; nothing else may keep them.
    /// </summary>
    public void AddBorrowed(byte[] buffer, int offset, int count)
    {
        if (Count == MaxFrames)
        {
            Overflow = true;
            return;
        }

        _frames[Count++].Borrow(buffer, offset, count);
    }

    /// <summary>Appends a frame by moving it (the source is left empty); past <see cref="MaxFrames"/> it is freed and <see cref="Overflow"/> set.</summary>
    public void Add(ref Frame frame)
    {
        if (Count == MaxFrames)
        {
            Overflow = true;
            frame.Close();
            return;
        }

        _frames[Count++].Move(ref frame);
    }

    /// <summary>Moves frames [from, Count) into <paramref name="destination"/> (borrowed ones as copies); returns how many.</summary>
    public int MoveTo(int from, Frame[] destination)
    {
        var n = 0;
        for (var i = from; i < Count; i++)
        {
            ref var frame = ref _frames[i];
            if (frame.Kind == FrameKind.Borrowed)
            {
                destination[n++].InitCopy(frame.Span);
            }
            else
            {
                destination[n++].Move(ref frame);
            }
        }

        return n;
    }

    /// <summary>Frees what was not moved or sent, ready for the next message.</summary>
    public void Clear()
    {
        for (var i = 0; i < Count; i++)
        {
            _frames[i].Close();
        }

        Count = 0;
    }
}
