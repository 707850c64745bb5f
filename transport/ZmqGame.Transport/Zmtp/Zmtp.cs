using System.Buffers.Binary;
using System.Text;

namespace ZmqGame.Transport;

/// <summary>
/// ZMTP 3.1 (ZeroMQ RFC 37) as a ROUTER with the NULL mechanism speaks it: the 64-byte greeting, the READY
/// handshake, PING/PONG, and frame headers. Pure functions over bytes, no sockets.
/// </summary>
internal static class Zmtp
{
    public const int GreetingSize = 64;

    /// <summary>Enough of the greeting to tell a ZMTP 3 peer: signature (10 bytes) and major version.</summary>
    public const int SignatureSize = 11;

    public const byte FlagMore = 0x01;
    public const byte FlagLong = 0x02;
    public const byte FlagCommand = 0x04;

    /// <summary>Largest frame header: flags and an 8-byte size.</summary>
    public const int MaxHeaderSize = 9;

    /// <summary>What a ROUTER sends first: greeting (version 3.1, NULL, not as-server) and READY (Socket-Type ROUTER).</summary>
    public static readonly byte[] Hello = BuildHello("ROUTER");

    /// <summary>What a DEALER sends first: greeting and READY (Socket-Type DEALER, no identity asked).</summary>
    public static readonly byte[] DealerHello = BuildHello("DEALER");

    private static ReadOnlySpan<byte> Ready => "READY"u8;

    private static ReadOnlySpan<byte> Ping => "PING"u8;

    private static ReadOnlySpan<byte> ErrorCommand => "ERROR"u8;

    /// <summary>Checks a peer's greeting. Null when acceptable, else why not.</summary>
    public static string? CheckGreeting(ReadOnlySpan<byte> greeting)
    {
        if (greeting[0] != 0xFF || (greeting[9] & 0x01) == 0)
        {
            return "not a ZMTP peer (bad greeting signature)";
        }

        if (greeting[10] < 3)
        {
            return $"ZMTP version {greeting[10]} is not supported (3 or later)";
        }

        if (greeting.Length < GreetingSize)
        {
            return null;
        }

        var mechanism = greeting.Slice(12, 20);
        var end = mechanism.IndexOf((byte)0);
        var name = end < 0 ? mechanism : mechanism[..end];
        return name.SequenceEqual("NULL"u8)
            ? null
            : $"security mechanism {Encoding.ASCII.GetString(name)} is not offered here (NULL only; CURVE endpoints run on NetMQ)";
    }

    /// <summary>
    /// Reads one frame header: false if <paramref name="data"/> does not hold all of it yet.
    /// </summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> data, out byte flags, out long size, out int headerSize)
    {
        size = 0;
        headerSize = 0;
        flags = 0;
        if (data.Length < 2)
        {
            return false;
        }

        flags = data[0];
        if ((flags & FlagLong) == 0)
        {
            size = data[1];
            headerSize = 2;
            return true;
        }

        if (data.Length < 9)
        {
            return false;
        }

        // A size past long.MaxValue reads as long.MaxValue: too large for any limit, never negative.
        size = (long)Math.Min(BinaryPrimitives.ReadUInt64BigEndian(data[1..]), long.MaxValue);
        headerSize = 9;
        return true;
    }

    /// <summary>Writes a frame header into <paramref name="destination"/>; returns its size.</summary>
    public static int WriteHeader(Span<byte> destination, int size, bool more, bool command = false)
    {
        var flags = (byte)((more ? FlagMore : 0) | (command ? FlagCommand : 0));
        if (size <= byte.MaxValue)
        {
            destination[0] = flags;
            destination[1] = (byte)size;
            return 2;
        }

        destination[0] = (byte)(flags | FlagLong);
        BinaryPrimitives.WriteUInt64BigEndian(destination[1..], (ulong)size);
        return 9;
    }

    /// <summary>What the peer's handshake command says.</summary>
    public enum CommandKind
    {
        Other,
        Ready,
        Ping,
        Error,
    }

    public static CommandKind Classify(ReadOnlySpan<byte> body)
    {
        if (body.Length < 1 || body.Length < 1 + body[0])
        {
            return CommandKind.Other;
        }

        var name = body.Slice(1, body[0]);
        return name.SequenceEqual(Ready) ? CommandKind.Ready
            : name.SequenceEqual(Ping) ? CommandKind.Ping
            : name.SequenceEqual(ErrorCommand) ? CommandKind.Error
            : CommandKind.Other;
    }

    /// <summary>
    /// Reads a READY command's properties. Null when the peer may talk to a ROUTER (the routing id it asks for is
    /// set, empty if none), else why not.
    /// </summary>
    public static string? ReadReady(ReadOnlySpan<byte> body, out ReadOnlySpan<byte> identity) => ReadReady(body, "ROUTER", out identity);

    /// <summary>As <see cref="ReadReady(ReadOnlySpan{byte}, out ReadOnlySpan{byte})"/> for a socket of type <paramref name="ours"/> (ROUTER or DEALER).</summary>
    public static string? ReadReady(ReadOnlySpan<byte> body, string ours, out ReadOnlySpan<byte> identity)
    {
        identity = default;
        var at = 1 + body[0];
        var socketType = ReadOnlySpan<byte>.Empty;
        var sawType = false;
        while (at < body.Length)
        {
            var nameLength = body[at];
            if (at + 1 + nameLength + 4 > body.Length)
            {
                return "malformed READY properties";
            }

            var name = body.Slice(at + 1, nameLength);
            var valueLength = BinaryPrimitives.ReadUInt32BigEndian(body[(at + 1 + nameLength)..]);
            var valueAt = at + 1 + nameLength + 4;
            if (valueLength > (uint)(body.Length - valueAt))
            {
                return "malformed READY properties";
            }

            var value = body.Slice(valueAt, (int)valueLength);
            if (name.SequenceEqual("Socket-Type"u8))
            {
                socketType = value;
                sawType = true;
            }
            else if (name.SequenceEqual("Identity"u8))
            {
                identity = value;
            }

            at = valueAt + (int)valueLength;
        }

        if (!sawType)
        {
            return "READY without a Socket-Type";
        }

        var fits = ours == "ROUTER"
            ? socketType.SequenceEqual("DEALER"u8) || socketType.SequenceEqual("REQ"u8) || socketType.SequenceEqual("ROUTER"u8)
            : socketType.SequenceEqual("ROUTER"u8) || socketType.SequenceEqual("REP"u8) || socketType.SequenceEqual("DEALER"u8);
        return fits ? null : $"a {Encoding.ASCII.GetString(socketType)} socket cannot talk to a {ours}";
    }

    /// <summary>The PONG answering a PING command body (echoes its context, RFC 37).</summary>
    public static int WritePong(ReadOnlySpan<byte> pingBody, Span<byte> destination)
    {
        // PING: [4]"PING" [ttl: 2 bytes] [context: 0-16 bytes]
        var context = pingBody.Length > 7 ? pingBody[7..] : [];
        if (context.Length > 16)
        {
            context = context[..16];
        }

        var body = 5 + context.Length;
        var header = WriteHeader(destination, body, more: false, command: true);
        destination[header] = 4;
        "PONG"u8.CopyTo(destination[(header + 1)..]);
        context.CopyTo(destination[(header + 5)..]);
        return header + body;
    }

    /// <summary>
    /// Walks the frames of a whole message (as <see cref="ZmtpStream"/> hands it on): the next frame's body, advancing
    /// <paramref name="at"/>; false at the end.
    /// </summary>
    public static bool NextFrame(ReadOnlySpan<byte> message, ref int at, out ReadOnlySpan<byte> frame)
    {
        if (at >= message.Length || !TryReadHeader(message[at..], out _, out var size, out var headerSize)
            || size > message.Length - at - headerSize)
        {
            frame = default;
            return false;
        }

        frame = message.Slice(at + headerSize, (int)size);
        at += headerSize + (int)size;
        return true;
    }

    private static byte[] BuildHello(string socketType)
    {
        var hello = new List<byte>(GreetingSize + 32);
        hello.Add(0xFF);
        hello.AddRange(new byte[8]);
        hello.Add(0x7F);
        hello.Add(3);
        hello.Add(1);
        var mechanism = new byte[20];
        "NULL"u8.CopyTo(mechanism);
        hello.AddRange(mechanism);
        hello.Add(0);
        hello.AddRange(new byte[31]);

        // READY: [5]"READY" [11]"Socket-Type" [0 0 0 6]"ROUTER"
        var ready = new List<byte> { 5 };
        ready.AddRange("READY"u8.ToArray());
        ready.Add(11);
        ready.AddRange("Socket-Type"u8.ToArray());
        ready.AddRange(new byte[] { 0, 0, 0, (byte)socketType.Length });
        ready.AddRange(Encoding.ASCII.GetBytes(socketType));
        hello.Add(FlagCommand);
        hello.Add((byte)ready.Count);
        hello.AddRange(ready);
        return [.. hello];
    }
}
