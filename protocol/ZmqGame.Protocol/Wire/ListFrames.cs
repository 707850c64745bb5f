namespace ZmqGame.Protocol;

/// <summary>A message received as a list of frames (a DEALER's, so frame 0 is the delimiter), read by a codec.</summary>
internal readonly struct ListFrames : IFrames
{
    private readonly IReadOnlyList<byte[]> _frames;

    public ListFrames(IReadOnlyList<byte[]> frames) => _frames = frames;

    public int Count => _frames.Count;

    public ReadOnlySpan<byte> this[int index] => _frames[index];
}
