namespace ZmqGame.Transport.WebSocket;

/// <summary>A broker's WebSocket frontend as an endpoint: <c>ws://host:port[/path]</c> or <c>wss://host:port[/path]</c>.</summary>
internal static class WebSocketEndpoint
{
    /// <summary>True for <c>ws://</c> and <c>wss://</c> endpoints.</summary>
    public static bool IsWebSocket(string endpoint) =>
        endpoint.StartsWith("ws://", StringComparison.OrdinalIgnoreCase) || endpoint.StartsWith("wss://", StringComparison.OrdinalIgnoreCase);

    /// <summary>The URL of <paramref name="endpoint"/>; throws <see cref="ArgumentException"/> when it is no ws:// or wss:// URL with a host.</summary>
    public static Uri Parse(string endpoint)
    {
        if (!IsWebSocket(endpoint) || !Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
        {
            throw new ArgumentException($"{endpoint}: expected ws://host:port[/path] or wss://host:port[/path]");
        }

        return uri;
    }
}
