namespace ZmqGame.Broker.Sessions;

/// <summary>
/// The routes the broker's current ZmqGame workers declared idempotent (READY's worker info), as WELCOME announces them
/// to ZmqGame clients: service name to command ids, the union over the workers. A client sends a request on one of
/// them again on the next broker when its broker is lost before the reply. Loop thread only.
/// </summary>
internal sealed class IdempotentRoutes
{
    private long _registered = -1;
    private int _workers = -1;

    /// <summary>The map WELCOME carries; null while no worker declared any.</summary>
    public Dictionary<string, int[]>? Current { get; private set; }

    /// <summary>
    /// Recomputes the map when the set of workers changed since the last call (<paramref name="workersRegistered"/>,
    /// the count of READYs ever, and the dispatcher's worker count together tell); true when the map changed.
    /// </summary>
    public bool Refresh(Dispatcher dispatcher, long workersRegistered)
    {
        if (workersRegistered == _registered && dispatcher.WorkerCount == _workers)
        {
            return false;
        }

        _registered = workersRegistered;
        _workers = dispatcher.WorkerCount;
        var union = new SortedDictionary<string, SortedSet<int>>(StringComparer.Ordinal);
        foreach (var worker in dispatcher.Workers)
        {
            if (worker.Info is { Idempotent.Count: > 0 } info)
            {
                if (!union.TryGetValue(worker.Service.NameText, out var commands))
                {
                    union[worker.Service.NameText] = commands = [];
                }

                commands.UnionWith(info.Idempotent);
            }
        }

        var next = union.Count == 0 ? null : union.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);
        if (Same(next, Current))
        {
            return false;
        }

        Current = next;
        return true;
    }

    private static bool Same(Dictionary<string, int[]>? a, Dictionary<string, int[]>? b)
    {
        if (a is null || b is null)
        {
            return a is null && b is null;
        }

        return a.Count == b.Count && a.All(e => b.TryGetValue(e.Key, out var other) && other.AsSpan().SequenceEqual(e.Value));
    }
}
