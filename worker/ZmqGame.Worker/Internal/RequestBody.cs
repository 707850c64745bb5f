using ZmqGame.Protocol;

namespace ZmqGame.Worker.Internal;

/// <summary>
/// The frames of a ZmqGame request's body after its request header, as the broker forwards them:
/// <c>[request header][session frame]([trace context])[payload]</c> (docs/protocol.md, "ZmqGame requests on the backend").
/// Frames that start with the magic 'Z' 'G' are ZmqGame's own; the last frame is always the payload.
/// </summary>
internal static class RequestBody
{
    /// <summary>
    /// The session frame after a request header. A frame that starts with the magic 'Z' 'G' (and is not a trace context) is
    /// the session frame and must parse (a MessagePack payload of one value never starts so: 0x5A is a complete value by
    /// itself). A request without one (a broker that predates sessions, or a stock MDP broker) has no session.
    /// </summary>
    public static bool TryReadSession(byte[][] body, out SessionInfo session, out int payloadStart)
    {
        session = SessionInfo.None;
        payloadStart = 1;
        if (body.Length < 2 || !IsZmqGameFrame(body[1]) || TraceContextFrame.Is(body[1]))
        {
            return true;
        }

        if (!SessionContext.TryRead(body[1], out var context))
        {
            return false;
        }

        session = SessionInfo.From(context);
        payloadStart = 2;
        return true;
    }

    /// <summary>
    /// Steps <paramref name="payloadStart"/> over the extension frames before the payload (frames that start 'Z' 'G',
    /// never the last one), and returns the trace context frame among them, if any. Extensions this worker does not know
    /// are passed over, so a newer client's cannot fail a request.
    /// </summary>
    public static byte[]? SkipExtensions(byte[][] body, ref int payloadStart)
    {
        byte[]? traceContext = null;
        while (payloadStart < body.Length - 1 && IsZmqGameFrame(body[payloadStart]))
        {
            if (TraceContextFrame.Is(body[payloadStart]))
            {
                traceContext ??= body[payloadStart];
            }

            payloadStart++;
        }

        return traceContext;
    }

    private static bool IsZmqGameFrame(byte[] frame) => frame.Length >= 2 && frame[0] == (byte)'Z' && frame[1] == (byte)'G';
}
