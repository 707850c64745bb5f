using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using ZmqGame.Broker.Metrics;

namespace ZmqGame.Bench.Micro;

/// <summary>
/// `ZmqGame.Bench alloc`: bytes allocated per request on the dispatch paths, counted with
/// <see cref="GC.GetAllocatedBytesForCurrentThread"/> after a warm-up. Seconds to run, exact to the byte; no timing.
/// </summary>
internal static class AllocationCheck
{
    public static int Run(string[] args, TextWriter stdout)
    {
        var requests = 1_000_000;
        if (args.Length == 2 && args[0] is "-n" or "--requests" && int.TryParse(args[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0)
        {
            requests = n;
        }
        else if (args.Length != 0)
        {
            Console.Error.WriteLine("usage: ZmqGame.Bench alloc [-n requests]");
            return 2;
        }

        var (forward, queued) = Measure(requests);
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"dispatch forward path (idle worker): {forward:0.##} bytes allocated per request ({requests} requests)"));
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"dispatch queued path (no idle worker): {queued:0.##} bytes allocated per request ({requests} requests)"));
        var (forwardMetrics, queuedMetrics) = MeasureWithMetrics(requests);
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"dispatch forward path, metrics on: {forwardMetrics:0.##} bytes allocated per request ({requests} requests)"));
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"dispatch queued path, metrics on: {queuedMetrics:0.##} bytes allocated per request ({requests} requests)"));
        var (admitted, refused) = MeasureAdmission(requests);
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"request admission, rate limit on, admitted: {admitted:0.##} bytes allocated per request ({requests} requests)"));
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"request admission, rate limit on, refused: {refused:0.##} bytes allocated per request ({requests} requests)"));
        return 0;
    }

    /// <summary>Bytes per request admitted by the request rate limit, and per request it refuses (each a session and a connection request).</summary>
    public static (double Admitted, double Refused) MeasureAdmission(int requests)
    {
        var admit = new AdmissionRig(perSecond: 10_000_000);
        var refuse = new AdmissionRig(perSecond: 1);
        for (var i = 0; i < 10_000; i++)
        {
            admit.AdmitOne();
            refuse.AdmitOne();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < requests; i++)
        {
            admit.AdmitOne();
        }

        var middle = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < requests; i++)
        {
            refuse.AdmitOne();
        }

        var after = GC.GetAllocatedBytesForCurrentThread();
        return ((middle - before) / (2.0 * requests), (after - middle) / (2.0 * requests));
    }

    /// <summary>
    /// Bytes per request on the forward and the queued path with the broker's metrics on, as <c>--http</c> turns them
    /// on: each dispatch leaves its queue wait in the ring, while another thread drains the ring into the
    /// <c>zmqgame_queue_wait_seconds</c> histogram, which a <see cref="MeterListener"/> listens to (so recording is real).
    /// Only this thread's (the loop's) allocations are counted.
    /// </summary>
    public static (double Forward, double Queued) MeasureWithMetrics(int requests)
    {
        using var meter = new Meter(BrokerMetrics.MeterName);
        var histogram = new QueueWaitHistogram(meter);
        long recorded = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == meter)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, _, _, _) => Interlocked.Increment(ref recorded));
        listener.Start();

        var forwardSamples = new QueueWaitSamples();
        var queuedSamples = new QueueWaitSamples();
        using var stop = new CancellationTokenSource();
        var drainer = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                histogram.Drain(forwardSamples, Stopwatch.Frequency);
                histogram.Drain(queuedSamples, Stopwatch.Frequency);
                Thread.Sleep(1);
            }
        }) { IsBackground = true, Name = "metrics drain" };
        drainer.Start();
        try
        {
            var result = Measure(requests, new DispatchRig(queueWait: forwardSamples), new DispatchRig(queueWait: queuedSamples));
            if (Interlocked.Read(ref recorded) == 0)
            {
                throw new InvalidOperationException("the queue-wait histogram recorded nothing: the metrics variant measured nothing");
            }

            return result;
        }
        finally
        {
            stop.Cancel();
            drainer.Join();
        }
    }

    /// <summary>Bytes per request on the forward and the queued path.</summary>
    public static (double Forward, double Queued) Measure(int requests) => Measure(requests, new DispatchRig(), new DispatchRig());

    private static (double Forward, double Queued) Measure(int requests, DispatchRig forward, DispatchRig queued)
    {
        queued.FillWorkers();

        // Warm-up: JIT tiers, dictionary and queue growth.
        for (var i = 0; i < 10_000; i++)
        {
            forward.ForwardAndReply();
            queued.QueueAndReply();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < requests; i++)
        {
            forward.ForwardAndReply();
        }

        var middle = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < requests; i++)
        {
            queued.QueueAndReply();
        }

        var after = GC.GetAllocatedBytesForCurrentThread();
        return ((middle - before) / (double)requests, (after - middle) / (double)requests);
    }
}
