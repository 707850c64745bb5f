using System.Buffers.Binary;
using System.Text;
using MessagePack;

namespace ZmqGame.Protocol;

/// <summary>
/// First frame of a PUSH to a ZmqGame client, 8 bytes, big-endian: 'Z' 'G' version(1) kind(5) · command id (i32).
/// The payload frames follow.
/// </summary>
internal readonly struct PushHeader
{
    public const int Size = 8;
    public const byte Version = 1;
    public const byte Kind = 5;

    public PushHeader(int command) => Command = command;

    public int Command { get; }

    public void Write(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            throw new ArgumentException($"a push header needs {Size} bytes", nameof(destination));
        }

        destination[0] = (byte)'Z';
        destination[1] = (byte)'G';
        destination[2] = Version;
        destination[3] = Kind;
        BinaryPrimitives.WriteInt32BigEndian(destination.Slice(4), Command);
    }

    public byte[] ToArray()
    {
        var bytes = new byte[Size];
        Write(bytes);
        return bytes;
    }

    public static bool TryRead(ReadOnlySpan<byte> frame, out PushHeader header)
    {
        if (frame.Length != Size || frame[0] != (byte)'Z' || frame[1] != (byte)'G' || frame[2] != Version || frame[3] != Kind)
        {
            header = default;
            return false;
        }

        header = new PushHeader(BinaryPrimitives.ReadInt32BigEndian(frame.Slice(4)));
        return true;
    }
}

/// <summary>
/// The session frame: who sent a request (or whom an event is about). The broker puts it right after the request
/// header of every ZmqGame request it sends to a ZmqGame worker, and after the event header of every event.
/// Big-endian: 'Z' 'G' version(1) kind(3) · session id (u64, 0 = no session) · user flags (u64) · user id length (u8) ·
/// user id (UTF-8, empty = not logged in). 21 to 276 bytes.
/// </summary>
internal readonly struct SessionContext
{
    public const int FixedSize = 21;
    public const int MaxUserIdBytes = 255;
    public const byte Version = 1;
    public const byte Kind = 3;

    public SessionContext(ulong sessionId, ulong flags, string? userId)
    {
        SessionId = sessionId;
        Flags = flags;
        UserId = string.IsNullOrEmpty(userId) ? null : userId;
    }

    /// <summary>0 when the request came without a session (stock client, or a trigger event).</summary>
    public ulong SessionId { get; }

    public ulong Flags { get; }

    /// <summary>Null when the session is not bound to a user.</summary>
    public string? UserId { get; }

    public static int SizeOf(ReadOnlySpan<byte> userIdUtf8) => FixedSize + userIdUtf8.Length;

    /// <summary>Writes the frame for a user id given as UTF-8 bytes (the broker's form); returns the bytes written.</summary>
    public static int Write(Span<byte> destination, ulong sessionId, ulong flags, ReadOnlySpan<byte> userIdUtf8)
    {
        if (userIdUtf8.Length > MaxUserIdBytes)
        {
            throw new ArgumentException($"a user id has at most {MaxUserIdBytes} bytes", nameof(userIdUtf8));
        }

        var size = FixedSize + userIdUtf8.Length;
        if (destination.Length < size)
        {
            throw new ArgumentException($"this session frame needs {size} bytes", nameof(destination));
        }

        destination[0] = (byte)'Z';
        destination[1] = (byte)'G';
        destination[2] = Version;
        destination[3] = Kind;
        BinaryPrimitives.WriteUInt64BigEndian(destination.Slice(4), sessionId);
        BinaryPrimitives.WriteUInt64BigEndian(destination.Slice(12), flags);
        destination[20] = (byte)userIdUtf8.Length;
        userIdUtf8.CopyTo(destination.Slice(FixedSize));
        return size;
    }

    public byte[] ToArray()
    {
        var user = UserId is null ? Array.Empty<byte>() : Encoding.UTF8.GetBytes(UserId);
        var bytes = new byte[FixedSize + user.Length];
        Write(bytes, SessionId, Flags, user);
        return bytes;
    }

    public static bool TryRead(ReadOnlySpan<byte> frame, out SessionContext context)
    {
        if (frame.Length < FixedSize || frame[0] != (byte)'Z' || frame[1] != (byte)'G' || frame[2] != Version || frame[3] != Kind
            || frame.Length != FixedSize + frame[20])
        {
            context = default;
            return false;
        }

        var user = frame.Slice(FixedSize);
        context = new SessionContext(
            BinaryPrimitives.ReadUInt64BigEndian(frame.Slice(4)),
            BinaryPrimitives.ReadUInt64BigEndian(frame.Slice(12)),
            user.IsEmpty ? null : Encoding.UTF8.GetString(user));
        return true;
    }
}

/// <summary>What an event delivered to a worker is about.</summary>
internal enum SessionEventType : byte
{
    /// <summary>A session started (not sent for a resume).</summary>
    Connected = 1,

    /// <summary>A session ended; the event header carries the reason, the payload frame its text.</summary>
    Closed = 2,

    /// <summary>The trigger sent an event to one worker of the service; the header carries its command id, the payload frame its data.</summary>
    Trigger = 3,
}

/// <summary>
/// First body frame of an event the broker sends to a ZmqGame worker instead of a request, 12 bytes, big-endian:
/// 'Z' 'G' version(1) kind(4) · event type (u8) · close reason (u8, 0 unless closed) · reserved (2 bytes, 0) · command id (i32, trigger events).
/// The session frame and then one payload frame follow.
/// </summary>
internal readonly struct EventHeader
{
    public const int Size = 12;
    public const byte Version = 1;
    public const byte Kind = 4;

    public EventHeader(SessionEventType type, SessionCloseReason reason = 0, int command = 0)
    {
        Type = type;
        Reason = reason;
        Command = command;
    }

    public SessionEventType Type { get; }

    public SessionCloseReason Reason { get; }

    public int Command { get; }

    public void Write(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            throw new ArgumentException($"an event header needs {Size} bytes", nameof(destination));
        }

        destination[0] = (byte)'Z';
        destination[1] = (byte)'G';
        destination[2] = Version;
        destination[3] = Kind;
        destination[4] = (byte)Type;
        destination[5] = (byte)Reason;
        destination[6] = 0;
        destination[7] = 0;
        BinaryPrimitives.WriteInt32BigEndian(destination.Slice(8), Command);
    }

    public byte[] ToArray()
    {
        var bytes = new byte[Size];
        Write(bytes);
        return bytes;
    }

    public static bool TryRead(ReadOnlySpan<byte> frame, out EventHeader header)
    {
        if (frame.Length != Size || frame[0] != (byte)'Z' || frame[1] != (byte)'G' || frame[2] != Version || frame[3] != Kind
            || frame[4] is < 1 or > 3)
        {
            header = default;
            return false;
        }

        header = new EventHeader((SessionEventType)frame[4], (SessionCloseReason)frame[5], BinaryPrimitives.ReadInt32BigEndian(frame.Slice(8)));
        return true;
    }
}

/// <summary>
/// The session state in a WELCOME: a MessagePack map. Sent after HELLO and whenever the binding or the groups of
/// the session change; the client keeps the latest one and the ticket that comes with it. Its keys and their
/// order are <see cref="WelcomeFormatter"/>'s.
/// </summary>
[MessagePackFormatter(typeof(WelcomeFormatter))]
internal sealed class Welcome
{
    /// <summary>The session id (random, never 0).</summary>
    public ulong Session { get; set; }

    /// <summary>True when HELLO resumed an existing session (binding and groups kept).</summary>
    public bool Resumed { get; set; }

    /// <summary>The broker ends the session after this much silence from the client (milliseconds).</summary>
    public uint TimeoutMs { get; set; }

    /// <summary>The user id the session is bound to; null when not logged in.</summary>
    public string? User { get; set; }

    /// <summary>The user's data flags.</summary>
    public ulong Flags { get; set; }

    /// <summary>Groups the session is in.</summary>
    public string[]? Groups { get; set; }

    /// <summary>
    /// The broker's <c>MaxMessageSize</c>: the most bytes a message's frames may hold together (0: not announced, an
    /// older broker). A client refuses a larger request before sending it.
    /// </summary>
    public uint MaxMessageSize { get; set; }

    /// <summary>
    /// The idempotent routes of the broker's current workers: service name to command ids (absent from older brokers).
    /// A client sends a request on one of them again on the next broker when its broker is lost before the reply.
    /// </summary>
    public Dictionary<string, int[]>? Idempotent { get; set; }

    public byte[] Serialize() => MessagePackSerializer.Serialize(this, Payload.Options);

    /// <summary>Reads a WELCOME map; false when it is not one or has no session id.</summary>
    /// <param name="frame">The map.</param>
    /// <param name="welcome">The session state; an empty one when false.</param>
    /// <param name="options">The resolver and security settings to read it with; <see cref="Payload.Options"/> when null.</param>
    public static bool TryParse(ReadOnlyMemory<byte> frame, out Welcome welcome, MessagePackSerializerOptions? options = null)
    {
        try
        {
            welcome = MessagePackSerializer.Deserialize<Welcome>(frame, options ?? Payload.Options) ?? new Welcome();
            return welcome.Session != 0;
        }
        catch (MessagePackSerializationException)
        {
            welcome = new Welcome();
            return false;
        }
    }
}
