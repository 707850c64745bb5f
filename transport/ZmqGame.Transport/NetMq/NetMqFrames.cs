using NetMQ;

namespace ZmqGame.Transport;

/// <summary>The one conversion between NetMQ's messages and ZmqGame's frames (a list of byte arrays).</summary>
internal static class NetMqFrames
{
    /// <summary>
    /// Clears <paramref name="frames"/> and fills it with the frames of <paramref name="message"/>: a frame's own
    /// buffer when it is exactly the frame (no copy), a copy otherwise.
    /// </summary>
    public static void CopyTo(NetMQMessage message, List<byte[]> frames)
    {
        frames.Clear();
        foreach (var frame in message)
        {
            frames.Add(frame.Buffer.Length == frame.MessageSize ? frame.Buffer : frame.ToByteArray());
        }
    }

    /// <summary>A NetMQ message holding <paramref name="frames"/> (the arrays themselves, not copies).</summary>
    public static NetMQMessage ToMessage(IReadOnlyList<byte[]> frames)
    {
        var message = new NetMQMessage(frames.Count);
        foreach (var frame in frames)
        {
            message.Append(frame);
        }

        return message;
    }
}
