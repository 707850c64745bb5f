using System.Buffers.Binary;
using System.Net.WebSockets;
using System.Text;

namespace ZmqGame.Broker.WebSocket;

/// <summary>
/// RFC 6455 frames as the server side of the loop's WebSocket frontend (<see cref="WebSocketLoopConnection"/>) reads and
/// writes them: a client's frame header (FIN, reserved bits, opcode, masked 7/16/64-bit length) checked, its payload
/// unmasked; the server's frames written unmasked and never fragmented. Pure functions, no sockets.
/// </summary>
internal static class WebSocketFraming
{
    public const byte Continuation = 0x0;
    public const byte Text = 0x1;
    public const byte Binary = 0x2;
    public const byte CloseOpcode = 0x8;
    public const byte Ping = 0x9;
    public const byte Pong = 0xA;

    /// <summary>Longest server frame header (unmasked, 64-bit length).</summary>
    public const int MaxServerHeader = 10;

    /// <summary>Longest client frame header (masked, 64-bit length).</summary>
    public const int MaxClientHeader = 14;

    /// <summary>Longest payload of a control frame.</summary>
    public const int MaxControlPayload = 125;

    /// <summary>
    /// Reads a client frame's header at the start of <paramref name="data"/>: its size (0 when more bytes are needed), or
    /// -1 with <paramref name="error"/> when the frame breaks RFC 6455 (answered with close 1002).
    /// </summary>
    public static int ReadClientHeader(ReadOnlySpan<byte> data, out ClientFrameHeader header, out string? error)
    {
        header = default;
        error = null;
        if (data.Length < 2)
        {
            return 0;
        }

        var b0 = data[0];
        var b1 = data[1];
        var opcode = (byte)(b0 & 0x0F);
        var fin = (b0 & 0x80) != 0;
        if ((b0 & 0x70) != 0)
        {
            error = "a frame with reserved bits set (no extension was agreed)";
            return -1;
        }

        if (opcode is not (Continuation or Text or Binary or CloseOpcode or Ping or Pong))
        {
            error = $"a frame with the unknown opcode 0x{opcode:X}";
            return -1;
        }

        if ((b1 & 0x80) == 0)
        {
            error = "an unmasked frame (a client masks every frame)";
            return -1;
        }

        var length7 = b1 & 0x7F;
        var lengthBytes = length7 == 126 ? 2 : length7 == 127 ? 8 : 0;
        var size = 2 + lengthBytes + 4;
        if ((opcode & 0x8) != 0 && (!fin || length7 > MaxControlPayload))
        {
            error = "a fragmented control frame or one over 125 bytes";
            return -1;
        }

        if (data.Length < size)
        {
            return 0;
        }

        long length = lengthBytes switch
        {
            2 => BinaryPrimitives.ReadUInt16BigEndian(data[2..]),
            8 => (long)BinaryPrimitives.ReadUInt64BigEndian(data[2..]),
            _ => length7,
        };
        if (length < 0)
        {
            error = "a frame length with its most significant bit set";
            return -1;
        }

        header = new ClientFrameHeader(fin, opcode, length, BinaryPrimitives.ReadUInt32LittleEndian(data[(2 + lengthBytes)..]));
        return size;
    }

    /// <summary>
    /// Unmasks <paramref name="payload"/> in place; <paramref name="offset"/> is how many payload bytes of the frame came
    /// before it (the mask runs on across reads).
    /// </summary>
    public static void Unmask(Span<byte> payload, uint mask, long offset)
    {
        // The mask as it lines up with the first byte here, repeated over 8 bytes for the wide loop.
        var shift = (int)(offset & 3) * 8;
        var rotated = shift == 0 ? mask : (mask >> shift) | (mask << (32 - shift));
        var wide = ((ulong)rotated << 32) | rotated;
        var i = 0;
        for (; i + 8 <= payload.Length; i += 8)
        {
            var chunk = BinaryPrimitives.ReadUInt64LittleEndian(payload[i..]);
            BinaryPrimitives.WriteUInt64LittleEndian(payload[i..], chunk ^ wide);
        }

        for (; i < payload.Length; i++)
        {
            payload[i] ^= (byte)(rotated >> ((i & 3) * 8));
        }
    }

    /// <summary>Writes an unmasked, final frame header for <paramref name="length"/> payload bytes; returns its size.</summary>
    public static int WriteServerHeader(Span<byte> destination, byte opcode, long length)
    {
        destination[0] = (byte)(0x80 | opcode);
        if (length < 126)
        {
            destination[1] = (byte)length;
            return 2;
        }

        if (length <= ushort.MaxValue)
        {
            destination[1] = 126;
            BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)length);
            return 4;
        }

        destination[1] = 127;
        BinaryPrimitives.WriteUInt64BigEndian(destination[2..], (ulong)length);
        return 10;
    }

    /// <summary>The payload of a close frame: the status, then the reason (cut to fit a control frame, 123 bytes of UTF-8); returns its size.</summary>
    public static int WriteClosePayload(Span<byte> destination, WebSocketCloseStatus status, string why)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)status);
        var reason = Encoding.UTF8.GetByteCount(why) <= MaxControlPayload - 2 ? why : why[..60];
        return 2 + Encoding.UTF8.GetBytes(reason, destination[2..]);
    }
}

/// <summary>A client frame's header (<see cref="WebSocketFraming.ReadClientHeader"/>).</summary>
/// <param name="Fin">The last frame of its message.</param>
/// <param name="Opcode">What the frame is.</param>
/// <param name="Length">Payload bytes.</param>
/// <param name="Mask">The masking key, as read little-endian (byte 0 in the low bits).</param>
internal readonly record struct ClientFrameHeader(bool Fin, byte Opcode, long Length, uint Mask);
