using System.Net.WebSockets;

namespace ZmqGame.Broker.WebSocket;

/// <summary>What one received WebSocket message meant to a <see cref="ZwsReceiver"/>.</summary>
internal enum ZwsReceivedKind : byte
{
    /// <summary>Nothing to hand on (a frame of a message still coming, a PONG, a libzmq heartbeat…).</summary>
    Nothing,

    /// <summary>The handshake is done: the peer asked for <see cref="ZwsReceived.Identity"/> (empty: none).</summary>
    Ready,

    /// <summary>A PING: the PONG to send is in the buffer given, <see cref="ZwsReceived.PongLength"/> bytes.</summary>
    Pong,

    /// <summary>A whole message: <see cref="ZwsReceiver.TakeMessage"/>.</summary>
    Message,

    /// <summary>The peer broke ZWS 2.0: close with <see cref="ZwsReceived.Status"/>, saying <see cref="ZwsReceived.Why"/>.</summary>
    Close,
}

/// <summary>The outcome of <see cref="ZwsReceiver.Receive"/>.</summary>
internal readonly record struct ZwsReceived(ZwsReceivedKind Kind, byte[]? Identity = null, int PongLength = 0, WebSocketCloseStatus Status = default, string? Why = null)
{
    public static ZwsReceived Reject(WebSocketCloseStatus status, string why) => new(ZwsReceivedKind.Close, Status: status, Why: why);
}

/// <summary>
/// The broker's side of ZWS 2.0 for one connection, as both WebSocket servers (Kestrel's and the loop's) apply it to each
/// whole WebSocket message: the handshake (a READY command with <c>ZWS2.0/NULL</c>, a routing-id message with bare
/// <c>ZWS2.0</c>), the flags byte, commands (PING answered), and frames gathered into messages within the size limit.
/// Every rule that closes a connection, and the close status and reason it gives, is here once. No I/O.
/// </summary>
internal sealed class ZwsReceiver(bool nullMechanism)
{
    private ZwsMessage _message = new();
    private ZwsMessage? _spare;

    /// <summary>The peer's handshake is done.</summary>
    public bool Ready { get; private set; }

    /// <summary>
    /// One WebSocket message: <paramref name="kept"/> holds its bytes (the flags byte first) when it was kept whole, else
    /// only its flags byte (it was over the limit and only counted); <paramref name="size"/> is its whole size.
    /// </summary>
    /// <param name="kept">The message's bytes, or just its first byte when <paramref name="whole"/> is false; empty when <paramref name="size"/> is 0.</param>
    /// <param name="size">Bytes of the WebSocket message.</param>
    /// <param name="whole">Whether <paramref name="kept"/> is the whole message.</param>
    /// <param name="limit">The message size limit (frame bodies together).</param>
    /// <param name="pong">Where a PONG command is written (at least 22 bytes).</param>
    public ZwsReceived Receive(ReadOnlySpan<byte> kept, long size, bool whole, long limit, Span<byte> pong)
    {
        if (size == 0)
        {
            return ZwsReceived.Reject(WebSocketCloseStatus.ProtocolError, "an empty message (a ZWS 2.0 frame starts with its flags byte)");
        }

        var flags = kept[0];
        if (!Zws.ValidFlags(flags))
        {
            return ZwsReceived.Reject(WebSocketCloseStatus.ProtocolError, $"flags 0x{flags:X2} (ZWS 2.0 defines only MORE 0x01 and COMMAND 0x02)");
        }

        var more = (flags & Zws.FlagMore) != 0;
        var body = whole ? kept[1..] : [];
        if ((flags & Zws.FlagCommand) != 0)
        {
            if (more || _message.Count > 0 || _message.Size > 0)
            {
                return ZwsReceived.Reject(WebSocketCloseStatus.ProtocolError, "a command inside a multipart message");
            }

            if (!whole)
            {
                return ZwsReceived.Reject(WebSocketCloseStatus.MessageTooBig, $"a command of {size - 1} bytes");
            }

            if (!Ready)
            {
                if (!nullMechanism || Zmtp.Classify(body) != Zmtp.CommandKind.Ready)
                {
                    return ZwsReceived.Reject(WebSocketCloseStatus.ProtocolError, nullMechanism ? "a command other than READY during the handshake" : "a command before the routing id (subprotocol ZWS2.0)");
                }

                if (Zmtp.ReadReady(body, out var asked) is { } bad)
                {
                    return ZwsReceived.Reject(WebSocketCloseStatus.ProtocolError, bad);
                }

                Ready = true;
                return new ZwsReceived(ZwsReceivedKind.Ready, Identity: asked.ToArray());
            }

            if (Zmtp.Classify(body) == Zmtp.CommandKind.Ping)
            {
                return new ZwsReceived(ZwsReceivedKind.Pong, PongLength: Zws.WritePong(body, pong));
            }

            // Other commands once ready (PONG, a libzmq heartbeat, SUBSCRIBE…) mean nothing here.
            return default;
        }

        if (!Ready)
        {
            if (nullMechanism)
            {
                return ZwsReceived.Reject(WebSocketCloseStatus.ProtocolError, "a message before READY");
            }

            if (more || !whole || size - 1 > byte.MaxValue)
            {
                return ZwsReceived.Reject(WebSocketCloseStatus.ProtocolError, "a routing-id message that is not one frame of at most 255 bytes");
            }

            Ready = true;
            return new ZwsReceived(ZwsReceivedKind.Ready, Identity: body.ToArray());
        }

        _message.Add(body, size - 1, whole ? limit : -1);
        return more ? default : new ZwsReceived(ZwsReceivedKind.Message);
    }

    /// <summary>The whole message just received; the next one starts afresh. The caller releases it (or hands its frames on).</summary>
    public ZwsMessage TakeMessage()
    {
        var message = _message;
        _message = _spare ?? new ZwsMessage();
        _spare = null;
        return message;
    }

    /// <summary>Takes back a message from <see cref="TakeMessage"/> once handed on, to receive the next one into.</summary>
    public void Recycle(ZwsMessage message)
    {
        message.Reset();
        _spare = message;
    }

    /// <summary>The connection ended: frees a message left half received.</summary>
    public void Release() => _message.Release();
}
