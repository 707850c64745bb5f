namespace ZmqGame.Protocol;

/// <summary>
/// A received message as a codec reads it: the frames after the routing identity, frame 0 being the empty
/// delimiter. Readers keep frame indexes, never spans, so a parsed message is a small value.
/// </summary>
internal interface IFrames
{
    /// <summary>Number of frames (the delimiter included).</summary>
    int Count { get; }

    /// <summary>The bytes of frame <paramref name="index"/>.</summary>
    ReadOnlySpan<byte> this[int index] { get; }
}
