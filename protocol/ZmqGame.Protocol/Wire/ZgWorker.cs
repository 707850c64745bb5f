namespace ZmqGame.Protocol;

/// <summary>
/// The ZmqGame worker extension of the backend protocol (header "ZGW01"): session actions a ZmqGame worker sends
/// to the broker on its worker socket, <c>[""]["ZGW01"][action][arguments][payload…]</c>. Fire and forget: the
/// broker never answers. The same actions, with the same arguments, are control commands (see <see cref="Control"/>).
/// </summary>
internal static class ZgWorker
{
    /// <summary>Protocol header of a ZmqGame worker's session actions: "ZGW01".</summary>
    public static ReadOnlySpan<byte> Header => "ZGW01"u8;

    /// <summary>The header as text, for logs and bad-input reports.</summary>
    public const string HeaderText = "ZGW01";

    /// <summary>Index of the action frame.</summary>
    public const int ActionIndex = 2;

    private static readonly byte[] Delimiter = [];
    private static readonly byte[] HeaderFrame = Header.ToArray();

    /// <summary>
    /// A session action: <c>[""]["ZGW01"][action][arguments][payload]?</c>. The frames are handed over (referenced,
    /// not copied, by a writer that can).
    /// </summary>
    public static void WriteAction<TWriter>(TWriter writer, byte[] action, byte[] arguments, byte[]? payload)
        where TWriter : IFrameWriter
    {
        writer.WriteConstant(Delimiter, more: true);
        writer.WriteConstant(HeaderFrame, more: true);
        writer.WriteConstant(action, more: true);
        writer.WriteConstant(arguments, more: payload is not null);
        if (payload is not null)
        {
            writer.WriteConstant(payload, more: false);
        }
    }

    /// <summary>
    /// True when the frames are a session action, <c>[""]["ZGW01"][action]…</c>. Its arguments frame may still be
    /// missing (<see cref="ZgWorkerAction.HasArguments"/>), which the broker reports as a bad action.
    /// </summary>
    public static bool TryReadAction<TFrames>(in TFrames frames, out ZgWorkerAction action)
        where TFrames : IFrames
    {
        if (frames.Count < 3 || !frames[0].IsEmpty || !frames[1].SequenceEqual(Header))
        {
            action = default;
            return false;
        }

        action = new ZgWorkerAction(frames.Count);
        return true;
    }
}

/// <summary>A parsed session action (ZGW01, or a control command carrying one): where its frames are.</summary>
internal readonly struct ZgWorkerAction
{
    /// <summary>Index of the arguments frame.</summary>
    public const int ArgumentsIndex = 3;

    /// <summary>Index of the first payload frame.</summary>
    public const int PayloadStart = 4;

    private readonly int _count;

    public ZgWorkerAction(int frameCount) => _count = frameCount;

    /// <summary>True when the arguments frame is there.</summary>
    public bool HasArguments => _count > ArgumentsIndex;

    /// <summary>Number of payload frames.</summary>
    public int PayloadCount => Math.Max(0, _count - PayloadStart);
}
