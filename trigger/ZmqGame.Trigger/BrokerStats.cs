using MessagePack;
using ZmqGame.Protocol;

namespace ZmqGame.Trigger;

/// <summary>The broker's answer to <c>stats</c> (docs/protocol.md, "Control endpoint"): counters, gauges and services.</summary>
public sealed class BrokerStats
{
    private readonly byte[] _result;

    private static readonly IReadOnlyDictionary<string, BrokerStats> NoBrokers = new Dictionary<string, BrokerStats>();

    private BrokerStats(byte[] result, IReadOnlyDictionary<string, long> counters, IReadOnlyDictionary<string, long> gauges, IReadOnlyDictionary<string, ServiceStats> services)
    {
        _result = result;
        Counters = counters;
        Gauges = gauges;
        Services = services;
    }

    /// <summary>In a broker cluster (docs/cluster.md): the id of the broker that answered; null for a broker alone.</summary>
    public string? Broker { get; private init; }

    /// <summary>In a broker cluster: each broker's stats (those that answered in time), by broker id; empty for a broker alone.</summary>
    public IReadOnlyDictionary<string, BrokerStats> Brokers { get; private init; } = NoBrokers;

    /// <summary>In a broker cluster: every broker's counters and gauges added up, services merged; null for a broker alone.</summary>
    public BrokerStats? ClusterTotal { get; private init; }

    /// <summary>The broker's counters since it started (<c>requests</c>, <c>replies</c>, <c>bad_input.&lt;Kind&gt;</c>, …; docs/operations.md).</summary>
    public IReadOnlyDictionary<string, long> Counters { get; }

    /// <summary>
    /// Every numeric top-level entry of the stats map: <c>workers</c>, and whatever else the broker reports there
    /// (e.g. <c>sessions</c>, <c>users</c>, <c>groups</c>).
    /// </summary>
    public IReadOnlyDictionary<string, long> Gauges { get; }

    /// <summary>Services by name.</summary>
    public IReadOnlyDictionary<string, ServiceStats> Services { get; }

    /// <summary>Workers registered now (the <c>workers</c> entry), or 0 when absent.</summary>
    public long Workers => Gauges.GetValueOrDefault("workers");

    /// <summary>The whole stats map as JSON, including entries this type does not model.</summary>
    public string ToJson() => MessagePackSerializer.ConvertToJson(_result, Payload.Options);

    /// <summary>Reads a stats result frame.</summary>
    /// <exception cref="TriggerException">(MalformedAnswer) The frame is not a stats map.</exception>
    internal static BrokerStats Parse(byte[] result)
    {
        try
        {
            var report = MessagePackSerializer.Deserialize<StatsReport?>(result, Payload.Options)
                ?? throw new MessagePackSerializationException("nil");
            return From(report, result);
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or InvalidCastException or OverflowException)
        {
            throw new TriggerException(TriggerFailure.MalformedAnswer, "the stats answer is not a stats map: " + ex.Message, innerException: ex);
        }
    }

    private static BrokerStats From(StatsReport report, byte[] result)
    {
        var services = new Dictionary<string, ServiceStats>(StringComparer.Ordinal);
        foreach (var (name, service) in report.Services)
        {
            if (service is not null)
            {
                services[name] = ServiceStats.From(service);
            }
        }

        if (report.Cluster is not { } cluster)
        {
            return new BrokerStats(result, report.Counters, report.Gauges, services);
        }

        var brokers = new SortedDictionary<string, BrokerStats>(StringComparer.Ordinal);
        foreach (var (id, other) in cluster.Brokers)
        {
            if (other is not null)
            {
                brokers[id] = From(other, MessagePackSerializer.Serialize(other, Payload.Options));
            }
        }

        return new BrokerStats(result, report.Counters, report.Gauges, services)
        {
            Broker = cluster.Broker,
            Brokers = brokers,
            ClusterTotal = cluster.Total is { } total ? From(total, MessagePackSerializer.Serialize(total, Payload.Options)) : null,
        };
    }
}

/// <summary>One service in <see cref="BrokerStats.Services"/>.</summary>
public sealed class ServiceStats
{
    private ServiceStats(long workers, long idle, long waiting, IReadOnlyList<WorkerStats> workerList)
    {
        Workers = workers;
        Idle = idle;
        Waiting = waiting;
        WorkerList = workerList;
    }

    /// <summary>Client requests for the service that the broker took (its share of the <c>requests</c> counter).</summary>
    public long Requests { get; private init; }

    /// <summary>Workers' replies to the service's client requests (its share of the <c>replies</c> counter).</summary>
    public long Replies { get; private init; }

    /// <summary>
    /// The service's client requests that ended in a status other than ok, by status name (<c>timeout</c>, <c>busy</c>,
    /// <c>worker_lost</c>, <c>handler_failed</c>, …); only statuses that occurred. docs/operations.md.
    /// </summary>
    public IReadOnlyDictionary<string, long> Errors { get; private init; } = new Dictionary<string, long>();

    /// <summary>Workers registered for the service.</summary>
    public long Workers { get; }

    /// <summary>Of those, idle ones.</summary>
    public long Idle { get; }

    /// <summary>Requests waiting for a worker.</summary>
    public long Waiting { get; }

    /// <summary>Each worker of the service.</summary>
    public IReadOnlyList<WorkerStats> WorkerList { get; }

    internal static ServiceStats From(ServiceReport report) =>
        new(report.Workers, report.Idle, report.Waiting, report.WorkerList.Where(w => w is not null).Select(WorkerStats.From).ToList())
        {
            Requests = report.Requests,
            Replies = report.Replies,
            Errors = report.Errors ?? new Dictionary<string, long>(StringComparer.Ordinal),
        };
}

/// <summary>One worker in <see cref="ServiceStats.WorkerList"/>.</summary>
public sealed class WorkerStats
{
    private WorkerStats(string id, string version, string state, double uptimeSeconds, long served)
    {
        Id = id;
        Version = version;
        State = state;
        UptimeSeconds = uptimeSeconds;
        Served = served;
    }

    /// <summary>The worker's identity, in hex.</summary>
    public string Id { get; }

    /// <summary>The version from its worker info, or "(stock MDP worker)".</summary>
    public string Version { get; }

    /// <summary><c>idle</c>, <c>busy</c>, <c>paused</c> or <c>draining</c>.</summary>
    public string State { get; }

    /// <summary>Seconds since it registered.</summary>
    public double UptimeSeconds { get; }

    /// <summary>Requests it has answered.</summary>
    public long Served { get; }

    internal static WorkerStats From(WorkerReport report) =>
        new(report.Id ?? string.Empty, report.Version ?? string.Empty, report.State ?? string.Empty, report.UptimeSeconds, report.Served);
}
