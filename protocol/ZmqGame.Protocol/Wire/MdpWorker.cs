namespace ZmqGame.Protocol;

/// <summary>
/// The codec of the worker protocol, Majordomo MDP/0.1 (header "MDPW01", constants in <see cref="Mdp"/>), with
/// ZmqGame's READY info frame and the HEARTBEAT flags (draining, paused, ready). Frames after the routing identity (docs/protocol.md, "Backend"):
/// <list type="bullet">
/// <item>READY <c>[""]["MDPW01"][0x01][service][worker info]?</c>, worker to broker.</item>
/// <item>REQUEST <c>[""]["MDPW01"][0x02][client][""][body…]</c>, broker to worker.</item>
/// <item>REPLY <c>[""]["MDPW01"][0x03][client][""][body…]</c>, worker to broker.</item>
/// <item>HEARTBEAT <c>[""]["MDPW01"][0x04]["draining" | "paused" | "ready"]?</c>, both ways (the flag: worker to broker).</item>
/// <item>DISCONNECT <c>[""]["MDPW01"][0x05]</c>, both ways.</item>
/// </list>
/// </summary>
internal static class MdpWorker
{
    /// <summary>Index of the command frame.</summary>
    public const int CommandIndex = 2;

    /// <summary><see cref="Mdp.WorkerHeader"/> as text, for logs and bad-input reports.</summary>
    public const string HeaderText = "MDPW01";

    /// <summary>Index of the protocol header frame.</summary>
    public const int HeaderIndex = 1;

    private static readonly byte[] Delimiter = [];
    private static readonly byte[] HeaderFrame = Mdp.WorkerHeader.ToArray();
    private static readonly byte[] DrainingFrame = Mdp.DrainingFlag.ToArray();
    private static readonly byte[] PausedFrame = PausedFlag.ToArray();
    private static readonly byte[] ReadyFrame = ReadyFlag.ToArray();
    private static readonly byte[][] Commands = [[0], [Mdp.Ready], [Mdp.Request], [Mdp.Reply], [Mdp.Heartbeat], [Mdp.Disconnect]];

    /// <summary>READY for <paramref name="service"/> (UTF-8); it and <paramref name="info"/> (a ZmqGame worker's <see cref="WorkerInfo"/>) are handed over.</summary>
    public static void WriteReady<TWriter>(TWriter writer, byte[] service, byte[]? info)
        where TWriter : IFrameWriter
    {
        WriteCommand(writer, Mdp.Ready, more: true);
        writer.WriteConstant(service, more: info is not null);
        if (info is not null)
        {
            writer.WriteConstant(info, more: false);
        }
    }

    /// <summary>
    /// The frames of a REQUEST up to its body: <c>[""]["MDPW01"][0x02][client][""]</c>; <paramref name="more"/> when
    /// body frames follow (the caller writes them).
    /// </summary>
    public static void WriteRequestHead<TWriter>(TWriter writer, ReadOnlySpan<byte> client, bool more)
        where TWriter : IFrameWriter
    {
        WriteCommand(writer, Mdp.Request, more: true);
        writer.Write(client, more: true);
        writer.WriteConstant(Delimiter, more);
    }

    /// <summary>REPLY to <paramref name="client"/>; the body frames are handed over.</summary>
    public static void WriteReply<TWriter>(TWriter writer, ReadOnlySpan<byte> client, IReadOnlyList<byte[]> body)
        where TWriter : IFrameWriter
    {
        WriteCommand(writer, Mdp.Reply, more: true);
        writer.Write(client, more: true);
        writer.WriteConstant(Delimiter, more: body.Count > 0);
        for (var i = 0; i < body.Count; i++)
        {
            writer.WriteConstant(body[i], more: i < body.Count - 1);
        }
    }

    /// <summary>HEARTBEAT; <paramref name="draining"/> adds the ZmqGame "draining" frame (the worker is stopping).</summary>
    public static void WriteHeartbeat<TWriter>(TWriter writer, bool draining = false)
        where TWriter : IFrameWriter
    {
        WriteCommand(writer, Mdp.Heartbeat, more: draining);
        if (draining)
        {
            writer.WriteConstant(DrainingFrame, more: false);
        }
    }

    /// <summary>
    /// HEARTBEAT with a ZmqGame flag (<see cref="HeartbeatFlag.None"/> writes a plain one): a worker slot attached to
    /// several brokers says <see cref="HeartbeatFlag.Paused"/> to the others while it runs one broker's request, and
    /// <see cref="HeartbeatFlag.Ready"/> when it is free again.
    /// </summary>
    public static void WriteHeartbeat<TWriter>(TWriter writer, HeartbeatFlag flag)
        where TWriter : IFrameWriter
    {
        var frame = flag switch
        {
            HeartbeatFlag.Draining => DrainingFrame,
            HeartbeatFlag.Paused => PausedFrame,
            HeartbeatFlag.Ready => ReadyFrame,
            _ => null,
        };
        WriteCommand(writer, Mdp.Heartbeat, more: frame is not null);
        if (frame is not null)
        {
            writer.WriteConstant(frame, more: false);
        }
    }

    /// <summary>DISCONNECT.</summary>
    public static void WriteDisconnect<TWriter>(TWriter writer)
        where TWriter : IFrameWriter => WriteCommand(writer, Mdp.Disconnect, more: false);

    /// <summary>A command with nothing after it (<see cref="Mdp.Heartbeat"/>, <see cref="Mdp.Disconnect"/>), or the head of one with <paramref name="more"/>.</summary>
    public static void WriteCommand<TWriter>(TWriter writer, byte command, bool more)
        where TWriter : IFrameWriter
    {
        writer.WriteConstant(Delimiter, more: true);
        writer.WriteConstant(HeaderFrame, more: true);
        writer.WriteConstant(command < Commands.Length ? Commands[command] : [command], more);
    }

    /// <summary>True when the frames are <c>[""]["MDPW01"][command]…</c> with a one-byte command.</summary>
    public static bool TryReadCommand<TFrames>(in TFrames frames, out byte command)
        where TFrames : IFrames
    {
        if (frames.Count < 3 || !frames[0].IsEmpty || !frames[1].SequenceEqual(Mdp.WorkerHeader) || frames[CommandIndex].Length != 1)
        {
            command = 0;
            return false;
        }

        command = frames[CommandIndex][0];
        return true;
    }

    /// <summary>A READY with its service frame: <c>[""]["MDPW01"][0x01][service][worker info]?</c>.</summary>
    public static bool TryReadReady<TFrames>(in TFrames frames, out MdpWorkerReady ready)
        where TFrames : IFrames
    {
        ready = default;
        if (!TryReadCommand(frames, out var command) || command != Mdp.Ready || frames.Count < 4)
        {
            return false;
        }

        ready = new MdpWorkerReady(frames.Count > 4 ? 4 : -1);
        return true;
    }

    /// <summary>A REQUEST or a REPLY with its envelope: <c>[""]["MDPW01"][command][client][""][body…]</c>.</summary>
    public static bool TryReadEnvelope<TFrames>(in TFrames frames, byte expected, out MdpWorkerEnvelope envelope)
        where TFrames : IFrames
    {
        envelope = default;
        if (!TryReadCommand(frames, out var command) || command != expected || frames.Count < 5 || !frames[4].IsEmpty)
        {
            return false;
        }

        envelope = new MdpWorkerEnvelope(frames.Count - MdpWorkerEnvelope.BodyStart);
        return true;
    }

    /// <summary>
    /// The flag of a HEARTBEAT (<c>[""]["MDPW01"][0x04][flag]</c>); <see cref="HeartbeatFlag.None"/> for a plain one or
    /// an unknown flag (a stock MDP broker ignores extra frames too).
    /// </summary>
    public static HeartbeatFlag ReadHeartbeatFlag<TFrames>(in TFrames frames)
        where TFrames : IFrames
    {
        if (frames.Count <= 3)
        {
            return HeartbeatFlag.None;
        }

        var flag = frames[3];
        return flag.SequenceEqual(Mdp.DrainingFlag) ? HeartbeatFlag.Draining
            : flag.SequenceEqual(PausedFlag) ? HeartbeatFlag.Paused
            : flag.SequenceEqual(ReadyFlag) ? HeartbeatFlag.Ready
            : HeartbeatFlag.None;
    }

    /// <summary>The HEARTBEAT flag of a slot that runs another broker's request: send it nothing new.</summary>
    public static ReadOnlySpan<byte> PausedFlag => "paused"u8;

    /// <summary>The HEARTBEAT flag of a paused slot that is free again.</summary>
    public static ReadOnlySpan<byte> ReadyFlag => "ready"u8;

    /// <summary>True for a HEARTBEAT that says the worker is draining.</summary>
    public static bool IsDraining<TFrames>(in TFrames frames)
        where TFrames : IFrames =>
        TryReadCommand(frames, out var command) && command == Mdp.Heartbeat && frames.Count > 3 && frames[3].SequenceEqual(Mdp.DrainingFlag);
}

/// <summary>The ZmqGame flag a worker's HEARTBEAT may carry (docs/protocol.md, "Backend").</summary>
internal enum HeartbeatFlag : byte
{
    /// <summary>A plain HEARTBEAT (or one with a flag this side does not know).</summary>
    None,

    /// <summary>"draining": the worker is stopping; the broker confirms with DISCONNECT once it holds nothing.</summary>
    Draining,

    /// <summary>"paused": the slot runs another broker's request; send it nothing new until "ready".</summary>
    Paused,

    /// <summary>"ready": the paused slot is free again; it is idle (once it holds nothing).</summary>
    Ready,
}

/// <summary>A parsed READY: the service at <see cref="ServiceIndex"/>, the worker info frame if any.</summary>
internal readonly struct MdpWorkerReady
{
    /// <summary>Index of the service name.</summary>
    public const int ServiceIndex = 3;

    public MdpWorkerReady(int infoIndex) => InfoIndex = infoIndex;

    /// <summary>Index of the ZmqGame worker info frame, or -1 (a stock MDP worker).</summary>
    public int InfoIndex { get; }
}

/// <summary>A parsed REQUEST or REPLY: the client's identity and the body frames.</summary>
internal readonly struct MdpWorkerEnvelope
{
    /// <summary>Index of the client's identity.</summary>
    public const int ClientIndex = 3;

    /// <summary>Index of the first body frame.</summary>
    public const int BodyStart = 5;

    public MdpWorkerEnvelope(int bodyCount) => BodyCount = bodyCount;

    /// <summary>Number of body frames.</summary>
    public int BodyCount { get; }
}
