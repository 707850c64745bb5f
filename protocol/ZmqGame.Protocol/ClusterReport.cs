using MessagePack;

namespace ZmqGame.Protocol;

/// <summary>
/// The <c>cluster</c> entry of a clustered broker's <c>stats</c> answer (docs/cluster.md, "Stats"): the cluster's name,
/// the answering broker's id, each broker's own report (those that answered in time) and their total. A broker
/// without a cluster leaves it out.
/// </summary>
[MessagePackObject]
internal sealed class ClusterReport
{
    /// <summary>The cluster's name.</summary>
    [Key("name")]
    public string Name { get; set; } = string.Empty;

    /// <summary>The id of the broker that answered.</summary>
    [Key("broker")]
    public string Broker { get; set; } = string.Empty;

    /// <summary>Each broker's report, by broker id.</summary>
    [Key("brokers")]
    public Dictionary<string, StatsReport> Brokers { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The brokers' counters and gauges added up, and their services merged.</summary>
    [Key("total")]
    public StatsReport? Total { get; set; }

    /// <summary>Adds up counters and gauges, and merges services (workers, idle, waiting, worker lists, requests, replies and errors).</summary>
    public static StatsReport Sum(IEnumerable<StatsReport> reports)
    {
        var total = new StatsReport();
        foreach (var report in reports)
        {
            foreach (var (name, value) in report.Counters)
            {
                total.Counters[name] = total.Counters.GetValueOrDefault(name) + value;
            }

            foreach (var (name, value) in report.Gauges)
            {
                total.Gauges[name] = total.Gauges.GetValueOrDefault(name) + value;
            }

            foreach (var (name, service) in report.Services)
            {
                if (!total.Services.TryGetValue(name, out var sum))
                {
                    total.Services[name] = sum = new ServiceReport();
                }

                sum.Workers += service.Workers;
                sum.Idle += service.Idle;
                sum.Waiting += service.Waiting;
                sum.WorkerList.AddRange(service.WorkerList);
                sum.Requests += service.Requests;
                sum.Replies += service.Replies;
                foreach (var (status, count) in service.Errors)
                {
                    sum.Errors[status] = sum.Errors.GetValueOrDefault(status) + count;
                }
            }
        }

        return total;
    }
}
