using System.Security.Cryptography;
using System.Text;

namespace ZmqGame.Broker.WebSocket;

/// <summary>
/// The HTTP/1.1 upgrade of the loop's WebSocket frontend (RFC 6455 section 4.2), read from a request head and answered
/// as the Kestrel path (<see cref="WebSocketListener"/>) answers it: 404 off the path, 400 for a request that is not a
/// WebSocket upgrade or offers no ZWS 2.0 subprotocol, else 101 with <c>Sec-WebSocket-Accept</c> and the subprotocol
/// taken (<see cref="Zws.PickProtocol"/>). The frontend shares the broker's loop, and Kestrel's cost per frame is what
/// it avoids, hence HTTP by hand here; it reads nothing but the request line and the handshake's headers. Pure
/// functions, no sockets.
/// </summary>
internal static class WebSocketHandshake
{
    /// <summary>Most bytes of a request head; a longer one is answered 431 and refused.</summary>
    public const int MaxHead = 8 * 1024;

    private const string Guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>Where the request head ends (after its empty line) in <paramref name="data"/>, or -1.</summary>
    public static int HeadEnd(ReadOnlySpan<byte> data)
    {
        var at = data.IndexOf("\r\n\r\n"u8);
        return at < 0 ? -1 : at + 4;
    }

    /// <summary>
    /// Reads a request head (up to its empty line) for the frontend on <paramref name="path"/>: the status to answer
    /// (101 to upgrade), the subprotocol and key for 101, and for 400 why (for the answer and the count).
    /// </summary>
    public static UpgradeRequest Read(ReadOnlySpan<byte> head, string path)
    {
        var text = Encoding.Latin1.GetString(head);
        var lines = text.Split("\r\n");
        var requestLine = lines[0].Split(' ');
        if (requestLine.Length != 3 || !requestLine[2].StartsWith("HTTP/1.", StringComparison.Ordinal) || requestLine[1].Length == 0)
        {
            return new UpgradeRequest(400, Refusal: "not an HTTP/1.1 request");
        }

        string? upgrade = null, connection = null, version = null, key = null;
        var protocols = new List<string>();
        for (var i = 1; i < lines.Length; i++)
        {
            var colon = lines[i].IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            var name = lines[i][..colon].Trim();
            var value = lines[i][(colon + 1)..].Trim();
            if (name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase))
            {
                upgrade = Join(upgrade, value);
            }
            else if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
            {
                connection = Join(connection, value);
            }
            else if (name.Equals("Sec-WebSocket-Version", StringComparison.OrdinalIgnoreCase))
            {
                version = value;
            }
            else if (name.Equals("Sec-WebSocket-Key", StringComparison.OrdinalIgnoreCase))
            {
                key = value;
            }
            else if (name.Equals("Sec-WebSocket-Protocol", StringComparison.OrdinalIgnoreCase))
            {
                protocols.Add(value);
            }
        }

        var target = requestLine[1];
        var query = target.IndexOf('?', StringComparison.Ordinal);
        var requested = Uri.UnescapeDataString(query < 0 ? target : target[..query]);
        if (!string.Equals(requested.Length > 0 ? requested : "/", path, StringComparison.Ordinal))
        {
            return new UpgradeRequest(404);
        }

        var isUpgrade = requestLine[0] == "GET" && requestLine[2] == "HTTP/1.1"
            && HasToken(connection, "upgrade") && HasToken(upgrade, "websocket")
            && version == "13" && IsKey(key);
        if (!isUpgrade)
        {
            return new UpgradeRequest(400, Refusal: "not a WebSocket upgrade");
        }

        var protocol = Zws.PickProtocol(protocols);
        return protocol is null
            ? new UpgradeRequest(400, Refusal: "no ZWS 2.0 subprotocol offered (Sec-WebSocket-Protocol: ZWS2.0/NULL or ZWS2.0)")
            : new UpgradeRequest(101, protocol, key);
    }

    /// <summary>The 101 answer taking the upgrade with <paramref name="protocol"/>.</summary>
    public static byte[] Switching(string key, string protocol) => Encoding.ASCII.GetBytes(
        "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
        + $"Sec-WebSocket-Accept: {AcceptKey(key)}\r\nSec-WebSocket-Protocol: {protocol}\r\n\r\n");

    /// <summary>A refusal with <paramref name="status"/>; for 400 the body says what the endpoint is and why. The connection closes after it.</summary>
    public static byte[] Refusal(int status, string? why)
    {
        var body = status == 400 && why is not null ? "ZmqGame broker: a ZWS 2.0 (ZeroMQ over WebSocket) endpoint; " + why + "\n" : string.Empty;
        var reason = status switch
        {
            400 => "Bad Request",
            404 => "Not Found",
            429 => "Too Many Requests",
            431 => "Request Header Fields Too Large",
            _ => "Service Unavailable",
        };
        var type = body.Length > 0 ? "Content-Type: text/plain; charset=utf-8\r\n" : string.Empty;
        return Encoding.UTF8.GetBytes($"HTTP/1.1 {status} {reason}\r\n{type}Content-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n\r\n{body}");
    }

    /// <summary><c>Sec-WebSocket-Accept</c>: base64(SHA-1(key + the RFC 6455 GUID)).</summary>
    public static string AcceptKey(string key)
    {
#pragma warning disable CA5350 // RFC 6455 defines Sec-WebSocket-Accept with SHA-1; nothing relies on its strength.
        return Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + Guid)));
#pragma warning restore CA5350
    }

    private static string Join(string? first, string value) => first is null ? value : first + "," + value;

    /// <summary>Whether the comma-separated <paramref name="list"/> has <paramref name="token"/> (any case).</summary>
    private static bool HasToken(string? list, string token)
    {
        if (list is null)
        {
            return false;
        }

        foreach (var item in list.Split(','))
        {
            if (item.Trim().Equals(token, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A key is 16 bytes in base64.</summary>
    private static bool IsKey(string? key)
    {
        Span<byte> bytes = stackalloc byte[24];
        return key is { Length: 24 } && Convert.TryFromBase64String(key, bytes, out var written) && written == 16;
    }
}

/// <summary>What a request head asks and how it is answered (<see cref="WebSocketHandshake.Read"/>).</summary>
/// <param name="Status">101 to upgrade; else the refusal's status.</param>
/// <param name="Protocol">For 101: the subprotocol taken.</param>
/// <param name="Key">For 101: the client's <c>Sec-WebSocket-Key</c>.</param>
/// <param name="Refusal">For 400: why (said in the answer and counted).</param>
internal readonly record struct UpgradeRequest(int Status, string? Protocol = null, string? Key = null, string? Refusal = null);
