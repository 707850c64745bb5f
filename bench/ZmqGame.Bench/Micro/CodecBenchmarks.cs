using BenchmarkDotNet.Attributes;
using ZmqGame.Protocol;

namespace ZmqGame.Bench.Micro;

/// <summary>The ZmqGame request and reply headers: write into a reused buffer, parse from one. Target: no allocation.</summary>
[MemoryDiagnoser]
public class CodecBenchmarks
{
    private readonly byte[] requestFrame = new byte[RequestHeader.Size];
    private readonly byte[] replyFrame = new byte[ReplyHeader.Size];
    private ulong id;

    [GlobalSetup]
    public void Setup()
    {
        new RequestHeader(42, 5, 5000).Write(requestFrame);
        new ReplyHeader(42, Status.Ok).Write(replyFrame);
    }

    [Benchmark]
    public void RequestHeaderWrite() => new RequestHeader(++id, 5, 5000).Write(requestFrame);

    [Benchmark]
    public ulong RequestHeaderRead() => RequestHeader.TryRead(requestFrame, out var header) ? header.RequestId : 0;

    [Benchmark]
    public void ReplyHeaderWrite() => new ReplyHeader(++id, Status.Ok).Write(replyFrame);

    [Benchmark]
    public ulong ReplyHeaderRead() => ReplyHeader.TryRead(replyFrame, out var header) ? header.RequestId : 0;
}
