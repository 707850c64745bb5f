namespace ZmqGame.Hosting.Http;

/// <summary>
/// The syntax of the <c>Http:Url</c> setting of the broker and the worker host: <c>http://host:port</c>, where host is
/// an IP address, <c>localhost</c>, or <c>*</c> / <c>+</c> for every address, and port 0 picks a free one.
/// </summary>
internal static class HttpUrl
{
    /// <summary>What the setting looks like, for error messages.</summary>
    public const string Syntax = "http://host:port, e.g. http://127.0.0.1:9090 (port 0: a free port)";

    /// <summary>Why <paramref name="url"/> cannot be listened on, as the end of a sentence; null when it can.</summary>
    public static string? Problem(string url)
    {
        var probe = url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal);
        if (!Uri.TryCreate(probe, UriKind.Absolute, out var uri))
        {
            return "is not a URL (" + Syntax + ")";
        }

        if (uri.Scheme == Uri.UriSchemeHttps)
        {
            return "is https, which is not served (listen on http, on loopback or behind a TLS proxy)";
        }

        if (uri.Scheme != Uri.UriSchemeHttp || uri.HostNameType == UriHostNameType.Unknown)
        {
            return "is not an http URL (" + Syntax + ")";
        }

        if (uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
        {
            return "has more than a scheme, a host and a port (" + Syntax + ")";
        }

        if (uri.HostNameType == UriHostNameType.Dns && !uri.IsLoopback)
        {
            return "names a host other than localhost; give an IP address, or * for every address (" + Syntax + ")";
        }

        return null;
    }
}
