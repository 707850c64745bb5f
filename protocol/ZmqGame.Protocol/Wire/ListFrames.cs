namespace ZmqGame.Protocol;

/// <summary>
/// A message received as a list of frames, read by a codec: a DEALER's list as it is (frame 0 is the delimiter), or
/// a ROUTER's from <c>start</c> 1, past the routing identity.
/// </summary>
internal readonly struct ListFrames : IFrames
{
    private readonly IReadOnlyList<byte[]> _frames;
    private readonly int _start;

    public ListFrames(IReadOnlyList<byte[]> frames, int start = 0)
    {
        _frames = frames;
        _start = start;
    }

    public int Count => _frames.Count - _start;

    public ReadOnlySpan<byte> this[int index] => _frames[_start + index];
}
