using System.Buffers.Binary;

namespace ZmqGame.Protocol;

/// <summary>
/// The first body frame of every ZmqGame reply, 13 bytes, integers big-endian:
/// 'Z' 'G' version(1) kind(2) · request id (u64) · status (u8).
/// Written by the worker for handler results and by the broker for its own errors
/// (timeout, busy, worker lost, bad request).
/// </summary>
internal readonly struct ReplyHeader : IEquatable<ReplyHeader>
{
    public const int Size = 13;
    public const byte Version = 1;
    public const byte Kind = 2;

    public ReplyHeader(ulong requestId, Status status)
    {
        RequestId = requestId;
        Status = status;
    }

    public ulong RequestId { get; }

    public Status Status { get; }

    public void Write(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            throw new ArgumentException($"a reply header needs {Size} bytes", nameof(destination));
        }

        destination[0] = (byte)'Z';
        destination[1] = (byte)'G';
        destination[2] = Version;
        destination[3] = Kind;
        BinaryPrimitives.WriteUInt64BigEndian(destination.Slice(4), RequestId);
        destination[12] = (byte)Status;
    }

    public byte[] ToArray()
    {
        var bytes = new byte[Size];
        Write(bytes);
        return bytes;
    }

    /// <summary>Parses a reply header frame; false when the frame is not exactly one.</summary>
    public static bool TryRead(ReadOnlySpan<byte> frame, out ReplyHeader header)
    {
        if (frame.Length != Size || frame[0] != (byte)'Z' || frame[1] != (byte)'G' || frame[2] != Version || frame[3] != Kind)
        {
            header = default;
            return false;
        }

        header = new ReplyHeader(BinaryPrimitives.ReadUInt64BigEndian(frame.Slice(4)), (Status)frame[12]);
        return true;
    }

    public bool Equals(ReplyHeader other) => RequestId == other.RequestId && Status == other.Status;

    public override bool Equals(object? obj) => obj is ReplyHeader other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(RequestId, Status);

    public override string ToString() => $"reply {RequestId} {Status}";
}
