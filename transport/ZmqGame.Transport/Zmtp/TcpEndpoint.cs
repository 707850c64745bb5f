using System.Net;
using System.Net.Sockets;

namespace ZmqGame.Transport;

/// <summary>A ZeroMQ <c>tcp://host:port</c> endpoint.</summary>
internal static class TcpEndpoint
{
    /// <summary>True for the endpoints the ZMTP transport serves (TCP).</summary>
    public static bool IsTcp(string endpoint) => endpoint.StartsWith("tcp://", StringComparison.Ordinal);

    /// <summary>Host and port of <c>tcp://host:port</c>; a port of * is 0. Throws <see cref="ArgumentException"/> on anything else.</summary>
    public static (string Host, int Port) Split(string endpoint)
    {
        var rest = IsTcp(endpoint) ? endpoint["tcp://".Length..] : throw new ArgumentException($"{endpoint}: expected tcp://host:port");
        var colon = rest.LastIndexOf(':');
        if (colon <= 0)
        {
            throw new ArgumentException($"{endpoint}: expected tcp://host:port");
        }

        var host = rest[..colon].Trim('[', ']');
        var portText = rest[(colon + 1)..];
        var port = portText == "*" ? 0 : int.TryParse(portText, out var p) && p is >= 0 and <= 65535 ? p
            : throw new ArgumentException($"{endpoint}: bad port {portText}");
        return (host, port);
    }

    /// <summary>The address <paramref name="host"/> names (an IPv4 one when it resolves to both).</summary>
    public static IPAddress Resolve(string host)
    {
        if (IPAddress.TryParse(host, out var address))
        {
            return address;
        }

        var addresses = Dns.GetHostAddresses(host);
        return addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new ArgumentException($"{host} does not resolve");
    }
}
