namespace ZmqGame.Broker.Http;

/// <summary>The broker's HTTP endpoint (section "Broker:Http"): metrics and health; off unless <see cref="Url"/> is set.</summary>
internal sealed class HttpOptions
{
    /// <summary>Where to serve <c>/metrics</c>, <c>/healthz</c> and <c>/readyz</c>, e.g. <c>http://127.0.0.1:9090</c> (port 0: a free port). Empty: no HTTP.</summary>
    public string Url { get; set; } = string.Empty;

    /// <summary>
    /// The admin console's token (<c>--admin-token</c>): when set, every <c>/admin/api</c> request needs the header
    /// <c>Authorization: Bearer &lt;token&gt;</c>; when empty, the console answers loopback clients only (README, "Admin console").
    /// </summary>
    public string AdminToken { get; set; } = string.Empty;

    public bool Enabled => Url.Length > 0;
}
