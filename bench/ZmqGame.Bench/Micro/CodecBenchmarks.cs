using BenchmarkDotNet.Attributes;
using ZmqGame.Protocol;

namespace ZmqGame.Bench.Micro;

/// <summary>
/// The ZmqGame request and reply headers: write into reused buffers, parse from them. Each operation handles a batch
/// of distinct frames (a single header is too cheap to time on its own); results are per header. Target: no allocation.
/// </summary>
[MemoryDiagnoser]
public class CodecBenchmarks
{
    private const int Batch = 256;
    private readonly byte[][] requestFrames = new byte[Batch][];
    private readonly byte[][] replyFrames = new byte[Batch][];
    private ulong id;

    [GlobalSetup]
    public void Setup()
    {
        for (var i = 0; i < Batch; i++)
        {
            requestFrames[i] = new RequestHeader((ulong)i + 1, i, 5000).ToArray();
            replyFrames[i] = new ReplyHeader((ulong)i + 1, (Status)(i % 8)).ToArray();
        }
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public void RequestHeaderWrite()
    {
        foreach (var frame in requestFrames)
        {
            new RequestHeader(++id, 5, 5000).Write(frame);
        }
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public ulong RequestHeaderRead()
    {
        ulong sum = 0;
        foreach (var frame in requestFrames)
        {
            if (RequestHeader.TryRead(frame, out var header))
            {
                sum += header.RequestId + (ulong)header.Command;
            }
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public void ReplyHeaderWrite()
    {
        foreach (var frame in replyFrames)
        {
            new ReplyHeader(++id, Status.Ok).Write(frame);
        }
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public ulong ReplyHeaderRead()
    {
        ulong sum = 0;
        foreach (var frame in replyFrames)
        {
            if (ReplyHeader.TryRead(frame, out var header))
            {
                sum += header.RequestId + (byte)header.Status;
            }
        }

        return sum;
    }
}
