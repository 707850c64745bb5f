using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace ZmqGame.Broker.Sessions;

/// <summary>
/// A resume ticket: what a broker needs to recreate a session it never knew (after a restart), signed with the
/// session key (HMAC-SHA256). Opaque to clients. Layout: version (1) · session id (u64) · issued unix ms (i64) ·
/// flags (u64) · service (u8 length + bytes) · user (u8 length + bytes) · group count (u8) · groups (u8 length +
/// bytes each) · HMAC (32).
/// </summary>
internal sealed class SessionTicket
{
    private const byte Version = 1;
    private const int MacSize = 32;

    public required ulong SessionId { get; init; }

    public required long IssuedMs { get; init; }

    public ulong Flags { get; init; }

    public byte[] Service { get; init; } = [];

    public string? UserId { get; init; }

    public IReadOnlyList<string> Groups { get; init; } = [];

    public byte[] Sign(byte[] key)
    {
        var user = UserId is null ? [] : Encoding.UTF8.GetBytes(UserId);
        var groups = new List<byte[]>(Groups.Count);
        foreach (var group in Groups)
        {
            groups.Add(Encoding.UTF8.GetBytes(group));
        }

        var size = 1 + 8 + 8 + 8 + 1 + Service.Length + 1 + user.Length + 1 + MacSize;
        foreach (var g in groups)
        {
            size += 1 + g.Length;
        }

        var bytes = new byte[size];
        var span = bytes.AsSpan();
        span[0] = Version;
        BinaryPrimitives.WriteUInt64BigEndian(span[1..], SessionId);
        BinaryPrimitives.WriteInt64BigEndian(span[9..], IssuedMs);
        BinaryPrimitives.WriteUInt64BigEndian(span[17..], Flags);
        var at = 25;
        at = WriteShort(span, at, Service);
        at = WriteShort(span, at, user);
        span[at++] = (byte)groups.Count;
        foreach (var g in groups)
        {
            at = WriteShort(span, at, g);
        }

        HMACSHA256.HashData(key, span[..at], span[at..]);
        return bytes;
    }

    /// <summary>Reads a ticket; null when it is malformed or its signature is not ours.</summary>
    public static SessionTicket? TryOpen(ReadOnlySpan<byte> bytes, byte[] key)
    {
        if (bytes.Length < 1 + 8 + 8 + 8 + 3 + MacSize || bytes[0] != Version)
        {
            return null;
        }

        var body = bytes[..^MacSize];
        Span<byte> mac = stackalloc byte[MacSize];
        HMACSHA256.HashData(key, body, mac);
        if (!CryptographicOperations.FixedTimeEquals(mac, bytes[^MacSize..]))
        {
            return null;
        }

        var at = 25;
        if (!TryReadShort(body, ref at, out var service) || !TryReadShort(body, ref at, out var user) || at >= body.Length)
        {
            return null;
        }

        var count = body[at++];
        var groups = new string[count];
        for (var i = 0; i < count; i++)
        {
            if (!TryReadShort(body, ref at, out var g))
            {
                return null;
            }

            groups[i] = Encoding.UTF8.GetString(g);
        }

        return at != body.Length ? null : new SessionTicket
        {
            SessionId = BinaryPrimitives.ReadUInt64BigEndian(body[1..]),
            IssuedMs = BinaryPrimitives.ReadInt64BigEndian(body[9..]),
            Flags = BinaryPrimitives.ReadUInt64BigEndian(body[17..]),
            Service = service.ToArray(),
            UserId = user.IsEmpty ? null : Encoding.UTF8.GetString(user),
            Groups = groups,
        };
    }

    private static int WriteShort(Span<byte> span, int at, ReadOnlySpan<byte> value)
    {
        span[at] = (byte)value.Length;
        value.CopyTo(span[(at + 1)..]);
        return at + 1 + value.Length;
    }

    private static bool TryReadShort(ReadOnlySpan<byte> body, ref int at, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (at >= body.Length || at + 1 + body[at] > body.Length)
        {
            return false;
        }

        value = body.Slice(at + 1, body[at]);
        at += 1 + body[at];
        return true;
    }
}
