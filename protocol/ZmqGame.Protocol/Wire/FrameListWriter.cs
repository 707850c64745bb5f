namespace ZmqGame.Protocol;

/// <summary>
/// A codec's output as the client, the worker and the trigger send it: a list of frames for a DEALER. Constant and
/// handed-over arrays are added as they are; spans are copied into a new array each.
/// </summary>
internal readonly struct FrameListWriter : IFrameWriter
{
    public FrameListWriter(List<byte[]> frames) => Frames = frames;

    /// <summary>The frames written so far.</summary>
    public List<byte[]> Frames { get; }

    public void Write(ReadOnlySpan<byte> frame, bool more) => Frames.Add(frame.IsEmpty ? Array.Empty<byte>() : frame.ToArray());

    public void WriteConstant(byte[] frame, bool more) => Frames.Add(frame);
}
