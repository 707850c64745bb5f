using System.Diagnostics.Metrics;
using ZmqGame.Broker.Cluster;
using ZmqGame.Hosting;
using ZmqGame.Protocol;

namespace ZmqGame.Broker.Metrics;

/// <summary>
/// The broker's instruments, on the <see cref="Meter"/> named <see cref="MeterName"/>; docs/operations.md lists them. Every
/// figure is read when an exporter collects: the counters of <see cref="BrokerStats"/> directly (64-bit reads of fields the
/// loop writes), the per-service and session figures from a <see cref="BrokerMetricsSnapshot"/> that
/// <see cref="RefreshAsync"/> takes on the loop thread. The queue-wait histogram is recorded here, off the loop, from
/// the samples the loop leaves in <see cref="QueueWaitSamples"/>. So the forward path neither locks nor allocates for
/// metrics: it increments plain fields and stores two array entries per dispatched request.
/// </summary>
internal sealed class BrokerMetrics : IDisposable
{
    public const string MeterName = "ZmqGame.Broker";

    private static readonly TimeSpan DrainInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan SnapshotTimeout = TimeSpan.FromSeconds(2);

    private readonly Meter _meter = new(MeterName);
    private readonly Func<BrokerHost?> _server;
    private readonly Func<ClusterLink?> _link;
    private readonly bool _clustered;
    private readonly QueueWaitHistogram _queueWait;
    private readonly ITimer _drainTimer;
    private BrokerMetricsSnapshot _snapshot = BrokerMetricsSnapshot.Empty;

    /// <param name="server">The broker once bound (null before).</param>
    /// <param name="link">The cluster link once joined (null before, and without a cluster).</param>
    /// <param name="clustered">Whether the broker is in a cluster: its link state is shown (0 until it joined).</param>
    /// <param name="time">Drives the periodic drain of the queue-wait samples.</param>
    public BrokerMetrics(Func<BrokerHost?> server, Func<ClusterLink?> link, bool clustered, TimeProvider time)
    {
        _server = server;
        _link = link;
        _clustered = clustered;
        _queueWait = new QueueWaitHistogram(_meter);

        _meter.CreateObservableCounter("zmqgame.requests", () => PerService(s => s.Requests), description: "Client requests for a service");
        _meter.CreateObservableCounter("zmqgame.replies", Replies, description: "Client requests of a service that ended, by status (ok, or the error the client got; a stock MDP client gets no answer on error)");
        _meter.CreateObservableGauge("zmqgame.queue.depth", () => PerService(s => s.Waiting), description: "Requests and events waiting for a worker of a service");
        _meter.CreateObservableCounter("zmqgame.queue.wait.samples.dropped", () => Server?.QueueWait?.Dropped ?? 0, description: "Queue-wait samples dropped because nobody collected them for a long while");
        _meter.CreateObservableGauge("zmqgame.workers", Workers, description: "Workers of a service by state (idle, busy, paused, draining)");
        _meter.CreateObservableGauge("zmqgame.sessions", () => _snapshot.Sessions, description: "Client sessions held (attached or detached)");
        _meter.CreateObservableGauge("zmqgame.sessions.logged_in", () => _snapshot.LoggedIn, description: "Client sessions bound to a user");
        _meter.CreateObservableGauge("zmqgame.sessions.detached", () => _snapshot.Detached, description: "Client sessions whose connection is gone, waiting to be resumed or to expire");
        _meter.CreateObservableCounter("zmqgame.pushes", () => Stat(s => Volatile.Read(ref s.Pushes)), description: "Pushes sent by workers and triggers (each fanned out to its sessions)");
        _meter.CreateObservableCounter("zmqgame.push.deliveries", () => Stat(s => Volatile.Read(ref s.PushDeliveries)), description: "Pushes delivered to sessions");
        _meter.CreateObservableCounter("zmqgame.push.dropped", PushesDropped, description: "Pushes dropped, by reason (queue_full, session_ended)");
        _meter.CreateObservableCounter("zmqgame.bad_input", BadInputs, description: "Bad input by kind (counted and logged at most once per interval)");
        _meter.CreateObservableCounter("zmqgame.rate_limited", RateLimited, description: "Requests refused by the request rate limit, by scope (session, connection, mdp)");
        _meter.CreateObservableCounter("zmqgame.connections.refused", ConnectionsRefused, description: "Frontend connections closed at accept by a per-IP limit, by reason (ip_rate, ip_cap)");
        _meter.CreateObservableGauge("zmqgame.cluster.connected", ClusterConnected, description: "1 while the broker's link to NATS is up, 0 while it is down (clustered brokers only)");
        _meter.CreateObservableCounter("zmqgame.cluster.messages", ClusterMessages, description: "Cluster messages by direction (published, received, dropped)");
        _drainTimer = time.CreateTimer(static state => ((BrokerMetrics)state!).Drain(), this, DrainInterval, DrainInterval);
    }

    private BrokerHost? Server => _server();

    /// <summary>
    /// Brings every figure up to date before a collection: a snapshot of the loop-owned state (taken on the loop; the
    /// last one stays when the loop does not answer within 2 s) and the queue-wait samples so far.
    /// </summary>
    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        if (Server is { } server)
        {
            try
            {
                var snapshot = await server.InvokeAsync(() => BrokerMetricsSnapshot.Take(server.Dispatcher, server.Sessions))
                    .WaitAsync(SnapshotTimeout, cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _snapshot, snapshot);
            }
            catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
            {
                // The loop is busy or stopping: the last snapshot stands.
            }
        }

        Drain();
    }

    public void Dispose()
    {
        _drainTimer.Dispose();
        _meter.Dispose();
    }

    private void Drain()
    {
        if (Server is { QueueWait: { } samples } server)
        {
            _queueWait.Drain(samples, server.TimestampFrequency);
        }
    }

    private long Stat(Func<BrokerStats, long> read) => Server is { } server ? read(server.Stats) : 0;

    private IEnumerable<Measurement<long>> PerService(Func<ServiceFigures, long> read) =>
        Volatile.Read(ref _snapshot).Services.Select(s => new Measurement<long>(read(s), new KeyValuePair<string, object?>("service", s.Name)));

    private IEnumerable<Measurement<long>> Replies()
    {
        foreach (var service in Volatile.Read(ref _snapshot).Services)
        {
            for (var status = 0; status < service.Outcomes.Length; status++)
            {
                if (service.Outcomes[status] > 0 || status == (int)Status.Ok)
                {
                    yield return new Measurement<long>(
                        service.Outcomes[status],
                        new KeyValuePair<string, object?>("service", service.Name),
                        new KeyValuePair<string, object?>("status", MetricLabels.Of((Status)status)));
                }
            }
        }
    }

    private IEnumerable<Measurement<long>> Workers()
    {
        foreach (var service in Volatile.Read(ref _snapshot).Services)
        {
            var name = new KeyValuePair<string, object?>("service", service.Name);
            yield return new Measurement<long>(service.Idle, name, new("state", "idle"));
            yield return new Measurement<long>(service.Busy, name, new("state", "busy"));
            yield return new Measurement<long>(service.Paused, name, new("state", "paused"));
            yield return new Measurement<long>(service.Draining, name, new("state", "draining"));
        }
    }

    private IEnumerable<Measurement<long>> PushesDropped()
    {
        yield return new Measurement<long>(Stat(s => Volatile.Read(ref s.PushDroppedQueueFull)), new KeyValuePair<string, object?>("reason", "queue_full"));
        yield return new Measurement<long>(Stat(s => Volatile.Read(ref s.PushDroppedSessionEnded)), new KeyValuePair<string, object?>("reason", "session_ended"));
    }

    private IEnumerable<Measurement<long>> BadInputs()
    {
        foreach (var kind in Enum.GetValues<BadInput>())
        {
            yield return new Measurement<long>(Stat(s => s.BadInputCount(kind)), new KeyValuePair<string, object?>("kind", kind.ToString()));
        }
    }

    private IEnumerable<Measurement<long>> RateLimited()
    {
        yield return new Measurement<long>(Stat(s => Volatile.Read(ref s.RateLimitedSession)), new KeyValuePair<string, object?>("scope", "session"));
        yield return new Measurement<long>(Stat(s => Volatile.Read(ref s.RateLimitedConnection)), new KeyValuePair<string, object?>("scope", "connection"));
        yield return new Measurement<long>(Stat(s => Volatile.Read(ref s.RateLimitedMdp)), new KeyValuePair<string, object?>("scope", "mdp"));
    }

    private IEnumerable<Measurement<long>> ConnectionsRefused()
    {
        yield return new Measurement<long>(Stat(s => Volatile.Read(ref s.ConnectionsRefusedIpRate)), new KeyValuePair<string, object?>("reason", "ip_rate"));
        yield return new Measurement<long>(Stat(s => Volatile.Read(ref s.ConnectionsRefusedIpCap)), new KeyValuePair<string, object?>("reason", "ip_cap"));
    }

    private IEnumerable<Measurement<long>> ClusterConnected()
    {
        if (_clustered)
        {
            yield return new Measurement<long>(_link() is { Connected: true } ? 1 : 0);
        }
    }

    private IEnumerable<Measurement<long>> ClusterMessages()
    {
        if (_link() is { } link)
        {
            yield return new Measurement<long>(link.Published, new KeyValuePair<string, object?>("direction", "published"));
            yield return new Measurement<long>(link.Received, new KeyValuePair<string, object?>("direction", "received"));
            yield return new Measurement<long>(link.Dropped, new KeyValuePair<string, object?>("direction", "dropped"));
        }
    }
}
