using System.Text;
using Microsoft.Extensions.Logging;
using ZmqGame.Protocol;
using ZmqGame.Transport;
using ZmqGame.Worker.Tracing;

namespace ZmqGame.Worker.Internal;

/// <summary>
/// The connection side of a worker: one I/O thread (<see cref="IConnectionLoop"/>) owns every slot's DEALER connection and
/// the heartbeat tick; handler results and reconnect attempts come back to it through <see cref="IConnectionLoop.Post"/>.
/// Its frames are written and read by the codecs <see cref="MdpWorker"/> and <see cref="ZgWorker"/>. The graceful stop
/// is in WorkerEngine.Stopping.cs, the reconnect backoff in WorkerEngine.Outage.cs, the slot credit shared by the links of
/// a slot attached to several brokers in WorkerEngine.Credit.cs.
/// </summary>
internal sealed partial class WorkerEngine : IDisposable
{
    private static readonly byte[] NoRawRoute = "error: no raw route"u8.ToArray();

    private readonly WorkerOptions _options;
    private readonly ILogger _logger;
    private readonly WorkerCounters _counters;
    private readonly RequestPipeline _pipeline;
    private readonly IConnectionLoop _io;
    private readonly TimeSpan _tick;
    private readonly Slot[] _slots;
    private readonly int _slotCount;
    private readonly CancellationTokenSource _stopCts = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TimeProvider _time;
    private readonly Action<SlotCredit> _pauseDue;
    private readonly TraceContextReader _traceContexts;
    private bool _inline;
    private bool _stopping;
    private int _abandoned;
    private int _started;
    private int _tornDown;

    public WorkerEngine(IReadOnlyList<ServiceDefinition> services, WorkerOptions options, ILogger logger, TimeProvider time, WorkerCounters counters)
    {
        _options = options;
        _logger = logger;
        _time = time;
        _counters = counters;
        _pipeline = new RequestPipeline(logger, counters);
        _traceContexts = new TraceContextReader(logger, counters, time);
        _pauseDue = PauseDue;
        var tick = options.HeartbeatInterval / 4;
        _tick = tick < TimeSpan.FromMilliseconds(10) ? TimeSpan.FromMilliseconds(10) : tick;
        var brokers = EndpointSyntax.Split(options.Broker);
        _io = ConnectionLoop.Create(LoopEndpoint(brokers), new DealerOptions { FinalLinger = TimeSpan.FromSeconds(1), Batch = 64 }, ex => Log.PollerError(logger, ex));

        var slots = new List<Slot>();
        foreach (var service in services)
        {
            for (var i = 0; i < service.Slots; i++)
            {
                var credit = new SlotCredit();
                var links = new Slot[brokers.Count];
                for (var b = 0; b < brokers.Count; b++)
                {
                    links[b] = NewLink(service, i, brokers[b], credit);
                }

                credit.Links = links;
                slots.AddRange(links);
                _slotCount++;
            }
        }

        _slots = [.. slots];
    }

    /// <summary>Slots (units of concurrency) of every service; each has one connection per broker.</summary>
    public int SlotCount => _slotCount;

    /// <summary>Where handled requests are counted (<see cref="Metrics.WorkerMetrics"/>); null: nowhere.</summary>
    internal Metrics.WorkerMetrics? Metrics { get; set; }

    /// <summary>Every slot's link to every broker, fixed at construction; their state belongs to the I/O thread (read elsewhere only as a gauge).</summary>
    internal IReadOnlyList<Slot> Links => _slots;

    /// <summary>One slot's link to one broker: its own MDP worker, with its own liveness, reconnect backoff and session sender.</summary>
    private Slot NewLink(ServiceDefinition service, int index, string broker, SlotCredit credit)
    {
        var slot = new Slot(service, index, broker, credit, new Liveness(_time, _options.HeartbeatInterval, _options.Liveness));
        slot.Sender = new SessionSender(() => this, slot);
        slot.Reconnect = ReconnectPolicy.Create(_options.ReconnectDelayMin, _options.ReconnectDelayMax, _time, args =>
        {
            Interlocked.Increment(ref _counters.Reconnects);
            Log.ReconnectScheduled(_logger, slot.Service.Name, slot.Index, args.AttemptNumber + 1, args.RetryDelay);
            return ValueTask.CompletedTask;
        });
        return slot;
    }

    /// <summary>The endpoint that chooses the transport of the one I/O loop: a broker only NetMQ reaches, else the first.</summary>
    private static string LoopEndpoint(IReadOnlyList<string> brokers)
    {
        foreach (var broker in brokers)
        {
            if (!TransportChoice.UsesOwnTransport(broker, curve: false))
            {
                return broker;
            }
        }

        return brokers[0];
    }

    /// <summary>Starts the I/O thread and connects every slot (READY).</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("The worker is already started.");
        }

        ReservePoolThreads(_slotCount + Environment.ProcessorCount);
        _inline = _options.InlineBudget > TimeSpan.Zero && _io.EnableInline(_options.InlineBudget);
        _io.Start("ZmqGame.Worker", _tick, OnTick);
        foreach (var slot in _slots)
        {
            _ = RecoverAsync(slot, waitFirst: false);
        }
    }

    /// <summary>
    /// Handlers run on the thread pool, and NetMQ completes socket I/O (heartbeats, replies) there too. Handlers that
    /// block their thread (a synchronous database call, <c>Thread.Sleep</c>) in every slot would leave that I/O
    /// waiting for the pool to grow, about a thread per half second; so the pool starts with a thread per slot plus
    /// one per core. Only ever raised.
    /// </summary>
    private static void ReservePoolThreads(int workerThreads)
    {
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        if (workers < workerThreads)
        {
            ThreadPool.SetMinThreads(workerThreads, completionPorts);
        }
    }

    /// <summary>
    /// Graceful stop (the drain, WorkerEngine.Stopping.cs): every slot says it is draining, runs and answers what the broker
    /// had already sent it, and leaves on the broker's DISCONNECT; after the shutdown timeout
    /// (or when <paramref name="cancellationToken"/> fires) the rest are abandoned. Then the I/O thread stops and the connections close.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _started) == 0 || Volatile.Read(ref _tornDown) != 0)
        {
            return;
        }

        Post(BeginStop);
        try
        {
            await _drained.Task.WaitAsync(_options.ShutdownTimeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            Post(ForceStop);
            await _drained.Task.ConfigureAwait(false);
        }

        Teardown();
        var replies = Interlocked.Read(ref _counters.Replies);
        var abandoned = Volatile.Read(ref _abandoned);
        var late = Interlocked.Read(ref _counters.LateResultsDropped);
        Log.Stopped(_logger, replies, abandoned, late);
    }

    public void Dispose()
    {
        Teardown();
        _stopCts.Dispose();
    }

    /// <summary>Hands a result computed off the I/O thread back to the slot that owns the request.</summary>
    internal void PostCompletion(Slot slot, int generation, IReadOnlyList<byte[]> reply) => Post(() => Complete(slot, generation, reply));

    /// <summary>
    /// Hands a session action (its arguments and payload frames) to the I/O thread: it goes out on <paramref name="preferred"/>
    /// if that slot is connected (so it precedes the slot's reply), else on the first connected slot, else it is dropped.
    /// </summary>
    internal void PostAction(Slot? preferred, string action, byte[] arguments, byte[]? payload)
    {
        if (Volatile.Read(ref _tornDown) != 0)
        {
            DropAction(action, "the worker has stopped");
            return;
        }

        try
        {
            Post(() => SendAction(preferred, action, arguments, payload));
        }
        catch (ObjectDisposedException)
        {
            DropAction(action, "the worker has stopped");
        }
    }

    private void Post(Action action) => _io.Post(action);

    private void Teardown()
    {
        if (Interlocked.Exchange(ref _tornDown, 1) != 0)
        {
            return;
        }

        _io.Dispose();
        foreach (var slot in _slots)
        {
            slot.Link = null;
            slot.Credit.Dispose();
        }
    }

    // ---- I/O thread from here on ----

    private void OnTick()
    {
        try
        {
            foreach (var slot in _slots)
            {
                if (slot.Link is null || slot.State == SlotState.Stopped)
                {
                    continue;
                }

                if (_stopping)
                {
                    CheckDrainDeadline(slot);
                    if (slot.State == SlotState.Stopped)
                    {
                        continue;
                    }
                }

                if (slot.Liveness.BrokerSilent())
                {
                    LoseConnection(slot, $"nothing from the broker for {slot.Liveness.SilenceLimit.TotalMilliseconds:0} ms");
                }
                else if (slot.Liveness.HeartbeatDue())
                {
                    Send(slot, Heartbeat(draining: false), "HEARTBEAT");
                }
            }
        }
        catch (Exception ex)
        {
            Log.PollerError(_logger, ex);
        }
    }

    private void Open(Slot slot, TaskCompletionSource<bool> attempt)
    {
        if (_stopping || slot.State == SlotState.Stopped)
        {
            slot.State = SlotState.Stopped;
            attempt.TrySetCanceled();
            CheckDrained();
            return;
        }

        IDealerLink? link = null;
        try
        {
            link = _io.Connect(
                slot.Broker,
                frames =>
                {
                    if (slot.Link == link)
                    {
                        Handle(slot, frames);
                    }
                },
                reason =>
                {
                    if (slot.Link == link)
                    {
                        LoseConnection(slot, reason);
                    }
                });
        }
        catch (Exception ex)
        {
            Log.ConnectionLost(_logger, slot.Service.Name, slot.Index, $"cannot connect to {slot.Broker}: {ex.Message}");
            attempt.TrySetResult(false);
            return;
        }

        slot.Link = link;
        slot.State = SlotState.Idle;
        slot.ContactWaiter = attempt;
        slot.Liveness.Reset();
        var ready = new List<byte[]>(5);
        MdpWorker.WriteReady(
            new FrameListWriter(ready),
            Encoding.UTF8.GetBytes(slot.Service.Name),
            new WorkerInfo(_options.Version, slot.Service.IdempotentCommands()).Serialize());
        Send(slot, ready, "READY");
        slot.Paused = false;
        PauseIfTaken(slot);
        Log.SlotReady(_logger, slot.Service.Name, slot.Index, slot.Broker);
    }

    private void Handle(Slot slot, List<byte[]> message)
    {
        slot.Liveness.Heard();
        slot.LastFailure = null;
        if (slot.ContactWaiter is { } waiter)
        {
            slot.ContactWaiter = null;
            waiter.TrySetResult(true);
        }

        if (!MdpWorker.TryReadCommand(new ListFrames(message), out var command))
        {
            Unexpected(slot, "not an MDPW01 message");
            return;
        }

        if (slot.State == SlotState.Stopped)
        {
            if (command == Mdp.Request)
            {
                Unexpected(slot, "REQUEST after DISCONNECT (stopping)");
            }

            return;
        }

        switch (command)
        {
            case Mdp.Heartbeat:
                break;
            case Mdp.Disconnect when slot.State == SlotState.Draining:
                DrainConfirmed(slot);
                break;
            case Mdp.Disconnect:
                LoseConnection(slot, "the broker sent DISCONNECT");
                break;
            case Mdp.Request:
                OnRequest(slot, message);
                break;
            default:
                Unexpected(slot, "command " + Mdp.CommandName(command));
                break;
        }
    }

    private void OnRequest(Slot slot, List<byte[]> message)
    {
        if (!MdpWorker.TryReadEnvelope(new ListFrames(message), Mdp.Request, out var request))
        {
            Unexpected(slot, "malformed REQUEST");
            return;
        }

        if (slot.State is not (SlotState.Idle or SlotState.Draining))
        {
            Unexpected(slot, "REQUEST while the slot holds one");
            return;
        }

        if (slot.Credit.Holder is not null)
        {
            // The slot runs another request (of another broker, or one abandoned by this link's lost connection):
            // this one crossed "paused" on the wire, and runs next. The transport reuses the list: keep a copy.
            slot.State = SlotState.Busy;
            slot.Credit.Waiting.Add((slot, [.. message]));
            return;
        }

        Run(slot, request, message);
    }

    /// <summary>Takes the slot's credit and runs the request (a handler on the pool, or answered at once).</summary>
    private void Run(Slot slot, MdpWorkerEnvelope request, List<byte[]> message)
    {
        slot.Credit.Holder = slot;
        slot.Credit.HolderGeneration = slot.Generation;
        Interlocked.Increment(ref _counters.Requests);
        var body = new byte[request.BodyCount][];
        message.CopyTo(MdpWorkerEnvelope.BodyStart, body, 0, body.Length);

        var cts = new CancellationTokenSource();
        slot.State = SlotState.Busy;
        slot.Client = message[MdpWorkerEnvelope.ClientIndex];
        slot.RequestCts = cts;
        var service = slot.Service;
        var generation = slot.Generation;

        if (body.Length > 0 && RequestHeader.TryRead(body[0], out var header))
        {
            slot.RequestId = header.RequestId;
            if (!RequestBody.TryReadSession(body, out var session, out var payloadStart))
            {
                Interlocked.Increment(ref _counters.BadRequests);
                Log.BadRequest(_logger, service.Name, header.Command, "malformed session frame");
                Complete(slot, generation, [new ReplyHeader(header.RequestId, Status.BadRequest).ToArray(), "bad request: malformed session frame"u8.ToArray()]);
                return;
            }

            if (!service.Routes.TryGetValue(header.Command, out var route))
            {
                Interlocked.Increment(ref _counters.NoSuchRoute);
                Log.NoSuchRoute(_logger, service.Name, header.Command);
                Metrics?.Handled(service.Name, header.Command, raw: false, Status.NoSuchRoute, System.Diagnostics.Stopwatch.GetTimestamp());
                var text = Encoding.UTF8.GetBytes($"no such route: service '{service.Name}' has no command {header.Command}");
                Complete(slot, generation, [new ReplyHeader(header.RequestId, Status.NoSuchRoute).ToArray(), text]);
                return;
            }

            var traceParent = _traceContexts.Read(RequestBody.SkipExtensions(body, ref payloadStart), service.Name);
            var ctx = new RequestContext(service.Name, header.Command, header.RequestId, isRaw: false, slot.Index, session, slot.Sender, cts.Token)
            {
                ReplyLimit = ReplyLimitFor(slot),
                TraceParent = traceParent,
            };
            Dispatch(slot, new RequestWork(this, _pipeline, slot, generation, route, ctx, body.AsMemory(payloadStart).ToArray()));
        }
        else if (body.Length > 0 && EventHeader.TryRead(body[0], out var eventHeader))
        {
            slot.HoldsEvent = true;
            OnEvent(slot, generation, eventHeader, body);
        }
        else if (service.RawRoute is { } raw)
        {
            var ctx = new RequestContext(service.Name, 0, 0, isRaw: true, slot.Index, SessionInfo.None, slot.Sender, cts.Token)
            {
                ReplyLimit = ReplyLimitFor(slot),
            };
            Dispatch(slot, new RequestWork(this, _pipeline, slot, generation, raw, ctx, body));
        }
        else
        {
            Log.NoRawRoute(_logger, service.Name);
            Complete(slot, generation, [NoRawRoute]);
        }
    }

    private void Complete(Slot slot, int generation, IReadOnlyList<byte[]> reply)
    {
        var ran = slot.Credit.Holder == slot && slot.Credit.HolderGeneration == generation;
        if (slot.Generation != generation || slot.State != SlotState.Busy || slot.Client is null)
        {
            var total = Interlocked.Increment(ref _counters.LateResultsDropped);
            Log.LateResultDropped(_logger, slot.Service.Name, slot.Index, total);
            if (ran)
            {
                // An abandoned handler has returned: only now may the slot run the next request.
                Release(slot.Credit);
            }

            return;
        }

        var message = new List<byte[]>(MdpWorkerEnvelope.BodyStart + reply.Count);
        MdpWorker.WriteReply(new FrameListWriter(message), slot.Client, reply);

        slot.Client = null;
        slot.RequestId = null;
        slot.HoldsEvent = false;
        slot.RequestCts?.Dispose();
        slot.RequestCts = null;
        if (Send(slot, message, "REPLY"))
        {
            Interlocked.Increment(ref _counters.Replies);
        }

        if (_stopping)
        {
            AfterReplyWhileStopping(slot);
        }
        else
        {
            slot.State = SlotState.Idle;
        }

        if (ran)
        {
            Release(slot.Credit);
        }
    }

    /// <summary>Closes the slot's connection (dropping what it still queues), abandons its request, and starts or continues the reconnect backoff.</summary>
    private void LoseConnection(Slot slot, string reason)
    {
        CloseSocket(slot);
        AbandonRequest(slot);
        var waiter = slot.ContactWaiter;
        slot.ContactWaiter = null;
        if (_stopping)
        {
            slot.State = SlotState.Stopped;
            waiter?.TrySetCanceled();
            CheckDrained();
            return;
        }

        slot.State = SlotState.Down;
        if (waiter is not null)
        {
            // A reconnect attempt that never heard the broker (refused, or its handshake failed): the running backoff
            // waits and tries again. Why is said once, not on every attempt, until the broker is heard.
            if (slot.LastFailure != reason)
            {
                slot.LastFailure = reason;
                Log.ConnectionLost(_logger, slot.Service.Name, slot.Index, reason);
            }

            waiter.TrySetResult(false);
        }
        else
        {
            Log.ConnectionLost(_logger, slot.Service.Name, slot.Index, reason);
            _ = RecoverAsync(slot, waitFirst: true);
        }
    }

    private static void CloseSocket(Slot slot)
    {
        if (slot.Link is { } link)
        {
            slot.Link = null;
            link.Close();
        }
    }

    private static void AbandonRequest(Slot slot)
    {
        // A request still waiting for the slot never ran: its broker decides what becomes of it.
        slot.Credit.Waiting.RemoveAll(w => w.Link == slot);
        slot.Paused = false;
        slot.Generation++;
        if (slot.RequestCts is { } cts)
        {
            // Not disposed: the handler may still hold the token.
            _ = cts.CancelAsync();
        }

        slot.RequestCts = null;
        slot.Client = null;
        slot.RequestId = null;
        slot.HoldsEvent = false;
    }

    private bool Send(Slot slot, List<byte[]> message, string what)
    {
        if (slot.Link is not { } link)
        {
            return false;
        }

        if (!link.TrySend(message))
        {
            Log.SendFailed(_logger, slot.Service.Name, slot.Index, what);
            return false;
        }

        slot.Liveness.Sent();
        return true;
    }

    private void Unexpected(Slot slot, string reason)
    {
        Interlocked.Increment(ref _counters.UnexpectedMessages);
        Log.UnexpectedMessage(_logger, slot.Service.Name, slot.Index, reason);
    }

    private static List<byte[]> Heartbeat(bool draining)
    {
        var message = new List<byte[]>(4);
        MdpWorker.WriteHeartbeat(new FrameListWriter(message), draining);
        return message;
    }

    private static List<byte[]> Disconnect()
    {
        var message = new List<byte[]>(3);
        MdpWorker.WriteDisconnect(new FrameListWriter(message));
        return message;
    }
}
