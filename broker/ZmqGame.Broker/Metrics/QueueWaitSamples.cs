namespace ZmqGame.Broker.Metrics;

/// <summary>
/// The queue wait of each dispatched client request, handed from the broker's loop thread to the metrics side without a
/// lock or an allocation: a preallocated single-producer, single-consumer ring. The loop <see cref="Add"/>s (two array
/// stores and a volatile write); whoever records the histogram <see cref="Drain"/>s, off the loop. When the ring is
/// full (nobody drained for a long while) a sample is dropped and counted, never waited for.
/// </summary>
internal sealed class QueueWaitSamples
{
    private readonly Service?[] _services;
    private readonly long[] _waits;
    private readonly long _mask;
    private readonly Lock _drain = new();
    private long _head;
    private long _tail;
    private long _dropped;

    /// <param name="capacity">Samples held between two drains; rounded up to a power of two.</param>
    public QueueWaitSamples(int capacity = 1 << 16)
    {
        var size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(2, capacity));
        _services = new Service?[size];
        _waits = new long[size];
        _mask = size - 1;
    }

    /// <summary>Samples dropped because the ring was full.</summary>
    public long Dropped => Volatile.Read(ref _dropped);

    /// <summary>Loop thread only: one request of <paramref name="service"/> waited <paramref name="ticks"/> (TimeProvider ticks).</summary>
    public void Add(Service service, long ticks)
    {
        var head = _head;
        if (head - Volatile.Read(ref _tail) > _mask)
        {
            Volatile.Write(ref _dropped, _dropped + 1);
            return;
        }

        var i = head & _mask;
        _services[i] = service;
        _waits[i] = ticks;
        Volatile.Write(ref _head, head + 1);
    }

    /// <summary>Any thread but the loop: hands every sample added so far to <paramref name="record"/>, oldest first.</summary>
    public void Drain<TState>(TState state, Action<TState, Service, long> record)
    {
        lock (_drain)
        {
            var head = Volatile.Read(ref _head);
            var tail = _tail;
            for (; tail < head; tail++)
            {
                var i = tail & _mask;
                var service = _services[i]!;
                _services[i] = null;
                record(state, service, _waits[i]);
            }

            Volatile.Write(ref _tail, tail);
        }
    }
}
