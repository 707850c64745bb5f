using System.Buffers.Binary;

namespace ZmqGame.Client.Cli.Load;

/// <summary>
/// Request payloads for the typed echo route: one MessagePack <c>bin</c> whose bytes carry the lane id and a
/// per-lane sequence number, then a per-lane pattern, so a reply that comes back to the wrong request or
/// corrupted is counted as mismatched. The encoding is the canonical one (smallest bin header), which is
/// exactly what the worker's serializer writes back.
/// </summary>
internal static class EchoPayload
{
    /// <summary>Smallest payload frame: a bin8 header and an empty body.</summary>
    public const int MinSize = 2;

    private const int StampSize = 12;

    /// <summary>A payload frame of at most <paramref name="size"/> bytes (exactly, except where bin framing makes it impossible).</summary>
    public static byte[] Create(int size, int lane)
    {
        // bin8: 2-byte header up to 255 bytes of body; bin16: 3 bytes up to 65535; bin32: 5 bytes.
        int header;
        int body;
        if (size - 2 <= byte.MaxValue)
        {
            (header, body) = (2, size - 2);
        }
        else if (size - 3 > byte.MaxValue && size - 3 <= ushort.MaxValue)
        {
            (header, body) = (3, size - 3);
        }
        else if (size - 5 > ushort.MaxValue)
        {
            (header, body) = (5, size - 5);
        }
        else if (size - 3 <= byte.MaxValue)
        {
            (header, body) = (2, byte.MaxValue);
        }
        else
        {
            (header, body) = (3, ushort.MaxValue);
        }

        var bytes = new byte[header + body];
        switch (header)
        {
            case 2:
                bytes[0] = 0xc4;
                bytes[1] = (byte)body;
                break;
            case 3:
                bytes[0] = 0xc5;
                BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(1), (ushort)body);
                break;
            default:
                bytes[0] = 0xc6;
                BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(1), (uint)body);
                break;
        }

        for (var i = header; i < bytes.Length; i++)
        {
            bytes[i] = (byte)(lane * 31 + i);
        }

        return bytes;
    }

    /// <summary>Writes the lane id and sequence number into the body (when it has room for them).</summary>
    public static void Stamp(byte[] payload, int lane, long sequence)
    {
        var header = HeaderSize(payload[0]);
        if (payload.Length - header < StampSize)
        {
            return;
        }

        var span = payload.AsSpan(header);
        BinaryPrimitives.WriteInt32BigEndian(span, lane);
        BinaryPrimitives.WriteInt64BigEndian(span.Slice(4), sequence);
    }

    private static int HeaderSize(byte marker) => marker switch
    {
        0xc4 => 2,
        0xc5 => 3,
        _ => 5,
    };
}
