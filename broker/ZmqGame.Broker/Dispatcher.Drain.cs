namespace ZmqGame.Broker;

/// <summary>What an operator's drain of a worker did (<see cref="Dispatcher.DrainWorker"/>).</summary>
internal enum DrainOutcome
{
    /// <summary>No worker with that identity is registered.</summary>
    Unknown,

    /// <summary>It was already draining (its own stop, or an earlier drain): nothing changed.</summary>
    AlreadyDraining,

    /// <summary>It held nothing: out of service at once.</summary>
    Drained,

    /// <summary>It holds a request: it finishes and replies, then takes nothing more.</summary>
    Finishing,
}

/// <summary>
/// The drain of a worker by an operator (the admin console): the worker leaves the idle list and is never sent a
/// request or an event again; a request it holds is finished and its REPLY forwarded. Unlike a worker's own drain
/// (HEARTBEAT "draining"), the broker keeps it registered and says no DISCONNECT, since an MDP worker told DISCONNECT
/// reconnects as a fresh worker: it stays listed as draining until its process stops it or it falls silent.
/// </summary>
internal sealed partial class Dispatcher
{
    /// <summary>Drains the worker registered as <paramref name="identity"/>. Loop thread only.</summary>
    public DrainOutcome DrainWorker(ReadOnlySpan<byte> identity)
    {
        if (!_workersBySpan.TryGetValue(identity, out var worker))
        {
            return DrainOutcome.Unknown;
        }

        if (worker.Draining)
        {
            return DrainOutcome.AlreadyDraining;
        }

        worker.Draining = true;
        worker.HeldOut = true;
        if (worker.IdleNode.List is not null)
        {
            worker.Service.Idle.Remove(worker.IdleNode);
        }

        return worker.Current is null ? DrainOutcome.Drained : DrainOutcome.Finishing;
    }
}
