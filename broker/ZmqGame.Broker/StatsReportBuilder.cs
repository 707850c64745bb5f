using ZmqGame.Broker.Sessions;
using ZmqGame.Protocol;

namespace ZmqGame.Broker;

/// <summary>
/// Builds the control endpoint's <c>stats</c> answer, a <see cref="StatsReport"/>: counters, services with their
/// workers, sessions and the last push's timings. The trigger reads its keys; the report's formatter keeps them and
/// their order. Loop thread only.
/// </summary>
internal static class StatsReportBuilder
{
    /// <param name="dispatcher">Services and workers.</param>
    /// <param name="sessions">Client sessions and groups.</param>
    /// <param name="stats">The broker's counters.</param>
    /// <param name="time">The broker's clock (worker uptimes).</param>
    /// <param name="transport">What the counters do not hold: CURVE rejections, messages NetMQ dropped, the last push's write time.</param>
    public static StatsReport Build(Dispatcher dispatcher, SessionManager sessions, BrokerStats stats, TimeProvider time, TransportFigures transport)
    {
        var now = time.GetTimestamp();
        var workers = new Dictionary<Service, List<WorkerReport>>();
        foreach (var worker in dispatcher.Workers)
        {
            if (!workers.TryGetValue(worker.Service, out var list))
            {
                workers[worker.Service] = list = [];
            }

            list.Add(new WorkerReport
            {
                Id = Convert.ToHexString(worker.Identity),
                Version = worker.Info?.Version ?? "(stock MDP worker)",
                State = worker.Draining ? "draining" : worker.State == WorkerState.Busy ? "busy" : worker.Paused ? "paused" : "idle",
                UptimeSeconds = Math.Round(time.GetElapsedTime(worker.RegisteredAt, now).TotalSeconds, 1),
                Served = worker.RequestsServed,
            });
        }

        var report = new StatsReport();
        foreach (var service in dispatcher.Services)
        {
            report.Services[service.NameText] = new ServiceReport
            {
                Workers = service.WorkerCount,
                Idle = service.Idle.Count,
                Waiting = service.WaitingCount,
                WorkerList = workers.TryGetValue(service, out var list) ? list : [],
                Requests = service.Requests,
                Replies = service.Replies,
                Errors = Errors(service),
            };
        }

        var counters = stats.Snapshot();
        counters["curve_rejected.control"] = transport.CurveRejectedControl;
        counters["curve_rejected.frontend"] = transport.CurveRejectedFrontend;
        counters["unroutable_client"] += transport.FrontendDropped;
        report.Counters = counters;

        var gauges = report.Gauges;
        gauges[StatsReport.WorkersKey] = dispatcher.WorkerCount;
        gauges["sessions"] = sessions.Count;
        gauges["sessions_logged_in"] = sessions.LoggedIn;
        gauges["sessions_detached"] = sessions.Detached;
        gauges["sessions_backlogged"] = sessions.Backlogged;
        gauges["groups"] = sessions.GroupCount;
        gauges["last_push_fanout_us"] = (long)sessions.LastPushFanOut.TotalMicroseconds;
        gauges["last_push_written_us"] = (long)transport.LastPushWritten.TotalMicroseconds;
        if (transport.Cluster is { } cluster)
        {
            var link = cluster.Link;
            counters["cluster.published"] = link.Published;
            counters["cluster.received"] = link.Received;
            counters["cluster.dropped"] = link.Dropped;
            counters["cluster.reconnects"] = cluster.Reconnects;
            counters["cluster.actions_run"] = cluster.ActionsRun;
            counters["cluster.duplicates"] = cluster.Duplicates;
            counters["cluster.bad_messages"] = cluster.BadMessages;
            gauges["cluster_connected"] = link.Connected ? 1 : 0;
            gauges["cluster_brokers"] = link.LivePeers + 1;
            gauges["cluster_interests"] = link.ConfirmedInterests;
            gauges["cluster_logins"] = cluster.LoginsStored;
        }

        return report;
    }

    /// <summary>A service's non-zero error counts by status name: <c>timeout</c>, <c>handler_failed</c>, … (<c>status_N</c> for an unknown byte).</summary>
    private static Dictionary<string, long> Errors(Service service)
    {
        var errors = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var status = 1; status < service.Outcomes.Length; status++)
        {
            if (service.Outcomes[status] != 0)
            {
                errors[StatusName((Status)status)] = service.Outcomes[status];
            }
        }

        return errors;
    }

    private static string StatusName(Status status) =>
        Enum.IsDefined(status) ? System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(status.ToString()) : $"status_{(byte)status}";
}

/// <summary>What the host knows for the stats that the counters do not hold.</summary>
/// <param name="CurveRejectedControl">Control connections that closed without ever being a peer (a failed CURVE handshake).</param>
/// <param name="CurveRejectedFrontend">The same on a CURVE frontend.</param>
/// <param name="FrontendDropped">Messages to clients NetMQ could not route (a NetMQ frontend only), added to unroutable_client.</param>
/// <param name="LastPushWritten">How long the last push took until written to every connection that had room.</param>
/// <param name="Cluster">The broker cluster, if any: its link's state and counters (<c>cluster.*</c>, <c>cluster_*</c> gauges).</param>
internal readonly record struct TransportFigures(long CurveRejectedControl, long CurveRejectedFrontend, long FrontendDropped, TimeSpan LastPushWritten, Cluster.ClusterSessions? Cluster = null);
