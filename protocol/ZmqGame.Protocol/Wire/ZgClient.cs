using System.Buffers.Binary;

namespace ZmqGame.Protocol;

/// <summary>
/// The ZmqGame client extension of the frontend protocol (header "ZGC01"), spoken only by peers
/// that send it first. See docs/protocol.md, "Frontend". The codec: every frame is
/// <c>[""]["ZGC01"][command][…]</c> after the routing identity.
/// </summary>
internal static class ZgClient
{
    /// <summary>Protocol header of a ZmqGame client: "ZGC01".</summary>
    public static ReadOnlySpan<byte> Header => "ZGC01"u8;

    /// <summary>The header as text, for logs and bad-input reports.</summary>
    public const string HeaderText = "ZGC01";

    /// <summary>Index of the protocol header frame.</summary>
    public const int HeaderIndex = 1;

    /// <summary>Client to broker: [service][request header]([trace context])[payload…].</summary>
    public const byte Request = 0x01;

    /// <summary>Broker to client: [reply header][payload…].</summary>
    public const byte Reply = 0x02;

    /// <summary>
    /// Client to broker, HELLO: [session service][resume ticket] (both may be empty) opens a session or resumes one.
    /// Broker to client, WELCOME: [welcome map][resume ticket], the session's state; sent after HELLO and again
    /// whenever the session's user binding or groups change or its ticket is refreshed.
    /// </summary>
    public const byte Hello = 0x03;

    /// <summary>Both ways, no body. The broker answers each client heartbeat with one.</summary>
    public const byte Heartbeat = 0x04;

    /// <summary>Broker to client: [push header][payload…], a server push.</summary>
    public const byte Push = 0x05;

    /// <summary>
    /// Client to broker, CLOSE: no body, ends the session at once.
    /// Broker to client, CLOSED: [reason (1 byte)][UTF-8 text], the session has ended; the connection has none until the next HELLO.
    /// </summary>
    public const byte Close = 0x06;

    /// <summary>
    /// Broker to client, no body: this connection has no session, or not the one the client's HEARTBEAT named
    /// (the broker restarted, or ZeroMQ reconnected underneath). The client sends HELLO with its ticket.
    /// </summary>
    public const byte NoSession = 0x07;

    /// <summary>
    /// Client to broker, SESSION REQUEST: [session id (u64)][service][request header][payload…], a REQUEST made in the
    /// named session. When the connection has that session it is served like REQUEST; otherwise the broker answers it
    /// <c>no session</c> (it does not run) and sends NO SESSION.
    /// </summary>
    public const byte SessionRequest = 0x08;

    /// <summary>
    /// Broker to client, MOVE: [UTF-8 text]. The broker is stopping (a lame duck): the client sends no new request on
    /// this connection, waits for the replies of the ones it has there, then resumes its session on another broker.
    /// </summary>
    public const byte Move = 0x09;

    /// <summary>Index of the command frame.</summary>
    public const int CommandIndex = 2;

    /// <summary>Size of a session id frame (u64, big-endian).</summary>
    public const int SessionIdSize = 8;

    private static readonly byte[] Delimiter = [];
    private static readonly byte[] HeaderFrame = Header.ToArray();
    private static readonly byte[][] Commands = [[0], [Request], [Reply], [Hello], [Heartbeat], [Push], [Close], [NoSession], [SessionRequest], [Move]];

    /// <summary>
    /// <c>[""]["ZGC01"][command]</c>: a whole command without a body (HEARTBEAT, NO SESSION, CLOSE), or, with
    /// <paramref name="more"/>, the head of one whose frames the caller writes next.
    /// </summary>
    public static void WriteCommand<TWriter>(TWriter writer, byte command, bool more = false)
        where TWriter : IFrameWriter
    {
        writer.WriteConstant(Delimiter, more: true);
        writer.WriteConstant(HeaderFrame, more: true);
        writer.WriteConstant(command < Commands.Length ? Commands[command] : [command], more);
    }

    /// <summary>
    /// REQUEST <c>[service][request header][payload]</c>, or SESSION REQUEST <c>[session id][service][request header][payload]</c>
    /// when <paramref name="sessionId"/> is not 0; a <paramref name="traceContext"/> frame (<see cref="TraceContextFrame"/>),
    /// when given, goes right after the request header. <paramref name="service"/>, <paramref name="traceContext"/> and
    /// <paramref name="payload"/> are handed over.
    /// </summary>
    public static void WriteRequest<TWriter>(TWriter writer, ulong sessionId, byte[] service, in RequestHeader header, byte[] payload, byte[]? traceContext = null)
        where TWriter : IFrameWriter
    {
        if (sessionId != 0)
        {
            WriteCommand(writer, SessionRequest, more: true);
            WriteSessionId(writer, sessionId, more: true);
        }
        else
        {
            WriteCommand(writer, Request, more: true);
        }

        writer.WriteConstant(service, more: true);
        Span<byte> bytes = stackalloc byte[RequestHeader.Size];
        header.Write(bytes);
        writer.Write(bytes, more: true);
        if (traceContext is not null)
        {
            writer.WriteConstant(traceContext, more: true);
        }

        writer.WriteConstant(payload, more: false);
    }

    /// <summary>HELLO <c>[session service][resume ticket]</c>, both handed over (either may be empty).</summary>
    public static void WriteHello<TWriter>(TWriter writer, byte[] sessionService, byte[] ticket)
        where TWriter : IFrameWriter
    {
        WriteCommand(writer, Hello, more: true);
        writer.WriteConstant(sessionService, more: true);
        writer.WriteConstant(ticket, more: false);
    }

    /// <summary>A client's HEARTBEAT, naming its session when <paramref name="sessionId"/> is not 0.</summary>
    public static void WriteHeartbeat<TWriter>(TWriter writer, ulong sessionId)
        where TWriter : IFrameWriter
    {
        WriteCommand(writer, Heartbeat, more: sessionId != 0);
        if (sessionId != 0)
        {
            WriteSessionId(writer, sessionId, more: false);
        }
    }

    /// <summary>A REPLY the broker makes itself: <c>[reply header][text]</c> (a status and its UTF-8 explanation).</summary>
    public static void WriteStatusReply<TWriter>(TWriter writer, in ReplyHeader header, ReadOnlySpan<byte> text)
        where TWriter : IFrameWriter
    {
        WriteCommand(writer, Reply, more: true);
        Span<byte> bytes = stackalloc byte[ReplyHeader.Size];
        header.Write(bytes);
        writer.Write(bytes, more: true);
        writer.Write(text, more: false);
    }

    /// <summary>True when the frames start <c>[""]["ZGC01"]</c>, whatever follows (a broker tells a bad command from another protocol).</summary>
    public static bool HasHeader<TFrames>(in TFrames frames)
        where TFrames : IFrames => frames.Count > HeaderIndex && frames[0].IsEmpty && frames[HeaderIndex].SequenceEqual(Header);

    /// <summary>True when the frames are <c>[""]["ZGC01"][command]…</c> with a one-byte command.</summary>
    public static bool TryReadCommand<TFrames>(in TFrames frames, out byte command)
        where TFrames : IFrames
    {
        if (frames.Count < 3 || !frames[0].IsEmpty || !frames[1].SequenceEqual(Header) || frames[CommandIndex].Length != 1)
        {
            command = 0;
            return false;
        }

        command = frames[CommandIndex][0];
        return true;
    }

    /// <summary>
    /// A REQUEST or SESSION REQUEST with a valid request header (and, for SESSION REQUEST, an 8-byte session id).
    /// </summary>
    public static bool TryReadRequest<TFrames>(in TFrames frames, out ZgClientRequest request)
        where TFrames : IFrames
    {
        request = default;
        if (!TryReadCommand(frames, out var command) || command is not (Request or SessionRequest))
        {
            return false;
        }

        var sessionBound = command == SessionRequest;
        var at = sessionBound ? 4 : 3;
        if (frames.Count < at + 2 || !RequestHeader.TryRead(frames[at + 1], out var header) || (sessionBound && frames[3].Length != SessionIdSize))
        {
            return false;
        }

        var sessionId = sessionBound ? BinaryPrimitives.ReadUInt64BigEndian(frames[3]) : 0;
        request = new ZgClientRequest(sessionBound, sessionId, at, header, frames.Count - at - 1);
        return true;
    }

    /// <summary>A HELLO: <c>[session service][resume ticket]?</c> at <paramref name="serviceIndex"/> and <paramref name="ticketIndex"/> (-1 when absent).</summary>
    public static bool TryReadHello<TFrames>(in TFrames frames, out int serviceIndex, out int ticketIndex)
        where TFrames : IFrames
    {
        serviceIndex = ticketIndex = -1;
        if (!TryReadCommand(frames, out var command) || command != Hello || frames.Count < 4)
        {
            return false;
        }

        serviceIndex = 3;
        ticketIndex = frames.Count > 4 ? 4 : -1;
        return true;
    }

    /// <summary>
    /// A WELCOME (the broker's HELLO): <c>[welcome map][resume ticket]?</c>, the map at <paramref name="mapIndex"/> and
    /// the ticket at <paramref name="ticketIndex"/> (-1 when absent). The map itself is read by <see cref="Welcome.TryParse"/>.
    /// </summary>
    public static bool TryReadWelcome<TFrames>(in TFrames frames, out int mapIndex, out int ticketIndex)
        where TFrames : IFrames => TryReadHello(frames, out mapIndex, out ticketIndex);

    /// <summary>The frame after the command (HEARTBEAT's session id, WELCOME's map, CLOSED's reason), or -1 when absent.</summary>
    public static int BodyIndex<TFrames>(in TFrames frames)
        where TFrames : IFrames => frames.Count > 3 ? 3 : -1;

    /// <summary>The frame after that (WELCOME's ticket, CLOSED's text, a PUSH's or REPLY's payload), or -1 when absent.</summary>
    public static int SecondBodyIndex<TFrames>(in TFrames frames)
        where TFrames : IFrames => frames.Count > 4 ? 4 : -1;

    /// <summary>A REPLY with a valid reply header; its payload, if any, at index 4.</summary>
    public static bool TryReadReply<TFrames>(in TFrames frames, out ReplyHeader header)
        where TFrames : IFrames
    {
        header = default;
        return TryReadCommand(frames, out var command) && command == Reply && frames.Count > 3 && ReplyHeader.TryRead(frames[3], out header);
    }

    /// <summary>A PUSH with a valid push header; its payload, if any, at index 4.</summary>
    public static bool TryReadPush<TFrames>(in TFrames frames, out PushHeader header)
        where TFrames : IFrames
    {
        header = default;
        return TryReadCommand(frames, out var command) && command == Push && frames.Count > 3 && PushHeader.TryRead(frames[3], out header);
    }

    /// <summary>A CLOSED with its one-byte reason; its text, if any, at index 4.</summary>
    public static bool TryReadClosed<TFrames>(in TFrames frames, out SessionCloseReason reason)
        where TFrames : IFrames
    {
        reason = default;
        if (!TryReadCommand(frames, out var command) || command != Close || frames.Count < 4 || frames[3].Length != 1)
        {
            return false;
        }

        reason = (SessionCloseReason)frames[3][0];
        return true;
    }

    private static void WriteSessionId<TWriter>(TWriter writer, ulong sessionId, bool more)
        where TWriter : IFrameWriter
    {
        Span<byte> id = stackalloc byte[SessionIdSize];
        BinaryPrimitives.WriteUInt64BigEndian(id, sessionId);
        writer.Write(id, more);
    }
}

/// <summary>A parsed REQUEST or SESSION REQUEST: the session it names, where its service and body are, its header.</summary>
internal readonly struct ZgClientRequest
{
    public ZgClientRequest(bool sessionBound, ulong sessionId, int serviceIndex, RequestHeader header, int bodyCount)
    {
        SessionBound = sessionBound;
        SessionId = sessionId;
        ServiceIndex = serviceIndex;
        Header = header;
        BodyCount = bodyCount;
    }

    /// <summary>True for SESSION REQUEST.</summary>
    public bool SessionBound { get; }

    /// <summary>The session a SESSION REQUEST names; 0 for REQUEST.</summary>
    public ulong SessionId { get; }

    /// <summary>Index of the service name.</summary>
    public int ServiceIndex { get; }

    /// <summary>Index of the first body frame, the request header (the broker forwards it with the payload).</summary>
    public int BodyStart => ServiceIndex + 1;

    /// <summary>Number of body frames, the request header included.</summary>
    public int BodyCount { get; }

    /// <summary>The parsed request header.</summary>
    public RequestHeader Header { get; }
}
