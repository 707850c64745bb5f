using System.Diagnostics;
using Microsoft.Extensions.Logging;
using ZmqGame.Protocol;
using ZmqGame.Transport;

namespace ZmqGame.Broker;

/// <summary>
/// The broker's request routing, free of sockets: services, their least-recently-used idle workers,
/// bounded waiting queues with deadlines, worker liveness and heartbeats. Runs on the loop thread
/// only; the endpoints call it for each decoded message and the host on each timer tick, and it answers
/// one way through <see cref="IWorkerChannel"/> and <see cref="IClientChannel"/>. It owns every request it is handed
/// until it gives it back to the <see cref="RequestPool"/>. Deadlines and liveness are in Dispatcher.Tick.cs.
/// </summary>
/// <remarks>
/// Invariant: a service has idle workers only while it has no waiting requests. A worker that
/// becomes idle takes the oldest waiting request first; a request that arrives takes the idle
/// worker that has waited longest. Draining and paused workers are never idle (Dispatcher.Pause.cs).
/// </remarks>
internal sealed partial class Dispatcher
{
    private readonly BrokerOptions _options;
    private readonly IWorkerChannel _workerChannel;
    private readonly IClientChannel _clientChannel;
    private readonly RequestPool _pool;
    private readonly BrokerStats _stats;
    private readonly BadInputLog _badInput;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Dictionary<byte[], Service> _services = new(ByteKeyComparer.Instance);
    private readonly Dictionary<byte[], Service>.AlternateLookup<ReadOnlySpan<byte>> _servicesBySpan;
    private readonly Dictionary<byte[], Worker> _workers = new(ByteKeyComparer.Instance);
    private readonly Dictionary<byte[], Worker>.AlternateLookup<ReadOnlySpan<byte>> _workersBySpan;
    private readonly Dictionary<byte[], long> _drained = new(ByteKeyComparer.Instance);
    private readonly Dictionary<byte[], long>.AlternateLookup<ReadOnlySpan<byte>> _drainedBySpan;
    private readonly List<Worker> _scratchWorkers = [];
    private readonly List<Service> _scratchServices = [];
    private readonly List<IdleWaiter> _idleWaiters = [];
    private readonly long _heartbeatTicks;
    private readonly long _expiryTicks;
    private readonly long _requestTimeoutTicks;
    private readonly long _eventTimeoutTicks;

    public Dispatcher(BrokerOptions options, IWorkerChannel workers, IClientChannel clients, RequestPool pool, BrokerStats stats,
        BadInputLog badInput, ILogger logger, TimeProvider time)
    {
        _options = options;
        _workerChannel = workers;
        _clientChannel = clients;
        _pool = pool;
        _stats = stats;
        _badInput = badInput;
        _logger = logger;
        _time = time;
        _servicesBySpan = _services.GetAlternateLookup<ReadOnlySpan<byte>>();
        _workersBySpan = _workers.GetAlternateLookup<ReadOnlySpan<byte>>();
        _drainedBySpan = _drained.GetAlternateLookup<ReadOnlySpan<byte>>();
        _heartbeatTicks = ToTicks(options.HeartbeatInterval);
        _expiryTicks = ToTicks(options.HeartbeatInterval * options.Liveness);
        _requestTimeoutTicks = ToTicks(options.RequestTimeout);
        _eventTimeoutTicks = ToTicks(options.EventTimeout);
    }

    public int WorkerCount => _workers.Count;

    public int ServiceCount => _services.Count;

    public long Now => _time.GetTimestamp();

    /// <summary>Where each dispatched client request's queue wait goes (<c>zmqgame_queue_wait_seconds</c>); null: not measured.</summary>
    public Metrics.QueueWaitSamples? QueueWait { get; set; }

    /// <summary>Workers of a service, idle or busy (0 for an unknown service). Answers mmi.service.</summary>
    public int WorkersOf(ReadOnlySpan<byte> service) =>
        _servicesBySpan.TryGetValue(service, out var s) ? s.WorkerCount : 0;

    public int IdleWorkersOf(ReadOnlySpan<byte> service) =>
        _servicesBySpan.TryGetValue(service, out var s) ? s.Idle.Count : 0;

    public int WaitingOf(ReadOnlySpan<byte> service) =>
        _servicesBySpan.TryGetValue(service, out var s) ? s.WaitingCount : 0;

    /// <summary>
    /// A client request for <paramref name="serviceName"/> (already validated). Dispatched to the
    /// idle worker that waited longest, or queued with a deadline, or answered <c>busy</c>.
    /// </summary>
    /// <param name="serviceName">The service asked for.</param>
    /// <param name="request">The request, its client and body; the dispatcher owns it from here.</param>
    /// <param name="clientTimeoutMs">The client's own queue deadline; 0 = the broker's default.</param>
    public void ClientRequest(ReadOnlySpan<byte> serviceName, PendingRequest request, uint clientTimeoutMs)
    {
        _stats.Requests++;
        var service = GetOrCreateService(serviceName);
        if (service is null)
        {
            _badInput.Report(BadInput.ServiceLimit, request.ClientId, $"more than {_options.MaxServices} services");
            _clientChannel.SendStatus(request, Status.BadRequest, "unknown service and the broker's service limit is reached");
            _pool.Release(request);
            return;
        }

        var now = Now;
        var timeout = _requestTimeoutTicks;
        if (clientTimeoutMs > 0)
        {
            timeout = Math.Min(timeout, (long)(clientTimeoutMs * (double)_time.TimestampFrequency / 1000));
        }

        service.Requests++;
        request.Service = service;
        request.Deadline = now + timeout;
        request.ArrivedAt = now;
        Route(service, request, now);
    }

    /// <summary>
    /// An event (session connected / closed, trigger event) for an idle ZmqGame worker of the service: dispatched to
    /// the one idle longest, or queued (up to <see cref="BrokerOptions.EventTimeout"/>) ahead of waiting requests.
    /// </summary>
    public void SubmitEvent(ReadOnlySpan<byte> serviceName, PendingRequest ev)
    {
        _stats.Events++;
        var service = GetOrCreateService(serviceName);
        if (service is null)
        {
            _stats.EventsDropped++;
            _pool.Release(ev);
            return;
        }

        var now = Now;
        ev.Service = service;
        ev.Deadline = now + _eventTimeoutTicks;
        RouteEvent(service, ev, now);
    }

    /// <summary>
    /// READY: registers a worker for a service, answers a ZmqGame worker with a HEARTBEAT at once, and makes it idle. <paramref name="info"/> is what a
    /// ZmqGame worker declared about itself (null for a stock MDP worker).
    /// </summary>
    public void WorkerReady(ReadOnlySpan<byte> identity, ReadOnlySpan<byte> serviceName, WorkerInfo? info = null)
    {
        if (_workersBySpan.TryGetValue(identity, out var known))
        {
            _badInput.Report(BadInput.BackendDuplicateReady, identity, $"READY from a worker already registered for {known.Service.NameText}");
            RemoveWorker(known, "protocol error: second READY", sendDisconnect: true);
            return;
        }

        if (!IsValidServiceName(serviceName))
        {
            _badInput.Report(BadInput.BackendBadService, identity, "READY with an empty, too long or mmi.* service name");
            _workerChannel.SendCommand(identity, Mdp.Disconnect);
            return;
        }

        var service = GetOrCreateService(serviceName);
        if (service is null)
        {
            _badInput.Report(BadInput.ServiceLimit, identity, $"more than {_options.MaxServices} services");
            _workerChannel.SendCommand(identity, Mdp.Disconnect);
            return;
        }

        var now = Now;
        var worker = new Worker(identity.ToArray(), service, info, now)
        {
            ExpiresAt = now + _expiryTicks,
            NextHeartbeatAt = now + _heartbeatTicks,
        };
        _workers.Add(worker.Identity, worker);
        service.WorkerCount++;
        _stats.WorkersRegistered++;
        if (_logger.IsEnabled(LogLevel.Information))
        {
            BrokerLog.WorkerReady(_logger, Convert.ToHexString(worker.Identity), service.NameText, service.WorkerCount);
        }

        if (info is not null)
        {
            // Heard at once: a ZmqGame worker whose READY waited in its socket until the broker was up (NetMQ queues it
            // while it connects) may be about to give that connection up for silence; this tells it the broker is
            // there, instead of the first heartbeat an interval later, when it could already have left with a request
            // sent to it. Stock MDP workers get what the reference broker sends them.
            _workerChannel.SendCommand(worker.Identity, Mdp.Heartbeat);
        }

        MakeIdle(worker, now);
    }

    /// <summary>
    /// REPLY: the worker's answer to the request it holds. Forwarded to the client through <see cref="IClientChannel"/>
    /// (the body is <paramref name="reply"/>'s frames from <paramref name="bodyAt"/> on); the request is released; the
    /// worker is idle again and takes the next request. False, and nothing forwarded, after a protocol error (unknown
    /// worker, no request held, or a client address other than the one it holds).
    /// </summary>
    public bool WorkerReply(ReadOnlySpan<byte> identity, ReadOnlySpan<byte> clientAddress, FrameBuffer reply, int bodyAt)
    {
        if (!_workersBySpan.TryGetValue(identity, out var worker))
        {
            _badInput.Report(BadInput.BackendNotReady, identity, "REPLY from a worker that never sent READY");
            _workerChannel.SendCommand(identity, Mdp.Disconnect);
            return false;
        }

        worker.ExpiresAt = Now + _expiryTicks;
        if (worker.State != WorkerState.Busy || worker.Current is not { } done || !clientAddress.SequenceEqual(done.ClientId))
        {
            _badInput.Report(BadInput.BackendUnexpectedReply, identity, "REPLY without a matching request");
            RemoveWorker(worker, "protocol error: unexpected REPLY", sendDisconnect: true);
            return false;
        }

        _clientChannel.ForwardReply(worker, done, reply, bodyAt);
        if (done.Kind == ClientKind.Event)
        {
            // The worker's answer to an event goes to nobody: not a reply to a client request.
            _stats.EventsHandled++;
        }
        else
        {
            _stats.Replies++;
            worker.Service.Replies++;
        }

        worker.RequestsServed++;
        worker.Current = null;
        _pool.Release(done);
        if (worker.Draining)
        {
            if (worker.HeldOut)
            {
                // Drained by an operator: it stays registered and takes nothing new.
                worker.State = WorkerState.Idle;
                return true;
            }

            Drained(worker, "drained: replied to its last request");
            return true;
        }

        if (worker.Paused)
        {
            // Its slot is busy with another broker's request: it stays out of the idle list until "ready".
            worker.State = WorkerState.Idle;
            return true;
        }

        MakeIdle(worker, Now);
        return true;
    }

    /// <summary>HEARTBEAT from a worker (any traffic also counts as a sign of life).</summary>
    public void WorkerHeartbeat(ReadOnlySpan<byte> identity)
    {
        if (_workersBySpan.TryGetValue(identity, out var worker))
        {
            worker.ExpiresAt = Now + _expiryTicks;
            return;
        }

        if (_drainedBySpan.ContainsKey(identity))
        {
            // A drained worker's heartbeat that crossed the DISCONNECT confirming its drain: nothing wrong, and that
            // DISCONNECT is already on its way.
            return;
        }

        // A worker the broker does not know (for example after a broker restart): tell it to reconnect.
        _badInput.Report(BadInput.BackendNotReady, identity, "HEARTBEAT from a worker that never sent READY");
        _workerChannel.SendCommand(identity, Mdp.Disconnect);
    }

    /// <summary>
    /// A worker's HEARTBEAT said "draining": it takes no new request from now on. Messages of one worker are read in
    /// order, and from here on nothing new is sent to it; so if it holds nothing now, nothing is on its way to it and it
    /// is removed at once and told DISCONNECT, which confirms its drain. If it holds a request (sent before this was
    /// read: it may have crossed the draining message on the wire), the worker runs it; its REPLY is forwarded and then
    /// the worker is removed and confirmed the same way (<see cref="WorkerReply"/>). Its liveness still applies.
    /// </summary>
    public void WorkerDraining(ReadOnlySpan<byte> identity)
    {
        if (!_workersBySpan.TryGetValue(identity, out var worker))
        {
            WorkerHeartbeat(identity);
            return;
        }

        worker.ExpiresAt = Now + _expiryTicks;
        worker.HeldOut = false;
        worker.Draining = true;
        if (worker.IdleNode.List is not null)
        {
            worker.Service.Idle.Remove(worker.IdleNode);
        }

        if (worker.Current is null)
        {
            Drained(worker, "drained");
        }
    }

    /// <summary>A draining worker that holds nothing leaves: a normal departure, confirmed to it with DISCONNECT.</summary>
    private void Drained(Worker worker, string reason)
    {
        _stats.WorkersDisconnected++;
        RemoveWorker(worker, reason, sendDisconnect: true);
        _drained[worker.Identity] = Now + _expiryTicks;
    }

    /// <summary>Forgets drained workers once their liveness has passed: nothing of theirs can still be on its way.</summary>
    private void ForgetDrained(long now)
    {
        if (_drained.Count == 0)
        {
            return;
        }

        foreach (var (identity, until) in _drained)
        {
            if (until <= now)
            {
                _drained.Remove(identity);
            }
        }
    }

    /// <summary>
    /// The worker said DISCONNECT (<paramref name="said"/>), or its connection closed. A ZmqGame worker
    /// replies to what it runs before it says DISCONNECT, so a request it still holds then was never
    /// run (it crossed the DISCONNECT on the wire): it goes back in line instead of failing.
    /// </summary>
    public void WorkerGone(ReadOnlySpan<byte> identity, string reason, bool said = false)
    {
        if (_workersBySpan.TryGetValue(identity, out var worker))
        {
            _stats.WorkersDisconnected++;
            RemoveWorker(worker, reason, sendDisconnect: false, handedBack: said && worker.Info is not null);
        }
    }

    /// <summary>A worker broke the protocol: it is removed and told DISCONNECT.</summary>
    public void WorkerProtocolError(ReadOnlySpan<byte> identity, BadInput kind, string detail)
    {
        _badInput.Report(kind, identity, detail);
        if (_workersBySpan.TryGetValue(identity, out var worker))
        {
            RemoveWorker(worker, "protocol error: " + detail, sendDisconnect: true);
        }
        else
        {
            _workerChannel.SendCommand(identity, Mdp.Disconnect);
        }
    }

    /// <summary>Every worker, for stats and shutdown.</summary>
    public IEnumerable<Worker> Workers => _workers.Values;

    public IEnumerable<Service> Services => _services.Values;

    /// <summary>A request handed back this many times is failed instead (a worker fleet that keeps leaving).</summary>
    private const int MaxRedispatches = 3;

    /// <summary>A lost worker's request runs again once: an event, or a ZmqGame client's request for an idempotent command.</summary>
    private static bool CanRetryLost(Worker worker, PendingRequest held) =>
        held.Redispatches == 0
        && (held.Kind == ClientKind.Event
            || (held.Kind == ClientKind.ZmqGame && worker.Info is { } info && info.Idempotent.Contains(held.Command)));

    /// <summary>A registered worker, or null.</summary>
    public Worker? FindWorker(ReadOnlySpan<byte> identity) => _workersBySpan.TryGetValue(identity, out var worker) ? worker : null;

    public static bool IsValidServiceName(ReadOnlySpan<byte> name) =>
        name.Length is > 0 and <= Mdp.MaxServiceLength && !name.StartsWith(Mdp.MmiPrefix);

    private void Route(Service service, PendingRequest request, long now)
    {
        if (request.Kind == ClientKind.Event)
        {
            RouteEvent(service, request, now);
            return;
        }

        if (TryDispatchToIdle(service, request, now))
        {
            return;
        }

        if (service.Waiting.Count >= _options.MaxQueuedPerService)
        {
            _stats.Busy++;
            _clientChannel.SendStatus(request, Status.Busy, $"service {service.NameText} has {service.Waiting.Count} requests waiting");
            _pool.Release(request);
            return;
        }

        _stats.Queued++;
        service.Waiting.Enqueue(request);
        if (request.Deadline < service.EarliestDeadline)
        {
            service.EarliestDeadline = request.Deadline;
        }
    }

    private void RouteEvent(Service service, PendingRequest ev, long now)
    {
        // Only ZmqGame workers understand events; the one idle longest takes it.
        var node = service.Idle.First;
        while (node is not null)
        {
            var next = node.Next;
            if (node.Value.Info is not null && TryDispatch(node.Value, ev, now))
            {
                return;
            }

            node = next;
        }

        if (service.Events.Count >= _options.MaxQueuedPerService)
        {
            _stats.EventsDropped++;
            _pool.Release(ev);
            return;
        }

        service.Events.Enqueue(ev);
        if (ev.Deadline < service.EarliestDeadline)
        {
            service.EarliestDeadline = ev.Deadline;
        }
    }

    private bool TryDispatchToIdle(Service service, PendingRequest request, long now)
    {
        while (service.Idle.First is { } idle)
        {
            if (TryDispatch(idle.Value, request, now))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A request a worker handed back (or lost, for an idempotent route): next in line, ahead of new ones.</summary>
    private void Redispatch(Service service, PendingRequest request, long now)
    {
        _stats.Redispatched++;
        request.Redispatches++;
        if (request.Deadline <= now)
        {
            Expire(request);
            return;
        }

        if (request.Kind == ClientKind.Event)
        {
            RouteEvent(service, request, now);
            return;
        }

        if (TryDispatchToIdle(service, request, now))
        {
            return;
        }

        service.Retry.Enqueue(request);
        if (request.Deadline < service.EarliestDeadline)
        {
            service.EarliestDeadline = request.Deadline;
        }
    }

    /// <summary>Sends the request to an idle worker; false (and the worker removed) if it cannot be reached.</summary>
    private bool TryDispatch(Worker worker, PendingRequest request, long now)
    {
        // Draining workers are never in the idle list, so a request handed back by a worker that left is never sent to
        // one (for example another slot of the same stopping process): it waits for a worker that stays.
        Debug.Assert(!worker.Draining, "a draining worker is never dispatched to");
        Debug.Assert(!worker.Paused, "a paused worker is never dispatched to");
        if (worker.IdleNode.List is not null)
        {
            worker.Service.Idle.Remove(worker.IdleNode);
        }

        worker.State = WorkerState.Busy;
        worker.Current = request;
        if (_workerChannel.SendRequest(worker, request))
        {
            _stats.Dispatched++;
            if (request.Kind != ClientKind.Event)
            {
                QueueWait?.Add(worker.Service, now - request.ArrivedAt);
            }

            worker.NextHeartbeatAt = now + _heartbeatTicks;
            return true;
        }

        // Nothing was sent: the request is still whole; only the worker goes.
        worker.Current = null;
        _stats.UnroutableWorker++;
        RemoveWorker(worker, "unreachable", sendDisconnect: false);
        return false;
    }

    private void MakeIdle(Worker worker, long now)
    {
        // Never called for a draining worker: it leaves once it holds nothing (WorkerDraining, WorkerReply).
        Debug.Assert(!worker.Draining, "a draining worker is never made idle");
        Debug.Assert(!worker.Paused, "a paused worker is never made idle");
        var service = worker.Service;
        while (service.Retry.TryDequeue(out var next)
            || (worker.Info is not null && service.Events.TryDequeue(out next))
            || service.Waiting.TryDequeue(out next))
        {
            if (next.Deadline <= now)
            {
                Expire(next);
                continue;
            }

            if (service.WaitingCount == 0)
            {
                service.EarliestDeadline = long.MaxValue;
            }

            if (TryDispatch(worker, next, now))
            {
                return;
            }

            // The worker vanished under us; the request goes to the next idle worker or back in line.
            Route(service, next, now);
            return;
        }

        service.EarliestDeadline = long.MaxValue;
        worker.State = WorkerState.Idle;
        service.Idle.AddLast(worker.IdleNode);
        if (_idleWaiters.Count > 0)
        {
            _idleWaiters.RemoveAll(w => w.TryComplete(this));
        }
    }

    /// <summary>
    /// Forgets a worker. A request it held is dispatched again when the worker handed it back
    /// (<paramref name="handedBack"/>), or when the worker was lost and declared the request's command
    /// idempotent (once); otherwise its client is answered <c>worker lost</c>.
    /// </summary>
    private void RemoveWorker(Worker worker, string reason, bool sendDisconnect, bool handedBack = false)
    {
        if (!_workers.Remove(worker.Identity))
        {
            return;
        }

        var service = worker.Service;
        if (worker.IdleNode.List is not null)
        {
            service.Idle.Remove(worker.IdleNode);
        }

        service.WorkerCount--;
        var id = Convert.ToHexString(worker.Identity);
        if (worker.Current is not { } held)
        {
            if (_logger.IsEnabled(LogLevel.Information))
            {
                BrokerLog.WorkerRemoved(_logger, id, service.NameText, reason);
            }
        }
        else if (handedBack ? held.Redispatches < MaxRedispatches : CanRetryLost(worker, held))
        {
            worker.Current = null;
            if (_logger.IsEnabled(LogLevel.Information))
            {
                BrokerLog.WorkerRemoved(_logger, id, service.NameText, reason + "; the request it held is dispatched again");
            }

            Redispatch(service, held, Now);
        }
        else
        {
            worker.Current = null;
            if (held.Kind == ClientKind.Event)
            {
                _stats.EventsDropped++;
            }
            else
            {
                _stats.WorkerLost++;
            }

            BrokerLog.WorkerLostRequest(_logger, id, service.NameText, held.RequestId, reason);
            _clientChannel.SendStatus(held, Status.WorkerLost, $"worker lost: {reason}");
            _pool.Release(held);
        }

        if (sendDisconnect)
        {
            _workerChannel.SendCommand(worker.Identity, Mdp.Disconnect);
        }
    }

    private Service? GetOrCreateService(ReadOnlySpan<byte> name)
    {
        if (_servicesBySpan.TryGetValue(name, out var service))
        {
            return service;
        }

        if (_services.Count >= _options.MaxServices)
        {
            return null;
        }

        service = new Service(name.ToArray());
        _services.Add(service.Name, service);
        return service;
    }

    private long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);
}
