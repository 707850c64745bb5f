namespace ZmqGame.Protocol;

/// <summary>Majordomo MDP/0.1 (ZeroMQ RFC 7) constants.</summary>
internal static class Mdp
{
    /// <summary>Protocol header of a stock MDP client: "MDPC01".</summary>
    public static ReadOnlySpan<byte> ClientHeader => "MDPC01"u8;

    /// <summary>Protocol header of an MDP worker: "MDPW01".</summary>
    public static ReadOnlySpan<byte> WorkerHeader => "MDPW01"u8;

    public const byte Ready = 0x01;
    public const byte Request = 0x02;
    public const byte Reply = 0x03;
    public const byte Heartbeat = 0x04;
    public const byte Disconnect = 0x05;

    /// <summary>Prefix of the broker's own services (RFC 8).</summary>
    public static ReadOnlySpan<byte> MmiPrefix => "mmi."u8;

    /// <summary>The one MMI service the broker answers: does service X have workers?</summary>
    public static ReadOnlySpan<byte> MmiService => "mmi.service"u8;

    /// <summary>
    /// ZmqGame extension: the optional frame of a worker's HEARTBEAT saying it is stopping. The broker sends it
    /// nothing more; it finishes what it holds, replies and says DISCONNECT.
    /// </summary>
    public static ReadOnlySpan<byte> DrainingFlag => "draining"u8;

    /// <summary>Longest service name accepted (RFC 7 carries it as a short string).</summary>
    public const int MaxServiceLength = 255;

    /// <summary>Name of a worker command byte, for logs.</summary>
    public static string CommandName(byte command) => command switch
    {
        Ready => "READY",
        Request => "REQUEST",
        Reply => "REPLY",
        Heartbeat => "HEARTBEAT",
        Disconnect => "DISCONNECT",
        _ => $"0x{command:X2}",
    };
}
