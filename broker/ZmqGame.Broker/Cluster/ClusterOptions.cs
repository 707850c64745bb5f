namespace ZmqGame.Broker.Cluster;

/// <summary>
/// The broker cluster (section "Broker:Cluster"): brokers joined through nats-server with JetStream share the session
/// key, single login, pushes, kicks and groups. Without <see cref="Nats"/> the broker stands alone and touches no NATS.
/// </summary>
internal sealed class ClusterOptions
{
    /// <summary>The NATS server URL(s) to join, comma-separated (<c>nats://host:4222</c>). Empty: no cluster.</summary>
    public string Nats { get; set; } = string.Empty;

    /// <summary>The cluster's name: the prefix of its subjects and of its key-value buckets (letters, digits, '-', '_').</summary>
    public string Name { get; set; } = "zmqgame";

    /// <summary>How long the broker waits at start for NATS (the session key and the single-login records live there).</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the control endpoint waits for the other brokers' answers (trigger actions and stats).</summary>
    public TimeSpan GatherTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Messages waiting to go to NATS; past it (NATS slow or down) more are dropped and counted.</summary>
    public int PublishQueueLimit { get; set; } = 10_000;

    public bool Enabled => Nats.Length > 0;

    /// <summary>Throws with a clear message when a setting is out of range.</summary>
    public void Validate()
    {
        if (!Enabled)
        {
            return;
        }

        foreach (var url in Nats.Split(','))
        {
            var trimmed = url.Trim();
            if (!(trimmed.StartsWith("nats://", StringComparison.Ordinal) || trimmed.StartsWith("tls://", StringComparison.Ordinal))
                || !Uri.TryCreate(trimmed, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
            {
                throw new ArgumentException($"invalid broker options: Cluster:Nats entry '{trimmed}' is not a nats://host:port URL");
            }
        }

        if (Name.Length is 0 or > 64 || !Name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            throw new ArgumentException($"invalid broker options: Cluster:Name '{Name}' must be 1 to 64 letters, digits, '-' or '_'");
        }

        if (StartTimeout <= TimeSpan.Zero || GatherTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("invalid broker options: Cluster:StartTimeout and Cluster:GatherTimeout must be positive");
        }

        if (PublishQueueLimit < 1)
        {
            throw new ArgumentException("invalid broker options: Cluster:PublishQueueLimit must be at least 1");
        }
    }
}
