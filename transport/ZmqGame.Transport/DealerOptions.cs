namespace ZmqGame.Transport;

/// <summary>
/// What differs between the programs that open DEALER connections. The own transport needs none of it (it speaks only
/// the NULL mechanism and writes what is queued on its last turn); NetMQ uses all of it.
/// </summary>
internal sealed class DealerOptions
{
    /// <summary>The broker's CURVE public key (32 bytes), or null for none. With a key the connections use CURVE with a
    /// certificate the loop makes once; and <see cref="TransportChoice.UsesOwnTransport"/> rules the own transport out.</summary>
    public byte[]? CurveServerKey { get; set; }

    /// <summary>
    /// How long a connection still open when the loop is disposed may keep sending what is queued (NetMQ linger).
    /// The worker gives its final DISCONNECTs one second to leave; the client drops what is left (zero). A link closed
    /// with <see cref="IDealerLink.Close"/> always drops at once. Default zero.
    /// </summary>
    public TimeSpan FinalLinger { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// At most this many messages read from one connection, and this many posted actions run, per NetMQ poller event
    /// before the other sockets get their turn (the client 256, the worker 64). Default 64.
    /// </summary>
    public int Batch { get; set; } = 64;

    /// <summary>
    /// On the own transport, run on one of the process-wide shared loops (<c>SharedConnectionLoop</c>) instead of
    /// a thread of its own; elsewhere (NetMQ, WebSocket) it changes nothing. Default false.
    /// </summary>
    public bool SharedLoop { get; set; }
}
