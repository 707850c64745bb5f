using System.Buffers.Binary;

namespace ZmqGame.Protocol;

/// <summary>
/// The first body frame of every ZmqGame request, 20 bytes, integers big-endian:
/// 'Z' 'G' version(1) kind(1) · request id (u64) · command id (i32) · timeout ms (u32, 0 = broker default).
/// The broker reads it to answer timeouts and lost workers; the worker reads the command id to route.
/// </summary>
internal readonly struct RequestHeader : IEquatable<RequestHeader>
{
    public const int Size = 20;
    public const byte Version = 1;
    public const byte Kind = 1;

    public RequestHeader(ulong requestId, int command, uint timeoutMs)
    {
        RequestId = requestId;
        Command = command;
        TimeoutMs = timeoutMs;
    }

    public ulong RequestId { get; }

    public int Command { get; }

    public uint TimeoutMs { get; }

    public void Write(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            throw new ArgumentException($"a request header needs {Size} bytes", nameof(destination));
        }

        destination[0] = (byte)'Z';
        destination[1] = (byte)'G';
        destination[2] = Version;
        destination[3] = Kind;
        BinaryPrimitives.WriteUInt64BigEndian(destination.Slice(4), RequestId);
        BinaryPrimitives.WriteInt32BigEndian(destination.Slice(12), Command);
        BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(16), TimeoutMs);
    }

    public byte[] ToArray()
    {
        var bytes = new byte[Size];
        Write(bytes);
        return bytes;
    }

    /// <summary>Parses a request header frame; false when the frame is not exactly one.</summary>
    public static bool TryRead(ReadOnlySpan<byte> frame, out RequestHeader header)
    {
        if (frame.Length != Size || frame[0] != (byte)'Z' || frame[1] != (byte)'G' || frame[2] != Version || frame[3] != Kind)
        {
            header = default;
            return false;
        }

        header = new RequestHeader(
            BinaryPrimitives.ReadUInt64BigEndian(frame.Slice(4)),
            BinaryPrimitives.ReadInt32BigEndian(frame.Slice(12)),
            BinaryPrimitives.ReadUInt32BigEndian(frame.Slice(16)));
        return true;
    }

    public bool Equals(RequestHeader other) =>
        RequestId == other.RequestId && Command == other.Command && TimeoutMs == other.TimeoutMs;

    public override bool Equals(object? obj) => obj is RequestHeader other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(RequestId, Command, TimeoutMs);

    public override string ToString() => $"request {RequestId} cmd {Command} timeout {TimeoutMs} ms";
}
