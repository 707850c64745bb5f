using ZmqGame.Broker.Sessions;

namespace ZmqGame.Broker;

/// <summary>
/// The control endpoint's <c>stats</c> answer: counters, services with their workers, sessions and the last push's
/// timings. The trigger reads these keys; their names and shapes are the wire format. Loop thread only.
/// </summary>
internal static class StatsReport
{
    /// <param name="dispatcher">Services and workers.</param>
    /// <param name="sessions">Client sessions and groups.</param>
    /// <param name="stats">The broker's counters.</param>
    /// <param name="time">The broker's clock (worker uptimes).</param>
    /// <param name="transport">What the counters do not hold: CURVE rejections, messages NetMQ dropped, the last push's write time.</param>
    public static Dictionary<string, object> Build(Dispatcher dispatcher, SessionManager sessions, BrokerStats stats, TimeProvider time, TransportFigures transport)
    {
        var now = time.GetTimestamp();
        var services = new Dictionary<string, object>();
        var workers = new Dictionary<Service, List<object>>();
        foreach (var worker in dispatcher.Workers)
        {
            if (!workers.TryGetValue(worker.Service, out var list))
            {
                workers[worker.Service] = list = [];
            }

            list.Add(new Dictionary<string, object>
            {
                ["id"] = Convert.ToHexString(worker.Identity),
                ["version"] = worker.Info?.Version ?? "(stock MDP worker)",
                ["state"] = worker.Draining ? "draining" : worker.State == WorkerState.Busy ? "busy" : "idle",
                ["uptime_s"] = Math.Round(time.GetElapsedTime(worker.RegisteredAt, now).TotalSeconds, 1),
                ["served"] = worker.RequestsServed,
            });
        }

        foreach (var service in dispatcher.Services)
        {
            services[service.NameText] = new Dictionary<string, object>
            {
                ["workers"] = service.WorkerCount,
                ["idle"] = service.Idle.Count,
                ["waiting"] = service.WaitingCount,
                ["worker_list"] = workers.TryGetValue(service, out var list) ? list : [],
            };
        }

        var counters = stats.Snapshot();
        counters["curve_rejected.control"] = transport.CurveRejectedControl;
        counters["curve_rejected.frontend"] = transport.CurveRejectedFrontend;
        counters["unroutable_client"] += transport.FrontendDropped;
        return new Dictionary<string, object>
        {
            ["counters"] = counters,
            ["services"] = services,
            ["workers"] = dispatcher.WorkerCount,
            ["sessions"] = sessions.Count,
            ["sessions_logged_in"] = sessions.LoggedIn,
            ["sessions_detached"] = sessions.Detached,
            ["sessions_backlogged"] = sessions.Backlogged,
            ["groups"] = sessions.GroupCount,
            ["last_push_fanout_us"] = (long)sessions.LastPushFanOut.TotalMicroseconds,
            ["last_push_written_us"] = (long)transport.LastPushWritten.TotalMicroseconds,
        };
    }
}

/// <summary>What the host knows for the stats that the counters do not hold.</summary>
/// <param name="CurveRejectedControl">Control connections that closed without ever being a peer (a failed CURVE handshake).</param>
/// <param name="CurveRejectedFrontend">The same on a CURVE frontend.</param>
/// <param name="FrontendDropped">Messages to clients NetMQ could not route (a NetMQ frontend only), added to unroutable_client.</param>
/// <param name="LastPushWritten">How long the last push took until written to every connection that had room.</param>
internal readonly record struct TransportFigures(long CurveRejectedControl, long CurveRejectedFrontend, long FrontendDropped, TimeSpan LastPushWritten);
