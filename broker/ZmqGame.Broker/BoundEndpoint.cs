namespace ZmqGame.Broker;

/// <summary>
/// What an endpoint is bound to, for the operator: the configured address as bound (<c>0.0.0.0</c> and <c>*</c> stay
/// as they are, since they expose the port on every interface) with the port that was chosen. The router's own
/// endpoint is the connectable one (a wildcard shown as loopback), which is what peers and tests connect to.
/// </summary>
internal static class BoundEndpoint
{
    /// <summary>
    /// <paramref name="configured"/> (e.g. <c>tcp://0.0.0.0:0</c>) with the port of <paramref name="connectable"/>
    /// (e.g. <c>tcp://127.0.0.1:40123</c>); <paramref name="connectable"/> itself for any other transport.
    /// </summary>
    public static string Describe(string configured, string connectable)
    {
        const string Tcp = "tcp://";
        if (!configured.StartsWith(Tcp, StringComparison.OrdinalIgnoreCase) || !connectable.StartsWith(Tcp, StringComparison.OrdinalIgnoreCase))
        {
            return connectable;
        }

        var host = configured.LastIndexOf(':');
        var port = connectable.LastIndexOf(':');
        return host > Tcp.Length && port > Tcp.Length ? string.Concat(configured.AsSpan(0, host), connectable.AsSpan(port)) : connectable;
    }
}
