namespace ZmqGame.Protocol;

/// <summary>
/// The ZmqGame client extension of the frontend protocol (header "ZGC01"), spoken only by peers
/// that send it first. See docs/protocol.md.
/// </summary>
internal static class ZgClient
{
    /// <summary>Protocol header of a ZmqGame client: "ZGC01".</summary>
    public static ReadOnlySpan<byte> Header => "ZGC01"u8;

    /// <summary>Client to broker: [service][request header][payload…].</summary>
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
}
