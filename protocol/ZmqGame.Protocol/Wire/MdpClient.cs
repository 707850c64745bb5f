namespace ZmqGame.Protocol;

/// <summary>
/// The codec of the stock Majordomo client protocol (header "MDPC01", constants in <see cref="Mdp"/>) and its MMI
/// service discovery (RFC 8). Frames after the routing identity (docs/protocol.md, "Frontend"):
/// <list type="bullet">
/// <item>request <c>[""]["MDPC01"][service][body…]</c>, client to broker;</item>
/// <item>reply <c>[""]["MDPC01"][service][body…]</c>, broker to client;</item>
/// <item>MMI <c>[""]["MDPC01"]["mmi.service"][name]</c> answered by <c>[""]["MDPC01"]["mmi.service"]["200"|"404"]</c>
/// (<c>"501"</c> for any other <c>mmi.</c> service).</item>
/// </list>
/// </summary>
internal static class MdpClient
{
    /// <summary>Index of the service frame.</summary>
    public const int ServiceIndex = 2;

    /// <summary>Index of the first body frame.</summary>
    public const int BodyStart = 3;

    private static readonly byte[] Delimiter = [];
    private static readonly byte[] HeaderFrame = Mdp.ClientHeader.ToArray();
    private static readonly byte[] Mmi200 = "200"u8.ToArray();
    private static readonly byte[] Mmi404 = "404"u8.ToArray();
    private static readonly byte[] Mmi501 = "501"u8.ToArray();

    /// <summary>A request or a reply: <c>[""]["MDPC01"][service][body…]</c>; the body frames are handed over.</summary>
    public static void WriteMessage<TWriter>(TWriter writer, ReadOnlySpan<byte> service, IReadOnlyList<byte[]> body)
        where TWriter : IFrameWriter
    {
        WriteHead(writer, service, more: body.Count > 0);
        for (var i = 0; i < body.Count; i++)
        {
            writer.WriteConstant(body[i], more: i < body.Count - 1);
        }
    }

    /// <summary><c>[""]["MDPC01"][service]</c>; <paramref name="more"/> when body frames follow (the caller writes them).</summary>
    public static void WriteHead<TWriter>(TWriter writer, ReadOnlySpan<byte> service, bool more)
        where TWriter : IFrameWriter
    {
        writer.WriteConstant(Delimiter, more: true);
        writer.WriteConstant(HeaderFrame, more: true);
        writer.Write(service, more);
    }

    /// <summary>
    /// <c>[""]["MDPC01"][service]</c> with a service name nobody changes (the broker's own copy), referenced instead of copied.
    /// </summary>
    public static void WriteHead<TWriter>(TWriter writer, byte[] service, bool more)
        where TWriter : IFrameWriter
    {
        writer.WriteConstant(Delimiter, more: true);
        writer.WriteConstant(HeaderFrame, more: true);
        writer.WriteConstant(service, more);
    }

    /// <summary>The broker's MMI answer for <paramref name="service"/> (the <c>mmi.</c> service asked).</summary>
    public static void WriteMmiAnswer<TWriter>(TWriter writer, ReadOnlySpan<byte> service, MmiAnswer answer)
        where TWriter : IFrameWriter
    {
        WriteHead(writer, service, more: true);
        writer.WriteConstant(answer switch { MmiAnswer.Found => Mmi200, MmiAnswer.NotFound => Mmi404, _ => Mmi501 }, more: false);
    }

    /// <summary>True when the frames are <c>[""]["MDPC01"][service][body…]</c>.</summary>
    public static bool TryRead<TFrames>(in TFrames frames, out MdpClientMessage message)
        where TFrames : IFrames
    {
        if (frames.Count < 3 || !frames[0].IsEmpty || !frames[1].SequenceEqual(Mdp.ClientHeader))
        {
            message = default;
            return false;
        }

        message = new MdpClientMessage(frames[ServiceIndex].StartsWith(Mdp.MmiPrefix), frames.Count - BodyStart);
        return true;
    }

    /// <summary>True when the frames are an MMI <c>mmi.service</c> query; its name at <paramref name="nameIndex"/> (-1 when absent).</summary>
    public static bool IsMmiServiceQuery<TFrames>(in TFrames frames, out int nameIndex)
        where TFrames : IFrames
    {
        nameIndex = -1;
        if (!TryRead(frames, out var message) || !message.IsMmi || !frames[ServiceIndex].SequenceEqual(Mdp.MmiService))
        {
            return false;
        }

        nameIndex = message.BodyCount > 0 ? BodyStart : -1;
        return true;
    }
}

/// <summary>The broker's answer to an MMI query.</summary>
internal enum MmiAnswer
{
    /// <summary>"200": the service has workers.</summary>
    Found,

    /// <summary>"404": it has none.</summary>
    NotFound,

    /// <summary>"501": not an MMI service the broker knows.</summary>
    NotImplemented,
}

/// <summary>A parsed MDPC01 message: the service at <see cref="MdpClient.ServiceIndex"/>, then the body.</summary>
internal readonly struct MdpClientMessage
{
    public MdpClientMessage(bool isMmi, int bodyCount)
    {
        IsMmi = isMmi;
        BodyCount = bodyCount;
    }

    /// <summary>True when the service starts with <c>mmi.</c> (the broker answers it itself).</summary>
    public bool IsMmi { get; }

    /// <summary>Number of body frames.</summary>
    public int BodyCount { get; }
}
