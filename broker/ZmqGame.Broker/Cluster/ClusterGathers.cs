namespace ZmqGame.Broker.Cluster;

/// <summary>
/// Scatter/gather over NATS for the control endpoint: a request goes to every other broker with this broker's reply
/// subject, and its answers are collected until as many brokers as are live have answered or
/// <see cref="ClusterOptions.GatherTimeout"/> has passed. Loop thread only.
/// </summary>
internal sealed class ClusterGathers(ClusterLink link, TimeProvider time)
{
    private readonly Dictionary<ulong, Gather> _pending = [];
    private readonly List<ulong> _due = [];

    /// <summary>Requests still waiting for answers.</summary>
    public int Pending => _pending.Count;

    /// <summary>Publishes <paramref name="body"/> on <paramref name="subject"/>; <paramref name="done"/> gets the answers (none when no other broker is live).</summary>
    public void Start(ulong id, string subject, byte[] body, Action<List<ClusterMessage>> done)
    {
        var expected = link.LivePeers;
        if (expected == 0 || !link.Publish(subject, body, link.Subjects.Replies))
        {
            done([]);
            return;
        }

        var until = time.GetTimestamp() + (long)(link.Options.GatherTimeout.TotalSeconds * time.TimestampFrequency);
        _pending[id] = new Gather(expected, until, done);
    }

    /// <summary>An answer from another broker.</summary>
    public void Answered(ClusterMessage answer)
    {
        if (answer.Result is null || !_pending.TryGetValue(answer.Id, out var gather))
        {
            return;
        }

        if (gather.From.Add(answer.From))
        {
            gather.Answers.Add(answer);
        }

        if (gather.Answers.Count >= gather.Expected)
        {
            _pending.Remove(answer.Id);
            gather.Done(gather.Answers);
        }
    }

    /// <summary>Ends the gathers whose time is up with the answers they have.</summary>
    public void Tick(long now)
    {
        _due.Clear();
        foreach (var (id, gather) in _pending)
        {
            if (gather.Until <= now)
            {
                _due.Add(id);
            }
        }

        foreach (var id in _due)
        {
            if (_pending.Remove(id, out var gather))
            {
                gather.Done(gather.Answers);
            }
        }
    }

    private sealed class Gather(int expected, long until, Action<List<ClusterMessage>> done)
    {
        public int Expected { get; } = expected;

        public long Until { get; } = until;

        public Action<List<ClusterMessage>> Done { get; } = done;

        public List<ClusterMessage> Answers { get; } = [];

        public HashSet<string> From { get; } = new(StringComparer.Ordinal);
    }
}
