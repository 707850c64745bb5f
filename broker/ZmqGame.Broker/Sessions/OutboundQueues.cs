namespace ZmqGame.Broker.Sessions;

/// <summary>
/// The per-session outbound queues: a message for a client goes straight to its connection when nothing waits before
/// it and the connection takes it, otherwise it waits in the session's queue (<see cref="Session.Outbound"/>, at most
/// a limit of messages) until the connection takes it or the session ends. Order per session is kept. Runs on the
/// broker's loop thread only.
/// </summary>
/// <remarks>Invariant: a session is in the backlogged set exactly while its queue holds a message.</remarks>
internal sealed class OutboundQueues(IClientOutput output, BrokerStats stats, int queueLimit)
{
    private readonly HashSet<Session> _backlogged = [];
    private readonly List<Session> _scratch = [];

    /// <summary>Sessions with messages waiting.</summary>
    public int Backlogged => _backlogged.Count;

    /// <summary>Sends now, or queues behind what waits; false when the session's queue is full (dropped, counted).</summary>
    public bool Deliver(Session session, OutboundMessage message)
    {
        if (session.OutboundCount == 0 && session.Identity is { } identity && output.TrySendToClient(identity, message))
        {
            return true;
        }

        var queue = session.Outbound ??= new Queue<OutboundMessage>();
        if (queue.Count >= queueLimit)
        {
            stats.PushDroppedQueueFull++;
            return false;
        }

        queue.Enqueue(message);
        _backlogged.Add(session);
        return true;
    }

    /// <summary>Sends now ahead of what waits when the connection takes it, else as <see cref="Deliver"/>.</summary>
    public bool DeliverFirst(Session session, OutboundMessage message) =>
        (session.Identity is { } identity && output.TrySendToClient(identity, message)) || Deliver(session, message);

    /// <summary>Sends what waits for the session, oldest first, as far as its connection takes it.</summary>
    public void Flush(Session session)
    {
        if (session.Outbound is not { } queue || session.Identity is not { } identity)
        {
            return;
        }

        while (queue.TryPeek(out var next) && output.TrySendToClient(identity, next))
        {
            queue.Dequeue();
        }

        if (queue.Count == 0)
        {
            session.Outbound = null;
            _backlogged.Remove(session);
        }
    }

    /// <summary>Retries every session with messages waiting.</summary>
    public void FlushBacklogged()
    {
        if (_backlogged.Count > 0)
        {
            _scratch.Clear();
            _scratch.AddRange(_backlogged);
            foreach (var session in _scratch)
            {
                Flush(session);
            }
        }
    }

    /// <summary>The session ended: what still waits for it is dropped (counted).</summary>
    public void Discard(Session session)
    {
        stats.PushDroppedSessionEnded += session.OutboundCount;
        session.Outbound = null;
        _backlogged.Remove(session);
    }
}
