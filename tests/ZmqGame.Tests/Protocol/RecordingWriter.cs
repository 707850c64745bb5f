using ZmqGame.Protocol;

namespace ZmqGame.Tests.Protocol;

/// <summary>A frame writer that keeps each frame with its "more" flag and whether it was written as a constant.</summary>
internal sealed class RecordingWriter : IFrameWriter
{
    public List<(byte[] Frame, bool More, bool Constant)> Written { get; } = [];

    public List<byte[]> Frames => Written.ConvertAll(w => w.Frame);

    public ListFrames Read => new(Frames);

    public void Write(ReadOnlySpan<byte> frame, bool more) => Written.Add((frame.ToArray(), more, false));

    public void WriteConstant(byte[] frame, bool more) => Written.Add((frame, more, true));

    /// <summary>Every frame but the last says "more", and the message starts at the empty delimiter.</summary>
    public void AssertWellFormed()
    {
        Assert.That(Written, Is.Not.Empty);
        Assert.That(Written[0].Frame, Is.Empty, "the empty delimiter comes first");
        for (var i = 0; i < Written.Count; i++)
        {
            Assert.That(Written[i].More, Is.EqualTo(i < Written.Count - 1), $"frame {i}'s more flag");
        }
    }

    public static byte[] Ascii(string text) => System.Text.Encoding.ASCII.GetBytes(text);
}
