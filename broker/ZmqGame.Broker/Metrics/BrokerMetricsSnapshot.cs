using ZmqGame.Broker.Sessions;

namespace ZmqGame.Broker.Metrics;

/// <summary>
/// What the broker's loop-owned state says at one scrape: each service's counters, queue and workers by state, and the
/// sessions. Taken on the loop thread (<see cref="Take"/>, through <see cref="BrokerHost.InvokeAsync{T}"/>), so the
/// forward path keeps its plain fields and takes no lock for metrics; read by the exporter on its own thread.
/// </summary>
internal sealed class BrokerMetricsSnapshot
{
    public static readonly BrokerMetricsSnapshot Empty = new([], 0, 0, 0);

    private BrokerMetricsSnapshot(ServiceFigures[] services, long sessions, long loggedIn, long detached)
    {
        Services = services;
        Sessions = sessions;
        LoggedIn = loggedIn;
        Detached = detached;
    }

    public IReadOnlyList<ServiceFigures> Services { get; }

    public long Sessions { get; }

    public long LoggedIn { get; }

    public long Detached { get; }

    /// <summary>Loop thread only.</summary>
    public static BrokerMetricsSnapshot Take(Dispatcher dispatcher, SessionManager sessions)
    {
        var figures = new Dictionary<Service, ServiceFigures>();
        foreach (var service in dispatcher.Services)
        {
            figures[service] = new ServiceFigures(service.NameText, service.Requests, [.. service.Outcomes], service.WaitingCount);
        }

        foreach (var worker in dispatcher.Workers)
        {
            var f = figures[worker.Service];
            if (worker.Draining)
            {
                f.Draining++;
            }
            else if (worker.State == WorkerState.Busy)
            {
                f.Busy++;
            }
            else if (worker.Paused)
            {
                f.Paused++;
            }
            else
            {
                f.Idle++;
            }
        }

        return new BrokerMetricsSnapshot([.. figures.Values], sessions.Count, sessions.LoggedIn, sessions.Detached);
    }
}

/// <summary>One service at one scrape.</summary>
internal sealed class ServiceFigures(string name, long requests, long[] outcomes, int waiting)
{
    public string Name { get; } = name;

    public long Requests { get; } = requests;

    /// <summary>How its requests ended, indexed by status.</summary>
    public long[] Outcomes { get; } = outcomes;

    public int Waiting { get; } = waiting;

    public int Idle { get; set; }

    public int Busy { get; set; }

    public int Paused { get; set; }

    public int Draining { get; set; }
}
