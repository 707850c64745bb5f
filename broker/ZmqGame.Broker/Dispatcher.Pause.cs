namespace ZmqGame.Broker;

/// <summary>
/// Paused workers: a ZmqGame worker slot attached to several brokers runs one request at a time, whichever broker sent
/// it. While it runs one, it tells its other brokers "paused" (a HEARTBEAT flag), and "ready" when it is free again.
/// A paused worker stays registered (its liveness applies, it counts for mmi.service) but is not idle: it is never sent
/// a request or an event. A request it held when "paused" was read (it crossed the message on the wire) is still
/// answered, and its REPLY leaves the worker paused. Stock MDP workers never say either.
/// </summary>
internal sealed partial class Dispatcher
{
    /// <summary>HEARTBEAT "paused": the worker leaves the idle list and takes nothing new until "ready".</summary>
    public void WorkerPaused(ReadOnlySpan<byte> identity)
    {
        if (!_workersBySpan.TryGetValue(identity, out var worker))
        {
            WorkerHeartbeat(identity);
            return;
        }

        worker.ExpiresAt = Now + _expiryTicks;
        if (worker.Draining)
        {
            // Draining already keeps it from new work, and it leaves once it holds nothing.
            return;
        }

        worker.Paused = true;
        if (worker.IdleNode.List is not null)
        {
            worker.Service.Idle.Remove(worker.IdleNode);
        }
    }

    /// <summary>
    /// HEARTBEAT "ready": a paused worker that holds nothing becomes idle (at the back of the LRU list, or it takes the
    /// oldest waiting request at once); one that still holds a request is idle after its REPLY, as any worker.
    /// </summary>
    public void WorkerResumed(ReadOnlySpan<byte> identity)
    {
        if (!_workersBySpan.TryGetValue(identity, out var worker))
        {
            WorkerHeartbeat(identity);
            return;
        }

        var now = Now;
        worker.ExpiresAt = now + _expiryTicks;
        if (!worker.Paused || worker.Draining)
        {
            return;
        }

        worker.Paused = false;
        if (worker.Current is null)
        {
            MakeIdle(worker, now);
        }
    }
}
