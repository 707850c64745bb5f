using System.Diagnostics.Metrics;

namespace ZmqGame.Broker.Metrics;

/// <summary>
/// <c>zmqgame_queue_wait_seconds</c>: the histogram of the queue wait of each dispatched client request, per service,
/// recorded off the loop from what the loop left in a <see cref="QueueWaitSamples"/> ring.
/// </summary>
internal sealed class QueueWaitHistogram
{
    /// <summary>Buckets, in seconds: 0.1 ms to 10 s.</summary>
    private static readonly double[] Buckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Histogram<double> _histogram;
    private double _secondsPerTick;

    public QueueWaitHistogram(Meter meter) =>
        _histogram = meter.CreateHistogram(
            "zmqgame.queue.wait",
            unit: "s",
            description: "Time a client request waited in the broker for a worker, per dispatch",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = Buckets });

    /// <summary>Records every sample in <paramref name="samples"/>, whose waits are in ticks of <paramref name="ticksPerSecond"/>. Not on the loop.</summary>
    public void Drain(QueueWaitSamples samples, long ticksPerSecond)
    {
        _secondsPerTick = 1.0 / ticksPerSecond;
        samples.Drain(this, static (histogram, service, ticks) =>
            histogram._histogram.Record(ticks * histogram._secondsPerTick, new KeyValuePair<string, object?>("service", service.NameText)));
    }
}
