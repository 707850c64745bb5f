using ZmqGame.Protocol;

namespace ZmqGame.Client.Internal;

/// <summary>
/// The client's side of the <see cref="ZgClient"/> codec (docs/protocol.md, "Client protocol"): each ZGC01 message the
/// client sends, written as the list of frames its DEALER takes, and each one it receives, read into the arrays it
/// hands on. The frame layout is the codec's; this adds only the client's policy (an empty ticket opens a fresh
/// session, a missing payload is empty, an oversized ticket is ignored). Readers only check and split; what a
/// message means is up to the caller.
/// </summary>
internal static class ClientFrames
{
    /// <summary>A WELCOME's ticket longer than this is ignored (the previous one is kept).</summary>
    public const int MaxTicketBytes = 4096;

    /// <summary>Frames in a SESSION REQUEST, the longest message the client sends: the list never grows.</summary>
    private const int RequestFrames = 7;

    /// <summary>HELLO: [session service][ticket]; an empty ticket frame opens a fresh session.</summary>
    public static List<byte[]> Hello(byte[] sessionService, byte[]? ticket)
    {
        var message = new List<byte[]>(5);
        ZgClient.WriteHello(new FrameListWriter(message), sessionService, ticket ?? []);
        return message;
    }

    /// <summary>HEARTBEAT, with the session id when a session is open (<paramref name="sessionId"/> not 0).</summary>
    public static List<byte[]> Heartbeat(ulong sessionId)
    {
        var message = new List<byte[]>(4);
        ZgClient.WriteHeartbeat(new FrameListWriter(message), sessionId);
        return message;
    }

    /// <summary>CLOSE: ends the session.</summary>
    public static List<byte[]> Close()
    {
        var message = new List<byte[]>(3);
        ZgClient.WriteCommand(new FrameListWriter(message), ZgClient.Close);
        return message;
    }

    /// <summary>
    /// REQUEST: [service][request header][payload], or SESSION REQUEST: [session id][service][request header][payload]
    /// when a session is open (<paramref name="sessionId"/> not 0). A broker that does not have that session on this
    /// connection answers <c>no session</c> instead of running it without one. <paramref name="service"/> and
    /// <paramref name="payload"/> are sent as they are; the list, the request header and the session id are the only
    /// arrays made. A traced request carries its <paramref name="traceContext"/> frame after the request header.
    /// </summary>
    public static List<byte[]> Request(ulong sessionId, byte[] service, in RequestHeader header, byte[] payload, byte[]? traceContext = null)
    {
        var message = new List<byte[]>(traceContext is null ? RequestFrames : RequestFrames + 1);
        ZgClient.WriteRequest(new FrameListWriter(message), sessionId, service, header, payload, traceContext);
        return message;
    }

    /// <summary>
    /// The bytes a SESSION REQUEST's frames hold together, as the broker counts them against its <c>MaxMessageSize</c>:
    /// the delimiter, protocol header, command, session id, service, request header, trace context (when traced) and payload.
    /// </summary>
    public static long RequestSize(byte[] service, byte[] payload, byte[]? traceContext = null) =>
        ZgClient.Header.Length + 1 + ZgClient.SessionIdSize + service.Length + RequestHeader.Size + (traceContext?.Length ?? 0) + (long)payload.Length;

    /// <summary>The command byte of a ZGC01 message; false when <paramref name="message"/> is not one.</summary>
    public static bool TryReadCommand(List<byte[]> message, out byte command) =>
        ZgClient.TryReadCommand(new ListFrames(message), out command);

    /// <summary>REPLY: [reply header][payload]; the payload is empty when the frame is missing.</summary>
    public static bool TryReadReply(List<byte[]> message, out ReplyHeader header, out byte[] payload)
    {
        var frames = new ListFrames(message);
        if (!ZgClient.TryReadReply(frames, out header))
        {
            payload = [];
            return false;
        }

        payload = FrameOrEmpty(message, ZgClient.SecondBodyIndex(frames));
        return true;
    }

    /// <summary>WELCOME: [welcome map][ticket]; <paramref name="ticket"/> is null when missing, empty or too long.</summary>
    public static bool TryReadWelcome(List<byte[]> message, out Welcome welcome, out byte[]? ticket)
    {
        ticket = null;
        if (!ZgClient.TryReadWelcome(new ListFrames(message), out var mapIndex, out var ticketIndex)
            || !Welcome.TryParse(message[mapIndex], out welcome, ZmqGameResolver.Options))
        {
            welcome = null!;
            return false;
        }

        if (ticketIndex >= 0 && message[ticketIndex].Length is > 0 and <= MaxTicketBytes)
        {
            ticket = message[ticketIndex];
        }

        return true;
    }

    /// <summary>CLOSED: [reason][text]; the text is empty when the frame is missing.</summary>
    public static bool TryReadClosed(List<byte[]> message, out SessionCloseReason reason, out string text)
    {
        var frames = new ListFrames(message);
        if (!ZgClient.TryReadClosed(frames, out reason))
        {
            text = string.Empty;
            return false;
        }

        var textIndex = ZgClient.SecondBodyIndex(frames);
        text = textIndex < 0 ? string.Empty : Payload.ErrorText(message[textIndex]);
        return true;
    }

    /// <summary>PUSH: [push header][payload]; the payload is empty when the frame is missing.</summary>
    public static bool TryReadPush(List<byte[]> message, out PushHeader header, out byte[] payload)
    {
        var frames = new ListFrames(message);
        if (!ZgClient.TryReadPush(frames, out header))
        {
            payload = [];
            return false;
        }

        payload = FrameOrEmpty(message, ZgClient.SecondBodyIndex(frames));
        return true;
    }

    private static byte[] FrameOrEmpty(List<byte[]> message, int index) => index < 0 ? [] : message[index];
}
