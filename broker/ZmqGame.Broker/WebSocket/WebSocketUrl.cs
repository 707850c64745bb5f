using System.Net;

namespace ZmqGame.Broker.WebSocket;

/// <summary>
/// The <c>Broker:WebSocket</c> setting (<c>--websocket</c>): <c>ws://host:port[/path]</c>, or <c>wss://…</c> with a
/// certificate (<c>Broker:WebSocketCertificate</c>). The host is an IP address, <c>localhost</c> (loopback), or
/// <c>*</c> for every address; port 0 picks a free one; the path, <c>/</c> unless given, is where clients connect.
/// </summary>
internal sealed record WebSocketUrl(bool Secure, IPAddress Address, int Port, string Path)
{
    /// <summary>What the setting looks like, for error messages.</summary>
    public const string Syntax = "ws://host:port[/path] or wss://host:port[/path], e.g. ws://*:5580 (port 0: a free port)";

    /// <summary>Reads <paramref name="url"/>; null with <paramref name="problem"/> (the end of a sentence) when it is not one.</summary>
    public static WebSocketUrl? TryParse(string url, out string? problem)
    {
        problem = null;
        var probe = url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal);
        if (!Uri.TryCreate(probe, UriKind.Absolute, out var uri) || (uri.Scheme != "ws" && uri.Scheme != "wss"))
        {
            problem = "is not a ws:// or wss:// URL (" + Syntax + ")";
            return null;
        }

        if (uri.IsDefaultPort && !probe.Contains(":" + uri.Port, StringComparison.Ordinal))
        {
            problem = "has no port (" + Syntax + ")";
            return null;
        }

        if (uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
        {
            problem = "has more than a scheme, a host, a port and a path (" + Syntax + ")";
            return null;
        }

        IPAddress address;
        if (uri.IsLoopback && uri.HostNameType == UriHostNameType.Dns)
        {
            address = IPAddress.Loopback;
        }
        else if (!IPAddress.TryParse(uri.Host.Trim('[', ']'), out address!))
        {
            problem = "names a host other than localhost; give an IP address, or * for every address (" + Syntax + ")";
            return null;
        }

        return new WebSocketUrl(uri.Scheme == "wss", address, uri.Port, uri.AbsolutePath);
    }

    /// <summary>The URL clients on this host connect to, once bound to <paramref name="port"/> (every address shown as loopback).</summary>
    public string Connectable(int port)
    {
        var host = Address.Equals(IPAddress.Any) ? "127.0.0.1"
            : Address.Equals(IPAddress.IPv6Any) ? "[::1]"
            : Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{Address}]"
            : Address.ToString();
        return $"{(Secure ? "wss" : "ws")}://{host}:{port}{Path}";
    }
}
