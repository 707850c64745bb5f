using ZmqGame.Protocol;
using ZmqGame.Transport;

namespace ZmqGame.Broker.Endpoints;

/// <summary>
/// A message a ROUTER received, as the codecs read it: the frames of a <see cref="FrameBuffer"/> after the routing
/// identity, frame 0 being the empty delimiter. A view, valid until the buffer is cleared; it copies nothing.
/// </summary>
internal readonly struct RoutedFrames : IFrames
{
    private readonly FrameBuffer _buffer;

    public RoutedFrames(FrameBuffer buffer) => _buffer = buffer;

    /// <summary>The sender's routing identity.</summary>
    public ReadOnlySpan<byte> Identity => _buffer.Span(0);

    public int Count => _buffer.Count - 1;

    public ReadOnlySpan<byte> this[int index] => _buffer.Span(index + 1);

    /// <summary>Where codec frame <paramref name="index"/> sits in the buffer (past the identity).</summary>
    public static int BufferIndex(int index) => index + 1;

    /// <summary>Codec frame <paramref name="index"/> itself, to be moved on without copying.</summary>
    public ref Frame Frame(int index) => ref _buffer[index + 1];

    /// <summary>Moves codec frames [<paramref name="from"/>, Count) into <paramref name="destination"/>; returns how many.</summary>
    public int MoveTo(int from, Frame[] destination) => _buffer.MoveTo(from + 1, destination);
}
