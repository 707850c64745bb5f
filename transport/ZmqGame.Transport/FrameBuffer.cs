using NetMQ;

namespace ZmqGame.Transport;

/// <summary>
/// One received multipart message as reusable <see cref="Msg"/> frames: no allocation per message. The broker's own
/// transport fills it with frames that point into its read buffer; NetMQ endpoints move their frames in. Frames can
/// be moved out (to a pending request, copied if borrowed) or sent on.
/// </summary>
internal sealed class FrameBuffer
{
    /// <summary>Most frames a message may have; more is bad input.</summary>
    public const int MaxFrames = 32;

    private readonly Msg[] _frames = new Msg[MaxFrames];
    private bool _borrowed;

    public FrameBuffer()
    {
        for (var i = 0; i < MaxFrames; i++)
        {
            _frames[i].InitEmpty();
        }
    }

    public int Count { get; private set; }

    /// <summary>The message had more than <see cref="MaxFrames"/> frames; the rest were discarded.</summary>
    public bool Overflow { get; private set; }

    public ref Msg this[int index] => ref _frames[index];

    public ReadOnlySpan<byte> Span(int index) => _frames[index].Slice();

    public int Size(int index) => _frames[index].Size;

    /// <summary>Starts a message from a peer: the routing identity, referenced (not copied); frames follow with <see cref="Add(ReadOnlySpan{byte})"/>.</summary>
    public void Begin(byte[] identity)
    {
        Count = 1;
        Overflow = false;
        _borrowed = false;
        _frames[0].InitGC(identity, identity.Length);
    }

    /// <summary>Starts an empty message; frames follow with <see cref="Add(ref Msg)"/>.</summary>
    public void Start()
    {
        Count = 0;
        Overflow = false;
        _borrowed = false;
    }

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

        ref var msg = ref _frames[Count++];
        if (frame.IsEmpty)
        {
            msg.InitEmpty();
            return;
        }

        msg.InitPool(frame.Length);
        frame.CopyTo(msg.Slice());
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

        _borrowed = true;
        _frames[Count++].InitGC(buffer, offset, count);
    }

    /// <summary>Appends a frame by moving it (the source is left empty); past <see cref="MaxFrames"/> it is freed and <see cref="Overflow"/> set.</summary>
    public void Add(ref Msg frame)
    {
        if (Count == MaxFrames)
        {
            Overflow = true;
            frame.Close();
            frame.InitEmpty();
            return;
        }

        _frames[Count++].Move(ref frame);
    }

    /// <summary>Moves frames [from, Count) into <paramref name="destination"/> (borrowed ones as copies); returns how many.</summary>
    public int MoveTo(int from, Msg[] destination)
    {
        var n = 0;
        for (var i = from; i < Count; i++)
        {
            if (_borrowed)
            {
                ref var copy = ref destination[n++];
                var size = _frames[i].Size;
                if (size == 0)
                {
                    copy.InitEmpty();
                    continue;
                }

                copy.InitPool(size);
                _frames[i].Slice().CopyTo(copy.Slice());
            }
            else
            {
                destination[n++].Move(ref _frames[i]);
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
            _frames[i].InitEmpty();
        }

        Count = 0;
    }
}
