using System.Buffers.Binary;

namespace ZmqGame.Transport;

/// <summary>
/// ZWS 2.0 (ZeroMQ RFC 45) as the broker's WebSocket frontend and the client's WebSocket connections speak it, checked against libzmq's <c>ws_engine</c>:
/// the subprotocols a client may offer, and the frames. Every ZeroMQ frame is one binary WebSocket message whose first
/// byte is flags (<see cref="FlagMore"/>, <see cref="FlagCommand"/>) and whose rest is the frame's body. With
/// <c>ZWS2.0/NULL</c> each side's first message is a READY command (the ZMTP 3 NULL handshake, same bytes); with bare
/// <c>ZWS2.0</c> (libzmq without a mechanism, jszmq) each side's first message is its routing id. Pure functions, no
/// sockets.
/// </summary>
internal static class Zws
{
    /// <summary>Another frame of the same message follows.</summary>
    public const byte FlagMore = 0x01;

    /// <summary>The frame is a command (READY, PING, PONG, …), not part of a message.</summary>
    public const byte FlagCommand = 0x02;

    /// <summary>The NULL mechanism: READY commands first.</summary>
    public const string NullProtocol = "ZWS2.0/NULL";

    /// <summary>No mechanism: routing-id messages first.</summary>
    public const string BareProtocol = "ZWS2.0";

    /// <summary>The broker's READY command as one WebSocket message: flags, then [5]"READY" [11]"Socket-Type" [0 0 0 6]"ROUTER".</summary>
    public static readonly byte[] ReadyMessage = BuildReady();

    /// <summary>The broker's routing id as one WebSocket message (a ROUTER has none: an empty frame).</summary>
    public static readonly byte[] RoutingIdMessage = [0];

    /// <summary>
    /// The subprotocol the broker takes from those a client offers: the first of them it speaks, in the client's order
    /// (as libzmq does; a libzmq client offers <c>ZWS2.0/NULL,ZWS2.0</c>). Null when it speaks none of them (PLAIN and
    /// CURVE are not offered here).
    /// </summary>
    public static string? PickProtocol(IEnumerable<string> offered)
    {
        foreach (var entry in offered)
        {
            foreach (var item in entry.Split(','))
            {
                var part = item.Trim();
                if (part == NullProtocol || part == BareProtocol)
                {
                    return part;
                }
            }
        }

        return null;
    }

    /// <summary>Whether the flags byte uses only the bits ZWS 2.0 defines.</summary>
    public static bool ValidFlags(byte flags) => (flags & ~(FlagMore | FlagCommand)) == 0;

    /// <summary>
    /// The PONG command answering a PING command body (ZMTP 3.1: echoes its context, at most 16 bytes), as one WebSocket
    /// message. Written into <paramref name="destination"/> (at least 22 bytes); returns its length.
    /// </summary>
    public static int WritePong(ReadOnlySpan<byte> pingBody, Span<byte> destination)
    {
        // PING: [4]"PING" [ttl: 2 bytes] [context: 0-16 bytes]
        var context = pingBody.Length > 7 ? pingBody[7..] : [];
        if (context.Length > 16)
        {
            context = context[..16];
        }

        destination[0] = FlagCommand;
        destination[1] = 4;
        "PONG"u8.CopyTo(destination[2..]);
        context.CopyTo(destination[6..]);
        return 6 + context.Length;
    }

    private static byte[] BuildReady()
    {
        var message = new byte[1 + 1 + 5 + 1 + 11 + 4 + 6];
        message[0] = FlagCommand;
        message[1] = 5;
        "READY"u8.CopyTo(message.AsSpan(2));
        message[7] = 11;
        "Socket-Type"u8.CopyTo(message.AsSpan(8));
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(19), 6);
        "ROUTER"u8.CopyTo(message.AsSpan(23));
        return message;
    }
}
