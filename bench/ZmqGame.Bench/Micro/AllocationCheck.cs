using System.Globalization;

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

    /// <summary>Bytes per request on the forward and the queued path.</summary>
    public static (double Forward, double Queued) Measure(int requests)
    {
        var forward = new DispatchRig();
        var queued = new DispatchRig();
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
