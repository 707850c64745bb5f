using BenchmarkDotNet.Attributes;

namespace ZmqGame.Bench.Micro;

/// <summary>
/// The broker's dispatch logic per request, without sockets (<see cref="DispatchRig"/>): 8 workers, 64 clients.
/// Target: 0 bytes allocated per request on the forward path.
/// </summary>
[MemoryDiagnoser]
public class DispatchBenchmarks
{
    private const int Batch = 1000;
    private DispatchRig forward = null!;
    private DispatchRig queued = null!;

    [GlobalSetup]
    public void Setup()
    {
        forward = new DispatchRig();
        queued = new DispatchRig();
        queued.FillWorkers();
    }

    /// <summary>ClientRequest → SendRequest to an idle worker → WorkerReply.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public void ForwardAndReply()
    {
        for (var i = 0; i < Batch; i++)
        {
            forward.ForwardAndReply();
        }
    }

    /// <summary>No idle worker: the request is queued, and a worker's reply dispatches it.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public void QueueAndReply()
    {
        for (var i = 0; i < Batch; i++)
        {
            queued.QueueAndReply();
        }
    }
}
