namespace ZmqGame.Worker.Host.Http;

/// <summary>The worker host's HTTP endpoint (section "Worker:Http"): metrics and health; off unless <see cref="Url"/> is set.</summary>
internal sealed class WorkerHttpOptions
{
    /// <summary>The setting's configuration section.</summary>
    public const string Section = "Worker:Http";

    /// <summary>Where to serve <c>/metrics</c>, <c>/healthz</c> and <c>/readyz</c>, e.g. <c>http://127.0.0.1:9091</c> (port 0: a free port). Empty: no HTTP.</summary>
    public string Url { get; set; } = string.Empty;

    public bool Enabled => Url.Length > 0;
}
