namespace ZmqGame.Protocol;

/// <summary>
/// The ZmqGame client extension of the frontend protocol (header "ZGC01"), spoken only by peers
/// that send it first. See docs/protocol.md.
/// </summary>
internal static class ZgClient
{
    /// <summary>Protocol header of a ZmqGame client: "ZGC01".</summary>
    public static ReadOnlySpan<byte> Header => "ZGC01"u8;

    /// <summary>Client to broker: [service][request header][payload…].</summary>
    public const byte Request = 0x01;

    /// <summary>Broker to client: [reply header][payload…].</summary>
    public const byte Reply = 0x02;

    /// <summary>Both ways, no body. The broker answers each client heartbeat with one.</summary>
    public const byte Heartbeat = 0x04;
}
