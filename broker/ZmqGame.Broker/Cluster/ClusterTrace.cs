using System.Diagnostics;
using System.Globalization;

namespace ZmqGame.Broker.Cluster;

/// <summary>
/// An opt-in trace of each cluster message's way through this broker, to find where a cross-broker push spends its
/// time: with <c>ZMQGAME_CLUSTER_TRACE=PREFIX</c> set, each step records (message id, step, <see cref="Stopwatch"/>
/// timestamp: the monotonic clock every process on the host shares) and the broker writes them to
/// <c>PREFIX.&lt;pid&gt;.tsv</c> when its link stops. Off (the default) it costs one static check per step.
/// </summary>
internal static class ClusterTrace
{
    /// <summary>The control endpoint handed an action to the cluster (A).</summary>
    public const int Sent = 0;

    /// <summary>The link's publisher took the message off its queue (A, and B for the answer).</summary>
    public const int Dequeued = 1;

    /// <summary>NATS.Net accepted the publish (A).</summary>
    public const int Published = 2;

    /// <summary>NATS delivered the message to the link (B, and A for the answer).</summary>
    public const int Delivered = 3;

    /// <summary>The broker loop took the message (B, and A for the answer).</summary>
    public const int OnLoop = 4;

    /// <summary>The action ran on the sessions held here: the push is queued to its session (B).</summary>
    public const int Ran = 5;

    private const int Capacity = 1 << 16;
    private static readonly string? Prefix = Environment.GetEnvironmentVariable("ZMQGAME_CLUSTER_TRACE") is { Length: > 0 } p ? p : null;
    private static readonly (ulong Id, int Step, long At)[] Entries = Prefix is null ? [] : new (ulong, int, long)[Capacity];
    private static int _count;

    /// <summary>True when tracing is on.</summary>
    public static bool On => Prefix is not null;

    /// <summary>Records <paramref name="step"/> of message <paramref name="id"/> now (any thread).</summary>
    public static void Step(ulong id, int step) => Step(id, step, Stopwatch.GetTimestamp());

    /// <summary>Records <paramref name="step"/> of message <paramref name="id"/> at <paramref name="at"/> (any thread).</summary>
    public static void Step(ulong id, int step, long at)
    {
        var i = Interlocked.Increment(ref _count) - 1;
        if (i < Capacity)
        {
            Entries[i] = (id, step, at);
        }
    }

    /// <summary>The message id of a serialized cluster message (0 when unreadable): tracing only.</summary>
    public static ulong IdOf(byte[] body) => ClusterMessage.TryParse(body)?.Id ?? 0;

    /// <summary>Writes what was recorded to <c>PREFIX.&lt;pid&gt;.tsv</c>.</summary>
    public static void Write()
    {
        if (Prefix is null)
        {
            return;
        }

        var count = Math.Min(Volatile.Read(ref _count), Capacity);
        using var file = new StreamWriter($"{Prefix}.{Environment.ProcessId}.tsv");
        for (var i = 0; i < count; i++)
        {
            var (id, step, at) = Entries[i];
            file.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{id}\t{step}\t{at}"));
        }
    }
}
