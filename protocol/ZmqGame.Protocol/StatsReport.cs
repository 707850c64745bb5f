using MessagePack;
using MessagePack.Formatters;

namespace ZmqGame.Protocol;

/// <summary>
/// The broker's answer to the control command <c>stats</c> (docs/protocol.md, "Control endpoint"): one MessagePack
/// map <c>{"counters": {name: n}, "services": {name: service}, "workers": n, "sessions": n, …}</c>. Every numeric
/// top-level entry is a gauge (<see cref="Gauges"/>), so a broker may report more of them than this build names.
/// </summary>
[MessagePackFormatter(typeof(StatsReportFormatter))]
internal sealed class StatsReport
{
    /// <summary>Key of the counters map.</summary>
    public const string CountersKey = "counters";

    /// <summary>Key of the services map.</summary>
    public const string ServicesKey = "services";

    /// <summary>Key of the cluster section (a clustered broker only).</summary>
    public const string ClusterKey = "cluster";

    /// <summary>Key of the gauge of registered workers.</summary>
    public const string WorkersKey = "workers";

    /// <summary>Counter: requests of a session refused by the broker's request rate limit (answered <c>rate limited</c>).</summary>
    public const string RateLimitedSessionKey = "rate_limited.session";

    /// <summary>Counter: requests of a ZmqGame client without a session refused by its connection's rate limit (answered).</summary>
    public const string RateLimitedConnectionKey = "rate_limited.connection";

    /// <summary>Counter: requests of a stock MDP client refused by its connection's rate limit (dropped, no answer).</summary>
    public const string RateLimitedMdpKey = "rate_limited.mdp_dropped";

    /// <summary>Counter: frontend connections closed at accept for coming too fast from one IP address.</summary>
    public const string ConnectionsRefusedIpRateKey = "connections_refused.ip_rate";

    /// <summary>Counter: frontend connections closed at accept because their IP address had the most open connections allowed.</summary>
    public const string ConnectionsRefusedIpCapKey = "connections_refused.ip_cap";

    /// <summary>
    /// The broker's counters since it started (<c>requests</c>, <c>replies</c>, <c>bad_input.&lt;Kind&gt;</c>, the abuse
    /// limits' refusals <c>rate_limited.*</c> and <c>connections_refused.*</c>, …).
    /// </summary>
    public Dictionary<string, long> Counters { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Services by name.</summary>
    public Dictionary<string, ServiceReport> Services { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The numeric top-level entries: <c>workers</c>, <c>sessions</c>, <c>sessions_logged_in</c>,
    /// <c>sessions_detached</c>, <c>sessions_backlogged</c>, <c>groups</c>, <c>last_push_fanout_us</c>,
    /// <c>last_push_written_us</c>, and whatever else a broker reports there.
    /// </summary>
    public Dictionary<string, long> Gauges { get; set; } = new(StringComparer.Ordinal);

    /// <summary>A clustered broker's view of the whole cluster (each broker and the total); null without a cluster.</summary>
    public ClusterReport? Cluster { get; set; }

    /// <summary>Workers registered now (the <c>workers</c> gauge), or 0 when absent.</summary>
    public long Workers => Gauges.TryGetValue(WorkersKey, out var workers) ? workers : 0;
}

/// <summary>One service of a <see cref="StatsReport"/>.</summary>
[MessagePackObject]
internal sealed class ServiceReport
{
    /// <summary>Workers registered for the service.</summary>
    [Key("workers")]
    public long Workers { get; set; }

    /// <summary>Of those, idle ones.</summary>
    [Key("idle")]
    public long Idle { get; set; }

    /// <summary>Requests waiting for a worker.</summary>
    [Key("waiting")]
    public long Waiting { get; set; }

    /// <summary>Each worker of the service.</summary>
    [Key("worker_list")]
    public List<WorkerReport> WorkerList { get; set; } = [];

    /// <summary>Client requests for the service that reached the dispatcher (the service's share of <c>requests</c>).</summary>
    [Key("requests")]
    public long Requests { get; set; }

    /// <summary>Workers' REPLY messages to the service's client requests (the service's share of <c>replies</c>).</summary>
    [Key("replies")]
    public long Replies { get; set; }

    /// <summary>
    /// The service's client requests that ended in a status other than ok, by status name (<c>timeout</c>,
    /// <c>handler_failed</c>, …); only statuses that occurred.
    /// </summary>
    [Key("errors")]
    public Dictionary<string, long> Errors { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>One worker of a <see cref="ServiceReport"/>.</summary>
[MessagePackObject]
internal sealed class WorkerReport
{
    /// <summary>The worker's identity, in hex.</summary>
    [Key("id")]
    public string Id { get; set; } = string.Empty;

    /// <summary>The version from its worker info, or "(stock MDP worker)".</summary>
    [Key("version")]
    public string Version { get; set; } = string.Empty;

    /// <summary><c>idle</c>, <c>busy</c> or <c>draining</c>.</summary>
    [Key("state")]
    public string State { get; set; } = string.Empty;

    /// <summary>Seconds since it registered, to a tenth.</summary>
    [Key("uptime_s")]
    public double UptimeSeconds { get; set; }

    /// <summary>Requests it has answered.</summary>
    [Key("served")]
    public long Served { get; set; }
}

/// <summary>
/// Reads and writes <see cref="StatsReport"/>'s open top-level map: <c>counters</c> and <c>services</c> by key, every
/// other numeric entry as a gauge, anything else skipped. Numbers may be integers or floats (floats are truncated).
/// </summary>
internal sealed class StatsReportFormatter : IMessagePackFormatter<StatsReport?>
{
    public void Serialize(ref MessagePackWriter writer, StatsReport? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        writer.WriteMapHeader(2 + (value.Cluster is null ? 0 : 1) + value.Gauges.Count(g => g.Key is not (StatsReport.CountersKey or StatsReport.ServicesKey or StatsReport.ClusterKey)));
        writer.Write(StatsReport.CountersKey);
        writer.WriteMapHeader(value.Counters.Count);
        foreach (var (name, count) in value.Counters)
        {
            writer.Write(name);
            writer.Write(count);
        }

        writer.Write(StatsReport.ServicesKey);
        options.Resolver.GetFormatterWithVerify<Dictionary<string, ServiceReport>>().Serialize(ref writer, value.Services, options);
        foreach (var (name, gauge) in value.Gauges)
        {
            if (name is not (StatsReport.CountersKey or StatsReport.ServicesKey or StatsReport.ClusterKey))
            {
                writer.Write(name);
                writer.Write(gauge);
            }
        }

        if (value.Cluster is { } cluster)
        {
            writer.Write(StatsReport.ClusterKey);
            options.Resolver.GetFormatterWithVerify<ClusterReport>().Serialize(ref writer, cluster, options);
        }
    }

    public StatsReport? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        var report = new StatsReport();
        var count = reader.ReadMapHeader();
        options.Security.DepthStep(ref reader);
        try
        {
            for (var i = 0; i < count; i++)
            {
                if (reader.NextMessagePackType != MessagePackType.String)
                {
                    reader.Skip();
                    reader.Skip();
                    continue;
                }

                var key = reader.ReadString()!;
                if (key == StatsReport.CountersKey && reader.NextMessagePackType == MessagePackType.Map)
                {
                    ReadCounters(ref reader, report.Counters);
                }
                else if (key == StatsReport.ServicesKey && reader.NextMessagePackType == MessagePackType.Map)
                {
                    report.Services = options.Resolver.GetFormatterWithVerify<Dictionary<string, ServiceReport>>().Deserialize(ref reader, options)
                        ?? new(StringComparer.Ordinal);
                }
                else if (key == StatsReport.ClusterKey && reader.NextMessagePackType == MessagePackType.Map)
                {
                    report.Cluster = options.Resolver.GetFormatterWithVerify<ClusterReport>().Deserialize(ref reader, options);
                }
                else if (TryReadNumber(ref reader, out var number))
                {
                    report.Gauges[key] = number;
                }
                else
                {
                    reader.Skip();
                }
            }
        }
        finally
        {
            reader.Depth--;
        }

        return report;
    }

    private static void ReadCounters(ref MessagePackReader reader, Dictionary<string, long> counters)
    {
        var count = reader.ReadMapHeader();
        for (var i = 0; i < count; i++)
        {
            if (reader.NextMessagePackType != MessagePackType.String)
            {
                reader.Skip();
                reader.Skip();
                continue;
            }

            var name = reader.ReadString()!;
            if (TryReadNumber(ref reader, out var value))
            {
                counters[name] = value;
            }
            else
            {
                reader.Skip();
            }
        }
    }

    private static bool TryReadNumber(ref MessagePackReader reader, out long value)
    {
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Integer:
                value = reader.NextCode == MessagePackCode.UInt64 ? checked((long)reader.ReadUInt64()) : reader.ReadInt64();
                return true;
            case MessagePackType.Float:
                value = (long)reader.ReadDouble();
                return true;
            default:
                value = 0;
                return false;
        }
    }
}
