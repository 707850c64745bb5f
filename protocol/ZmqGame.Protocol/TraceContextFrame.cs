using System.Text;

namespace ZmqGame.Protocol;

/// <summary>
/// The trace context frame: the W3C trace context (<c>traceparent</c>, and <c>tracestate</c> when there is one) of a
/// request a ZmqGame client traces. Optional: a client that does not trace sends no such frame. The client puts it
/// right after the request header; the broker forwards it with the payload, untouched, so a ZmqGame worker finds it
/// after the session frame. Big-endian: 'Z' 'G' version(1) kind(6) · traceparent length n (u8, 1 to 255) ·
/// traceparent (n ASCII bytes) · tracestate (the rest, ASCII, at most <see cref="MaxTraceStateBytes"/>; empty = none).
/// The codec checks only the frame; whether the traceparent is a valid W3C one is the reader's question.
/// </summary>
internal static class TraceContextFrame
{
    public const int FixedSize = 5;
    public const byte Version = 1;
    public const byte Kind = 6;
    public const int MaxTraceParentBytes = 255;

    /// <summary>The most tracestate bytes that travel: W3C asks propagators to pass on at least 512, and a longer one is left out.</summary>
    public const int MaxTraceStateBytes = 512;

    /// <summary>
    /// True when <paramref name="frame"/> starts 'Z' 'G' version 1 kind 6: a trace context frame, whether or not the rest
    /// reads. (A payload of one MessagePack value never starts with 'Z' 'G': 0x5A is a complete value by itself.)
    /// </summary>
    public static bool Is(ReadOnlySpan<byte> frame) =>
        frame.Length >= 4 && frame[0] == (byte)'Z' && frame[1] == (byte)'G' && frame[2] == Version && frame[3] == Kind;

    /// <summary>
    /// The frame for <paramref name="traceParent"/> and <paramref name="traceState"/> (ASCII); null when the traceparent
    /// is empty or longer than <see cref="MaxTraceParentBytes"/>. A tracestate over <see cref="MaxTraceStateBytes"/> is
    /// left out.
    /// </summary>
    public static byte[]? Create(string traceParent, string? traceState)
    {
        if (traceParent.Length is 0 or > MaxTraceParentBytes)
        {
            return null;
        }

        var state = traceState is { Length: > 0 and <= MaxTraceStateBytes } ? traceState : string.Empty;
        var frame = new byte[FixedSize + traceParent.Length + state.Length];
        frame[0] = (byte)'Z';
        frame[1] = (byte)'G';
        frame[2] = Version;
        frame[3] = Kind;
        frame[4] = (byte)traceParent.Length;
        Encoding.ASCII.GetBytes(traceParent, 0, traceParent.Length, frame, FixedSize);
        Encoding.ASCII.GetBytes(state, 0, state.Length, frame, FixedSize + traceParent.Length);
        return frame;
    }

    /// <summary>
    /// Reads a trace context frame into its traceparent and tracestate (null when empty); false when the frame is not one,
    /// its traceparent length is 0 or runs past the frame, its tracestate is too long, or either is not ASCII.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> frame, out string traceParent, out string? traceState)
    {
        traceParent = string.Empty;
        traceState = null;
        if (!Is(frame) || frame.Length < FixedSize || frame[4] == 0 || frame.Length < FixedSize + frame[4]
            || frame.Length - FixedSize - frame[4] > MaxTraceStateBytes)
        {
            return false;
        }

        var parent = frame.Slice(FixedSize, frame[4]);
        var state = frame.Slice(FixedSize + frame[4]);
        if (!IsAscii(parent) || !IsAscii(state))
        {
            return false;
        }

        traceParent = Encoding.ASCII.GetString(parent);
        traceState = state.IsEmpty ? null : Encoding.ASCII.GetString(state);
        return true;
    }

    private static bool IsAscii(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            if (b is < 0x20 or > 0x7E)
            {
                return false;
            }
        }

        return true;
    }
}
