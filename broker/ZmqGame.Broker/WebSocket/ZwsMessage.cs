namespace ZmqGame.Broker.WebSocket;

/// <summary>
/// One message received on a WebSocket connection: its frames (pooled copies, owned here until moved into the broker's
/// <see cref="FrameBuffer"/>), and, when it was over the size limit, its whole size (only its first frames within the
/// limit are kept, as the TCP transports do).
/// </summary>
internal sealed class ZwsMessage
{
    public Frame[] Frames { get; } = new Frame[FrameBuffer.MaxFrames];

    public int Count { get; private set; }

    /// <summary>Bytes of frame bodies so far.</summary>
    public long Size { get; private set; }

    /// <summary>More than <see cref="FrameBuffer.MaxFrames"/> frames came; the rest were dropped.</summary>
    public bool Overflow { get; private set; }

    /// <summary>The message went over the size limit: frames after it are counted, not kept.</summary>
    public bool Truncated { get; private set; }

    /// <summary>Adds a frame's body: kept (copied) while the message is within <paramref name="limit"/> bytes, else only counted.</summary>
    public void Add(ReadOnlySpan<byte> body, long bodySize, long limit)
    {
        Size += bodySize;
        if (Truncated || Size > limit)
        {
            Truncated = true;
            return;
        }

        if (Count == FrameBuffer.MaxFrames)
        {
            Overflow = true;
            return;
        }

        Frames[Count++].InitCopy(body);
    }

    /// <summary>Frees the frames not moved on and makes the message empty, to be used again.</summary>
    public void Reset()
    {
        Release();
        Size = 0;
        Overflow = false;
        Truncated = false;
    }

    /// <summary>Frees the frames not moved on.</summary>
    public void Release()
    {
        for (var i = 0; i < Count; i++)
        {
            Frames[i].Close();
        }

        Count = 0;
    }
}
