#if NET
namespace ZmqGame.Transport;

/// <summary>
/// Decides, at accept, whether a TCP connection to a <see cref="ZmtpRouter"/> is kept, by the peer's IP address (IPv6,
/// an IPv4 address mapped into it: <c>::ffff:a.b.c.d</c>). A refused connection is closed before any byte is sent or
/// read. Called on the router's loop thread only.
/// </summary>
internal interface IAcceptFilter
{
    /// <summary>A connection from <paramref name="address"/> was accepted: true keeps it, false closes it at once.</summary>
    bool TryAccept(UInt128 address);

    /// <summary>A connection this filter kept has closed.</summary>
    void Closed(UInt128 address);
}
#endif
