namespace ZmqGame.Broker.Sessions;

/// <summary>
/// Ids of sessions that ended, each remembered until a time: a ticket of an ended session never resumes it, and a new
/// session never takes an id that was just in use. Runs on the broker's loop thread only.
/// </summary>
internal sealed class SessionTombstones
{
    private readonly Dictionary<ulong, long> _ended = [];
    private readonly Queue<(ulong Id, long UntilMs)> _order = new();

    /// <summary>Ids remembered now.</summary>
    public int Count => _ended.Count;

    public bool Contains(ulong id) => _ended.ContainsKey(id);

    /// <summary>Remembers <paramref name="id"/> until <paramref name="untilMs"/> (unix ms); add in the order of those times.</summary>
    public void Add(ulong id, long untilMs)
    {
        _ended[id] = untilMs;
        _order.Enqueue((id, untilMs));
    }

    /// <summary>Forgets the ids remembered until <paramref name="nowMs"/> or earlier.</summary>
    public void Forget(long nowMs)
    {
        while (_order.TryPeek(out var old) && old.UntilMs <= nowMs)
        {
            _order.Dequeue();
            _ended.Remove(old.Id);
        }
    }
}
