namespace ZmqGame.Protocol;

/// <summary>
/// The control protocol (header "ZGT01") spoken by the broker's control endpoint and the supervisor's admin
/// endpoint: <c>[""]["ZGT01"][command][argument…]</c> answered by <c>[""]["ZGT01"][command][result]</c>.
/// </summary>
internal static class Control
{
    /// <summary>Protocol header of the control protocol: "ZGT01".</summary>
    public static ReadOnlySpan<byte> Header => "ZGT01"u8;

    /// <summary>The header as text, for logs and bad-input reports.</summary>
    public const string HeaderText = "ZGT01";

    /// <summary>Broker stats: no arguments; the result is a map.</summary>
    public const string Stats = "stats";

    /// <summary>Authenticate this connection: one argument, the proof made by <see cref="TriggerAuth.CreateProof"/>.</summary>
    public const string Auth = "auth";

    /// <summary>Index of the command frame.</summary>
    public const int CommandIndex = 2;

    private static readonly byte[] Delimiter = [];
    private static readonly byte[] HeaderFrame = Header.ToArray();

    /// <summary>True when <paramref name="frames"/> (as a DEALER receives them) is an answer: [""]["ZGT01"][command][result].</summary>
    public static bool IsAnswer(IReadOnlyList<byte[]> frames) => TryReadAnswer(new ListFrames(frames), out _);

    /// <summary>A command: <c>[""]["ZGT01"][command][argument…]</c>; the frames are handed over.</summary>
    public static void WriteCommand<TWriter>(TWriter writer, byte[] command, IReadOnlyList<byte[]> arguments)
        where TWriter : IFrameWriter
    {
        writer.WriteConstant(Delimiter, more: true);
        writer.WriteConstant(HeaderFrame, more: true);
        writer.WriteConstant(command, more: arguments.Count > 0);
        for (var i = 0; i < arguments.Count; i++)
        {
            writer.WriteConstant(arguments[i], more: i < arguments.Count - 1);
        }
    }

    /// <summary>An answer: <c>[""]["ZGT01"][command][result]</c>; <paramref name="result"/> is handed over.</summary>
    public static void WriteAnswer<TWriter>(TWriter writer, ReadOnlySpan<byte> command, byte[] result)
        where TWriter : IFrameWriter
    {
        writer.WriteConstant(Delimiter, more: true);
        writer.WriteConstant(HeaderFrame, more: true);
        writer.Write(command, more: true);
        writer.WriteConstant(result, more: false);
    }

    /// <summary>True when the frames are a command, <c>[""]["ZGT01"][command][argument…]</c>.</summary>
    public static bool TryReadCommand<TFrames>(in TFrames frames, out ControlCommand command)
        where TFrames : IFrames
    {
        if (frames.Count < 3 || !frames[0].IsEmpty || !frames[1].SequenceEqual(Header))
        {
            command = default;
            return false;
        }

        command = new ControlCommand(frames.Count - ControlCommand.ArgumentStart);
        return true;
    }

    /// <summary>True when the frames are an answer, exactly <c>[""]["ZGT01"][command][result]</c> (the result at index 3).</summary>
    public static bool TryReadAnswer<TFrames>(in TFrames frames, out int resultIndex)
        where TFrames : IFrames
    {
        resultIndex = 3;
        if (frames.Count != 4 || !frames[0].IsEmpty || !frames[1].SequenceEqual(Header))
        {
            resultIndex = -1;
            return false;
        }

        return true;
    }
}

/// <summary>A parsed control command: its name at <see cref="Control.CommandIndex"/>, then its arguments.</summary>
internal readonly struct ControlCommand
{
    /// <summary>Index of the first argument.</summary>
    public const int ArgumentStart = 3;

    public ControlCommand(int argumentCount) => ArgumentCount = argumentCount;

    /// <summary>Number of argument frames.</summary>
    public int ArgumentCount { get; }
}
