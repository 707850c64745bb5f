using System.Globalization;

namespace ZmqGame.Protocol;

/// <summary>
/// The endpoints every ZmqGame program takes, checked before any socket sees them: <c>tcp://host:port</c>
/// (<c>*</c> for every interface, and port <c>0</c> or <c>*</c> for a free one, only where the program binds),
/// <c>ipc://path</c> and <c>inproc://name</c>. A socket given anything else fails late and obscurely (or, for
/// <c>udp://</c>, takes the process down), so the programs refuse it with one line instead.
/// </summary>
internal static class EndpointSyntax
{
    /// <summary>The accepted forms, for usage text and error messages.</summary>
    public const string Forms = "tcp://host:port, ipc://path or inproc://name";

    /// <summary>
    /// The endpoints of a comma-separated list (<c>tcp://b1:5556,tcp://b2:5556</c>), trimmed, empty entries and
    /// repeats left out, in their order: what the worker, the client and the trigger take to reach several brokers.
    /// </summary>
    public static IReadOnlyList<string> Split(string? list)
    {
        if (string.IsNullOrWhiteSpace(list))
        {
            return [];
        }

        var endpoints = new List<string>();
        foreach (var entry in list.Split(','))
        {
            var part = entry.Trim();
            if (part.Length > 0 && !endpoints.Contains(part, StringComparer.Ordinal))
            {
                endpoints.Add(part);
            }
        }

        return endpoints;
    }

    /// <summary>
    /// Null when <paramref name="list"/> is a comma-separated list of at least one endpoint to connect to (see
    /// <see cref="Split"/>); otherwise why not, naming the first bad entry: <c>'x' is not …</c>. With
    /// <paramref name="webSocket"/> (clients), a broker's WebSocket frontend is an endpoint too: <c>ws://host:port[/path]</c>
    /// or <c>wss://…</c>.
    /// </summary>
    public static string? ListProblem(string? list, bool webSocket = false)
    {
        var endpoints = Split(list);
        if (endpoints.Count == 0)
        {
            return Problem(string.Empty, bind: false);
        }

        foreach (var endpoint in endpoints)
        {
            if ((webSocket && IsWebSocket(endpoint) ? WebSocketProblem(endpoint) : Problem(endpoint, bind: false)) is { } problem)
            {
                return endpoints.Count == 1 ? problem : $"has an entry '{endpoint}' that {problem}";
            }
        }

        return null;
    }

    private static bool IsWebSocket(string endpoint) =>
        endpoint.StartsWith("ws://", StringComparison.OrdinalIgnoreCase) || endpoint.StartsWith("wss://", StringComparison.OrdinalIgnoreCase);

    /// <summary>Null when the <c>ws://</c>/<c>wss://</c> URL <paramref name="endpoint"/> names a host (and a port of 1 to 65535) to connect to; otherwise why not.</summary>
    private static string? WebSocketProblem(string endpoint) =>
        Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) && uri.Host.Length > 0 && uri.Host != "*" && uri.Port is > 0 and <= 65535
            ? null
            : "is not a WebSocket URL to connect to (e.g. ws://localhost:5580)";

    /// <summary>
    /// Null when <paramref name="endpoint"/> is an endpoint to bind (<paramref name="bind"/>) or to connect to;
    /// otherwise why not, as a phrase ("is not …") to follow the value in an error message.
    /// </summary>
    public static string? Problem(string? endpoint, bool bind)
    {
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            return "is empty: give an endpoint such as " + (bind ? "tcp://*:5555" : "tcp://localhost:5555");
        }

        var separator = endpoint.IndexOf("://", StringComparison.Ordinal);
        if (separator <= 0)
        {
            return "is not an endpoint (" + Forms + ")";
        }

        var scheme = endpoint[..separator];
        var address = endpoint[(separator + 3)..];
        switch (scheme)
        {
            case "ipc" or "inproc":
                return address.Length == 0 ? $"has no {(scheme == "ipc" ? "path" : "name")} after {scheme}://" : null;
            case "tcp":
                break;
            default:
                return $"uses the transport {scheme}://, which ZmqGame does not speak ({Forms})";
        }

        var colon = address.LastIndexOf(':');
        if (colon <= 0 || colon == address.Length - 1)
        {
            return "has no host:port after tcp:// (e.g. " + (bind ? "tcp://*:5555" : "tcp://localhost:5555") + ")";
        }

        var host = address[..colon];
        var port = address[(colon + 1)..];
        if (!bind && host == "*")
        {
            return "names no host to connect to (* is for binding)";
        }

        if (port == "*" && bind)
        {
            return null;
        }

        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number > 65535 || (!bind && number == 0))
        {
            return $"has no valid port ('{port}': {(bind ? "0 to 65535, or * for a free one" : "1 to 65535")})";
        }

        return null;
    }
}
