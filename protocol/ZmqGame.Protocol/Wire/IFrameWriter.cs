namespace ZmqGame.Protocol;

/// <summary>
/// Where a codec writes a message: the frames after the routing identity, starting with the empty delimiter.
/// The broker's ROUTER writes the identity itself; a DEALER peer starts at the delimiter.
/// </summary>
internal interface IFrameWriter
{
    /// <summary>The next frame, copied.</summary>
    void Write(ReadOnlySpan<byte> frame, bool more);

    /// <summary>The next frame from an array nobody changes afterwards (may be referenced instead of copied).</summary>
    void WriteConstant(byte[] frame, bool more);
}
