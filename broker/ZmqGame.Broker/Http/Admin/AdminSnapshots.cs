using System.Globalization;
using ZmqGame.Broker.Sessions;
using ZmqGame.Protocol;

namespace ZmqGame.Broker.Http.Admin;

/// <summary>
/// What the console shows, read from the broker's loop-owned state. Every method runs on the loop thread (the console
/// calls them through <see cref="BrokerHost.InvokeAsync{T}"/>) and copies what it needs into plain records.
/// </summary>
internal static class AdminSnapshots
{
    /// <summary>Most sessions one page lists; a bigger <c>limit</c> is cut to this.</summary>
    public const int MaxPage = 500;

    /// <summary>Loop thread only.</summary>
    public static AdminOverview Overview(BrokerHost server, TimeProvider time)
    {
        var dispatcher = server.Dispatcher;
        var sessions = server.Sessions;
        var stats = server.Stats;
        var now = time.GetTimestamp();
        var byService = new Dictionary<Service, int[]>();
        var workers = new List<AdminWorker>(dispatcher.WorkerCount);
        foreach (var worker in dispatcher.Workers)
        {
            if (!byService.TryGetValue(worker.Service, out var states))
            {
                byService[worker.Service] = states = new int[4];
            }

            var state = StateOf(worker);
            states[state]++;
            workers.Add(new AdminWorker(
                Convert.ToHexString(worker.Identity),
                worker.Service.NameText,
                worker.Info?.Version ?? "(stock MDP worker)",
                StateNames[state],
                Math.Round(time.GetElapsedTime(worker.RegisteredAt, now).TotalSeconds, 1),
                worker.RequestsServed));
        }

        long errors = 0;
        var services = new List<AdminService>(dispatcher.ServiceCount);
        foreach (var service in dispatcher.Services)
        {
            for (var status = 0; status < service.Outcomes.Length; status++)
            {
                if (status != (int)Status.Ok)
                {
                    errors += service.Outcomes[status];
                }
            }

            var states = byService.TryGetValue(service, out var s) ? s : new int[4];
            services.Add(new AdminService(service.NameText, service.WaitingCount, service.WorkerCount, states[0], states[1], states[2], states[3], service.Requests));
        }

        services.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        workers.Sort((a, b) => string.CompareOrdinal(a.Service, b.Service) is var c && c != 0 ? c : string.CompareOrdinal(a.Id, b.Id));
        var counters = new AdminCounters(
            stats.Requests, stats.Replies, errors, stats.Pushes, stats.PushDeliveries, stats.PushDroppedQueueFull + stats.PushDroppedSessionEnded,
            sessions.Count, sessions.LoggedIn, stats.SessionsKicked, dispatcher.WorkerCount);
        return new AdminOverview(time.GetUtcNow().ToUnixTimeMilliseconds(), server.ClusterSessions?.Link.Options.Name, counters, services, workers);
    }

    /// <summary>Sessions whose user id contains <paramref name="user"/> (ignoring case; empty: all), newest first. Loop thread only.</summary>
    public static AdminSessionPage Sessions(SessionManager sessions, string user, int limit, TimeProvider time)
    {
        // The newest <limit> matches, kept in a heap ordered oldest first: one pass, no sort of every session.
        var newest = new PriorityQueue<Session, long>(limit + 1);
        var matched = 0;
        foreach (var session in sessions.All)
        {
            if (user.Length > 0 && (session.UserId is not { } id || !id.Contains(user, StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            matched++;
            newest.Enqueue(session, session.OpenedAt);
            if (newest.Count > limit)
            {
                newest.Dequeue();
            }
        }

        var now = time.GetTimestamp();
        var page = new AdminSession[newest.Count];
        for (var i = page.Length - 1; i >= 0; i--)
        {
            var session = newest.Dequeue();
            page[i] = new AdminSession(
                session.Id.ToString(CultureInfo.InvariantCulture),
                session.UserId,
                System.Text.Encoding.UTF8.GetString(session.Service),
                session.Identity is not null,
                Math.Round(time.GetElapsedTime(session.OpenedAt, now).TotalSeconds, 1),
                Math.Round(time.GetElapsedTime(session.LastHeard, now).TotalSeconds, 1),
                session.Groups is { } groups ? [.. groups] : [],
                session.OutboundCount);
        }

        return new AdminSessionPage(sessions.Count, matched, limit, page);
    }

    private static readonly string[] StateNames = ["idle", "busy", "paused", "draining"];

    private static int StateOf(Worker worker) =>
        worker.Draining ? 3 : worker.State == WorkerState.Busy ? 1 : worker.Paused ? 2 : 0;
}
