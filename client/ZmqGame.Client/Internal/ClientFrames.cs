using System.Buffers.Binary;
using ZmqGame.Protocol;

namespace ZmqGame.Client.Internal;

/// <summary>
/// The bytes of every ZGC01 message the client writes and reads (docs/protocol.md, "Client protocol"). A message is
/// <c>[""][ZGC01][command][…]</c> as a list of frames; nothing else in the client builds or takes one apart.
/// Readers only check and split; what a message means is up to the caller.
/// </summary>
internal static class ClientFrames
{
    /// <summary>A WELCOME's ticket longer than this is ignored (the previous one is kept).</summary>
    public const int MaxTicketBytes = 4096;

    private static readonly byte[] Header = ZgClient.Header.ToArray();

    /// <summary>HELLO: [session service][ticket]; an empty ticket frame opens a fresh session.</summary>
    public static List<byte[]> Hello(byte[] sessionService, byte[]? ticket) =>
        [[], Header, [ZgClient.Hello], sessionService, ticket ?? []];

    /// <summary>HEARTBEAT, with the session id when a session is open (<paramref name="sessionId"/> not 0).</summary>
    public static List<byte[]> Heartbeat(ulong sessionId)
    {
        List<byte[]> message = [[], Header, [ZgClient.Heartbeat]];
        if (sessionId != 0)
        {
            message.Add(SessionId(sessionId));
        }

        return message;
    }

    /// <summary>CLOSE: ends the session.</summary>
    public static List<byte[]> Close() => [[], Header, [ZgClient.Close]];

    /// <summary>
    /// REQUEST: [service][request header][payload], or SESSION REQUEST: [session id][service][request header][payload]
    /// when a session is open (<paramref name="sessionId"/> not 0). A broker that does not have that session on this
    /// connection answers <c>no session</c> instead of running it without one.
    /// </summary>
    public static List<byte[]> Request(ulong sessionId, byte[] service, RequestHeader header, byte[] payload)
    {
        var message = new List<byte[]>(7) { Array.Empty<byte>(), Header };
        if (sessionId != 0)
        {
            message.Add([ZgClient.SessionRequest]);
            message.Add(SessionId(sessionId));
        }
        else
        {
            message.Add([ZgClient.Request]);
        }

        message.Add(service);
        message.Add(header.ToArray());
        message.Add(payload);
        return message;
    }

    /// <summary>The command byte of a ZGC01 message; false when <paramref name="message"/> is not one.</summary>
    public static bool TryReadCommand(List<byte[]> message, out byte command)
    {
        if (message.Count < 3 || message[0].Length != 0 || !message[1].AsSpan().SequenceEqual(ZgClient.Header) || message[2].Length != 1)
        {
            command = 0;
            return false;
        }

        command = message[2][0];
        return true;
    }

    /// <summary>REPLY: [reply header][payload]; the payload is empty when the frame is missing.</summary>
    public static bool TryReadReply(List<byte[]> message, out ReplyHeader header, out byte[] payload)
    {
        if (message.Count < 4 || !ReplyHeader.TryRead(message[3], out header))
        {
            header = default;
            payload = [];
            return false;
        }

        payload = message.Count >= 5 ? message[4] : [];
        return true;
    }

    /// <summary>WELCOME: [welcome map][ticket]; <paramref name="ticket"/> is null when missing, empty or too long.</summary>
    public static bool TryReadWelcome(List<byte[]> message, out Welcome welcome, out byte[]? ticket)
    {
        ticket = null;
        if (message.Count < 4 || !Welcome.TryParse(message[3], out welcome))
        {
            welcome = null!;
            return false;
        }

        if (message.Count >= 5 && message[4].Length is > 0 and <= MaxTicketBytes)
        {
            ticket = message[4];
        }

        return true;
    }

    /// <summary>CLOSED: [reason][text]; the text is empty when the frame is missing.</summary>
    public static bool TryReadClosed(List<byte[]> message, out SessionCloseReason reason, out string text)
    {
        if (message.Count < 4 || message[3].Length != 1)
        {
            reason = default;
            text = string.Empty;
            return false;
        }

        reason = (SessionCloseReason)message[3][0];
        text = message.Count >= 5 ? Payload.ErrorText(message[4]) : string.Empty;
        return true;
    }

    /// <summary>PUSH: [push header][payload]; the payload is empty when the frame is missing.</summary>
    public static bool TryReadPush(List<byte[]> message, out PushHeader header, out byte[] payload)
    {
        if (message.Count < 4 || !PushHeader.TryRead(message[3], out header))
        {
            header = default;
            payload = [];
            return false;
        }

        payload = message.Count >= 5 ? message[4] : [];
        return true;
    }

    private static byte[] SessionId(ulong sessionId)
    {
        var id = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(id, sessionId);
        return id;
    }
}
