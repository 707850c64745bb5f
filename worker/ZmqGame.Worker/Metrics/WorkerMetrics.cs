using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using ZmqGame.Hosting;
using ZmqGame.Protocol;
using ZmqGame.Worker.Internal;

namespace ZmqGame.Worker.Metrics;

/// <summary>
/// A worker app's instruments, on the <see cref="Meter"/> named <see cref="MeterName"/> (docs/operations.md lists them):
/// requests handled by service, route and status and the handlers' durations, recorded off the I/O thread as each
/// request ends; slots busy and free, and each slot's link to each broker by state, read when an exporter collects.
/// Instruments nobody listens to cost a flag check.
/// </summary>
internal sealed class WorkerMetrics : IDisposable
{
    public const string MeterName = "ZmqGame.Worker";

    /// <summary>Handler duration buckets, in seconds: 0.1 ms to 10 s.</summary>
    private static readonly double[] DurationBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private static readonly string[] CommandNames = [.. Enumerable.Range(0, 256).Select(i => i.ToString(CultureInfo.InvariantCulture))];

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly Func<WorkerEngine?> _engine;

    /// <param name="engine">The app's engine once started (null before).</param>
    public WorkerMetrics(Func<WorkerEngine?> engine)
    {
        _engine = engine;
        _requests = _meter.CreateCounter<long>("zmqgame.worker.requests", description: "Requests handled, by service, route (command id, or raw) and status");
        _duration = _meter.CreateHistogram(
            "zmqgame.worker.handler.duration",
            unit: "s",
            description: "Time a request took on the worker, its hooks and handler, by service and route",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        _meter.CreateObservableGauge("zmqgame.worker.slots", Slots, description: "Slots (units of concurrency) by service and state (busy, free)");
        _meter.CreateObservableGauge("zmqgame.worker.links", Links, description: "Each slot's link to each broker, by broker and state (idle, busy, paused, down, draining, stopped)");
    }

    /// <summary>One request of <paramref name="service"/> ended with <paramref name="status"/>; it started at <paramref name="started"/> (<see cref="Stopwatch"/> ticks).</summary>
    public void Handled(string service, int command, bool raw, Status status, long started)
    {
        if (!_requests.Enabled && !_duration.Enabled)
        {
            return;
        }

        var route = raw ? "raw" : (uint)command < CommandNames.Length ? CommandNames[command] : command.ToString(CultureInfo.InvariantCulture);
        var serviceTag = new KeyValuePair<string, object?>("service", service);
        var routeTag = new KeyValuePair<string, object?>("route", route);
        _requests.Add(1, serviceTag, routeTag, new KeyValuePair<string, object?>("status", MetricLabels.Of(status)));
        _duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, serviceTag, routeTag);
    }

    public void Dispose() => _meter.Dispose();

    private IEnumerable<Measurement<long>> Slots()
    {
        if (_engine() is not { } engine)
        {
            yield break;
        }

        // Each slot counted once, through its first link; its credit says whether it runs something.
        foreach (var group in engine.Links.Where(l => l.Credit.Links.Length == 0 || l.Credit.Links[0] == l).GroupBy(l => l.Service.Name, StringComparer.Ordinal))
        {
            var busy = group.Count(l => l.Credit.Holder is not null);
            var service = new KeyValuePair<string, object?>("service", group.Key);
            yield return new Measurement<long>(busy, service, new("state", "busy"));
            yield return new Measurement<long>(group.Count() - busy, service, new("state", "free"));
        }
    }

    private IEnumerable<Measurement<long>> Links()
    {
        if (_engine() is not { } engine)
        {
            yield break;
        }

        var states = new[] { "idle", "busy", "paused", "down", "draining", "stopped" };
        foreach (var broker in engine.Links.GroupBy(l => l.Broker, StringComparer.Ordinal))
        {
            var counts = new long[states.Length];
            foreach (var link in broker)
            {
                counts[StateIndex(link)]++;
            }

            for (var i = 0; i < states.Length; i++)
            {
                yield return new Measurement<long>(counts[i], new KeyValuePair<string, object?>("broker", broker.Key), new("state", states[i]));
            }
        }
    }

    /// <summary>The link's state as the metric names it: a link told "paused" (its slot runs another broker's request) is paused.</summary>
    private static int StateIndex(Slot link) => link.State switch
    {
        SlotState.Idle => link.Paused ? 2 : 0,
        SlotState.Busy => 1,
        SlotState.Down => 3,
        SlotState.Draining => 4,
        _ => 5,
    };
}
