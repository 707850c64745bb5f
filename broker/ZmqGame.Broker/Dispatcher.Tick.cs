using ZmqGame.Protocol;

namespace ZmqGame.Broker;

/// <summary>The dispatcher's clock: deadlines of waiting requests, worker liveness and heartbeats, idle waiters.</summary>
internal sealed partial class Dispatcher
{
    /// <summary>Expires queued requests and silent workers; heartbeats workers that were sent nothing lately.</summary>
    public void Tick()
    {
        var now = Now;
        _scratchServices.Clear();
        foreach (var service in _services.Values)
        {
            if (service.EarliestDeadline <= now)
            {
                ExpireWaiting(service, now);
            }

            if (service.WorkerCount == 0 && service.WaitingCount == 0)
            {
                _scratchServices.Add(service);
            }
        }

        foreach (var empty in _scratchServices)
        {
            _services.Remove(empty.Name);
        }

        ForgetDrained(now);
        _scratchWorkers.Clear();
        _scratchWorkers.AddRange(_workers.Values);
        foreach (var worker in _scratchWorkers)
        {
            if (worker.ExpiresAt <= now)
            {
                _stats.WorkersExpired++;
                RemoveWorker(worker, "no heartbeat within its liveness", sendDisconnect: true);
            }
            else if (worker.NextHeartbeatAt <= now)
            {
                worker.NextHeartbeatAt = now + _heartbeatTicks;
                _workerChannel.SendCommand(worker.Identity, Mdp.Heartbeat);
            }
        }
    }

    /// <summary>Completes when the service has at least <paramref name="count"/> idle workers.</summary>
    public void AddIdleWaiter(string service, int count, TaskCompletionSource done)
    {
        var waiter = new IdleWaiter(System.Text.Encoding.UTF8.GetBytes(service), count, done);
        if (!waiter.TryComplete(this))
        {
            _idleWaiters.Add(waiter);
        }
    }

    private void ExpireWaiting(Service service, long now)
    {
        service.EarliestDeadline = Math.Min(
            Math.Min(ExpireQueue(service.Retry, now), ExpireQueue(service.Events, now)),
            ExpireQueue(service.Waiting, now));
    }

    /// <summary>Answers the expired requests of a queue, keeps the order of the rest; returns their earliest deadline.</summary>
    private long ExpireQueue(Queue<PendingRequest> queue, long now)
    {
        var earliest = long.MaxValue;
        var count = queue.Count;
        for (var i = 0; i < count; i++)
        {
            var request = queue.Dequeue();
            if (request.Deadline <= now)
            {
                Expire(request);
                continue;
            }

            earliest = Math.Min(earliest, request.Deadline);
            queue.Enqueue(request);
        }

        return earliest;
    }

    private void Expire(PendingRequest request)
    {
        if (request.Kind == ClientKind.Event)
        {
            _stats.EventsExpired++;
            _pool.Release(request);
            return;
        }

        _stats.TimedOut++;
        _clientChannel.SendStatus(request, Status.Timeout, TimeoutText(request.Service));
        _pool.Release(request);
    }

    /// <summary>
    /// The text of a request's timeout: that no worker of its service is registered, when none is at this moment (the
    /// deploy window passed and nobody serves it), otherwise that none took it in time. Expiry path only.
    /// </summary>
    private static string TimeoutText(Service? service) =>
        service is { WorkerCount: 0 }
            ? $"no worker of service '{service.NameText}' is registered"
            : $"no worker of service {service?.NameText} took the request before its deadline";

    private sealed record IdleWaiter(byte[] Service, int Count, TaskCompletionSource Done)
    {
        public bool TryComplete(Dispatcher dispatcher)
        {
            if (Done.Task.IsCompleted)
            {
                return true;
            }

            if (dispatcher.IdleWorkersOf(Service) < Count)
            {
                return false;
            }

            Done.TrySetResult();
            return true;
        }
    }
}
