using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;
using ZmqGame.Protocol;
using ZmqGame.Transport;

namespace ZmqGame.Client.Internal;

/// <summary>
/// The engine behind <see cref="ZmqGameClient"/>. One dedicated I/O thread (<see cref="IConnectionLoop"/>) owns the
/// connection to the broker; every other thread talks to it through <see cref="commands"/>. Pending requests live in a
/// concurrent map so that replies (I/O thread), deadlines (timer threads) and cancellation (any thread) can
/// each complete a request by removing it. A background loop opens sockets and, when one dies, reopens it with a
/// Polly exponential backoff with jitter.
/// <para>
/// Sessions (docs/protocol.md, "Sessions"): every new socket says HELLO (with the last ticket, to resume); requests
/// wait for the WELCOME so they carry the session. NO SESSION and a dead connection resume with the ticket; CLOSED
/// from the broker opens a fresh session. Pushes fan out to bounded per-subscriber buffers; session events and push
/// handlers run on the thread pool, never on the socket thread.
/// </para>
/// </summary>
internal sealed class ClientCore : IAsyncDisposable
{
    private const int MaxBatch = 256;
    private const int MaxTicketBytes = 4096;

    /// <summary>How long disposal waits for the broker's CLOSED after CLOSE before it closes the socket anyway.</summary>
    internal static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(1);

    private readonly string endpoint;
    private readonly ZmqGameClientOptions options;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly ConcurrentQueue<Command> commands = new();
    private readonly IConnectionLoop io;
    private readonly ConcurrentDictionary<ulong, PendingRequest> pending = new();
    private readonly CancellationTokenSource lifetime = new();
    private readonly TaskCompletionSource<bool> firstConnected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<bool> pollerExited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ResiliencePipeline<Link?> reopenPipeline;
    private readonly long livenessTicks;
    private readonly long heartbeatTicks;
    private readonly byte[] sessionService;
    private readonly byte[]? serverKey;
    private readonly EventQueue events;
    private readonly object subscribersGate = new();
    private PushSubscription[] subscribers = [];
    private volatile ClientSession? session;
    private ITimer? tickTimer;
    private Task reconnectLoop = Task.CompletedTask;
    private long nextRequestId;
    private int disposed;
    private bool pollerStarted;

    // I/O-thread state.
    private IDealerLink? socket;
    private Link? link;
    private long epoch;
    private long lastSent;
    private long lastReceived;
    private long lastHeartbeatSent;
    private readonly Queue<PendingRequest> unsent = new();
    private bool heardOnLink;      // the broker sent something on the current socket
    private bool linkWelcomed;     // a WELCOME arrived on the current socket: requests may go
    private ulong sessionId;       // 0: no session
    private byte[]? ticket;        // the latest ticket, to resume with
    private bool helloPending;     // a HELLO is on its way and neither WELCOME nor CLOSED answered it yet
    private long helloSentAt;
    private bool welcomedOnce;
    private bool closing;          // CLOSE sent by disposal: no new session after CLOSED
    private TaskCompletionSource<bool>? closeAnswered;

    // Counters (any thread reads).
    private long malformedMessages;
    private long unknownReplies;
    private long heartbeatsSent;
    private long connectionsOpened;
    private long pushesReceived;
    private long droppedPushes;
    private long unreadablePushes;

    public ClientCore(string endpoint, ZmqGameClientOptions options)
    {
        this.endpoint = endpoint;
        this.options = options;
        time = options.TimeProvider ?? TimeProvider.System;
        logger = (ILogger?)options.LoggerFactory?.CreateLogger("ZmqGame.Client") ?? NullLogger.Instance;
        sessionService = options.SessionServiceBytes();
        serverKey = options.ServerKey();
        events = new EventQueue(logger);
        heartbeatTicks = ToTimestampTicks(options.HeartbeatInterval);
        livenessTicks = heartbeatTicks * options.Liveness;

        io = ConnectionLoop.Create(endpoint, new DealerOptions { CurveServerKey = serverKey, Batch = 256 }, ex => Log.PollerError(logger, ex));

        reopenPipeline = new ResiliencePipelineBuilder<Link?> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<Link?>
            {
                ShouldHandle = new PredicateBuilder<Link?>().HandleResult(static l => l is null),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.ReconnectDelayMin,
                MaxDelay = options.ReconnectDelayMax,
                MaxRetryAttempts = int.MaxValue,
                OnRetry = args =>
                {
                    Log.Reconnecting(logger, this.endpoint, (long)args.RetryDelay.TotalMilliseconds, args.AttemptNumber + 1);
                    return default;
                },
            })
            .Build();
    }

    public string Endpoint => endpoint;

    public ZmqGameClientOptions Options => options;

    public long MalformedMessages => Interlocked.Read(ref malformedMessages);

    public long UnknownReplies => Interlocked.Read(ref unknownReplies);

    public long HeartbeatsSent => Interlocked.Read(ref heartbeatsSent);

    public long ConnectionsOpened => Interlocked.Read(ref connectionsOpened);

    public int PendingCount => pending.Count;

    public long PushesReceived => Interlocked.Read(ref pushesReceived);

    public long DroppedPushes => Interlocked.Read(ref droppedPushes);

    public long UnreadablePushes => Interlocked.Read(ref unreadablePushes);

    /// <summary>The session of the latest WELCOME; null before the first and between CLOSED and the next WELCOME.</summary>
    public ClientSession? Session => session;

    /// <summary>The <c>sender</c> of the session events (the public client object).</summary>
    public object? EventSender { get; set; }

    public event EventHandler<SessionChangedEventArgs>? SessionChanged;

    public event EventHandler<SessionClosedEventArgs>? SessionClosed;

    public ILogger Logger => logger;

    /// <summary>A new subscriber buffer that gets every push from now on (of one command when <paramref name="command"/> is set).</summary>
    public PushSubscription Subscribe(int? command)
    {
        ThrowIfDisposed();
        var subscription = new PushSubscription(options.PushBufferSize, command, Unsubscribe);
        lock (subscribersGate)
        {
            subscribers = [.. subscribers, subscription];
        }

        // Disposal completes the subscribers it sees; one added during disposal is completed here.
        if (Volatile.Read(ref disposed) != 0)
        {
            subscription.Complete();
        }

        return subscription;
    }

    public long CountUnreadablePush() => Interlocked.Increment(ref unreadablePushes);

    /// <summary>Starts the socket thread, the tick timer and the connection loop. Called once.</summary>
    public void Start()
    {
        io.Start("ZmqGame.Client " + endpoint, onWake: OnWake, onExit: OnExit);
        pollerStarted = true;

        var tick = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, options.HeartbeatInterval.Ticks / 4));
        tickTimer = time.CreateTimer(static s => ((ClientCore)s!).Post(Command.TickCommand), this, tick, tick);
        reconnectLoop = Task.Run(() => RunConnectionLoopAsync(lifetime.Token));
    }

    /// <summary>Completes when the broker opened the first session (WELCOME); throws <see cref="TimeoutException"/> after ConnectTimeout.</summary>
    public async Task WaitConnectedAsync(CancellationToken cancellationToken)
    {
        try
        {
            await firstConnected.Task.WaitAsync(options.ConnectTimeout, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException(
                $"no broker answered at {endpoint} within {options.ConnectTimeout.TotalSeconds:0.###} s");
        }
    }

    /// <summary>Registers and queues one request. <paramref name="payload"/> is owned by the client from here on (callers pass a fresh array or a copy).</summary>
    public Task<byte[]> RequestAsync(string service, int command, byte[] payload, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();

        var serviceBytes = ValidateService(service);
        ZmqGameClientOptions.CheckDuration(timeout, nameof(timeout), TimeSpan.FromMilliseconds(1));
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<byte[]>(cancellationToken);
        }

        var id = (ulong)Interlocked.Increment(ref nextRequestId);
        var deadline = time.GetTimestamp() + ToTimestampTicks(timeout);
        var request = new PendingRequest(id, service, serviceBytes, command, payload, timeout, deadline);
        pending[id] = request;

        var timer = time.CreateTimer(static s => ((ExpiryState)s!).Fire(), new ExpiryState(this, request), timeout, Timeout.InfiniteTimeSpan);
        request.Attach(timer, CancelRequest, cancellationToken);

        // A dispose that ran between the first check and the insert has already swept the map.
        if (Volatile.Read(ref disposed) != 0 && pending.TryRemove(id, out _))
        {
            request.Fail(new ObjectDisposedException(nameof(ZmqGameClient)));
            return request.Task;
        }

        if (!Post(Command.Send(request)) && pending.TryRemove(id, out _))
        {
            request.Fail(new ObjectDisposedException(nameof(ZmqGameClient)));
        }

        return request.Task;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        lifetime.Cancel();
        tickTimer?.Dispose();

        foreach (var id in pending.Keys)
        {
            if (pending.TryRemove(id, out var request))
            {
                request.Fail(new ObjectDisposedException(nameof(ZmqGameClient), "the client was disposed before the request completed"));
            }
        }

        if (pollerStarted)
        {
            await CloseSessionAsync().ConfigureAwait(false);
        }

        PushSubscription[] toComplete;
        lock (subscribersGate)
        {
            toComplete = subscribers;
        }

        foreach (var subscription in toComplete)
        {
            subscription.Complete();
        }

        if (pollerStarted)
        {
            io.Stop();
            await pollerExited.Task.ConfigureAwait(false);
        }

        try
        {
            await reconnectLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        firstConnected.TrySetCanceled();
        io.Dispose();
        lifetime.Dispose();
    }

    internal static byte[] ValidateService(string service)
    {
        if (string.IsNullOrEmpty(service))
        {
            throw new ArgumentException("service must not be empty", nameof(service));
        }

        var bytes = Encoding.UTF8.GetBytes(service);
        if (bytes.Length > Mdp.MaxServiceLength)
        {
            throw new ArgumentException($"service must be at most {Mdp.MaxServiceLength} UTF-8 bytes", nameof(service));
        }

        if (bytes.AsSpan().StartsWith(Mdp.MmiPrefix))
        {
            throw new ArgumentException("services starting with \"mmi.\" are answered by the broker and not callable here", nameof(service));
        }

        return bytes;
    }

    /// <summary>Says CLOSE (when a session is open or being opened) and waits, at most <see cref="CloseTimeout"/>, for CLOSED.</summary>
    private async Task CloseSessionAsync()
    {
        var answered = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            commands.Enqueue(Command.CloseSession(answered)); // Post() refuses once disposed
            io.Wake();
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        try
        {
            // Real time: a test's manual clock must not hold disposal up.
            await answered.Task.WaitAsync(CloseTimeout, TimeProvider.System, CancellationToken.None).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Log.CloseUnanswered(logger, session?.Id ?? 0, endpoint, (long)CloseTimeout.TotalMilliseconds);
        }
    }

    private void ThrowIfDisposed()
    {
#if NET
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, typeof(ZmqGameClient));
#else
        if (Volatile.Read(ref disposed) != 0)
        {
            throw new ObjectDisposedException(nameof(ZmqGameClient));
        }
#endif
    }

    private void Unsubscribe(PushSubscription subscription)
    {
        lock (subscribersGate)
        {
            subscribers = Array.FindAll(subscribers, s => !ReferenceEquals(s, subscription));
        }
    }

    private long ToTimestampTicks(TimeSpan span) => (long)(span.Ticks * (time.TimestampFrequency / (double)TimeSpan.TicksPerSecond));

    private bool Post(Command command)
    {
        if (Volatile.Read(ref disposed) != 0)
        {
            return false;
        }

        try
        {
            commands.Enqueue(command);
            io.Wake();
            return true;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    private void Expire(PendingRequest request)
    {
        if (pending.TryRemove(request.Id, out _))
        {
            request.Fail(new ZmqGameRequestException(
                Status.Timeout, request.Service, request.Command,
                $"no reply within {request.Timeout.TotalMilliseconds:0} ms", connectionLost: false, inner: null));
        }
    }

    private void CancelRequest(PendingRequest request, CancellationToken token)
    {
        if (pending.TryRemove(request.Id, out _))
        {
            request.Cancel(token);
        }
    }

    // ---------------------------------------------------------------- connection loop (thread pool)

    private async Task RunConnectionLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var open = await reopenPipeline.ExecuteAsync(
                    static async (state, token) =>
                    {
                        var l = new Link();
                        using (token.Register(static s => ((Link)s!).Abort(), l))
                        {
                            state.Post(Command.Open(l));
                            return await l.Answered.ConfigureAwait(false) ? l : null;
                        }
                    },
                    this,
                    cancellationToken).ConfigureAwait(false);

                if (open is null)
                {
                    continue;
                }

                using (cancellationToken.Register(static s => ((Link)s!).Abort(), open))
                {
                    await open.Closed.ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            Log.LoopFailed(logger, endpoint, ex);
            firstConnected.TrySetException(ex);
        }
    }

    // ---------------------------------------------------------------- I/O thread

    private void OnExit()
    {
        CloseSocket();
        unsent.Clear();
        pollerExited.TrySetResult(true);
    }

    private void OnWake()
    {
        for (var i = 0; i < MaxBatch && commands.TryDequeue(out var command); i++)
        {
            try
            {
                switch (command.Kind)
                {
                    case CommandKind.Send:
                        HandleSend(command.Request!);
                        break;
                    case CommandKind.Tick:
                        HandleTick();
                        break;
                    case CommandKind.Open:
                        HandleOpen(command.Link!);
                        break;
                    case CommandKind.CloseSession:
                        HandleCloseSession(command.Answered!);
                        break;
                }
            }
            catch (Exception ex)
            {
                Log.PollerError(logger, ex);
            }
        }

        if (!commands.IsEmpty)
        {
            // More than a batch: the rest next turn, after the socket had its turn.
            io.Wake();
        }
    }

    private void HandleSend(PendingRequest request)
    {
        if (!pending.ContainsKey(request.Id))
        {
            return;
        }

        if (socket is null || !linkWelcomed)
        {
            // No connection the broker has opened a session on: the request waits (its deadline still runs).
            unsent.Enqueue(request);
            if (unsent.Count > 1024 && unsent.Count % 1024 == 0)
            {
                PruneUnsent();
            }

            return;
        }

        SendRequest(request);
    }

    private void SendRequest(PendingRequest request)
    {
        var now = time.GetTimestamp();
        var remainingMs = (request.DeadlineTimestamp - now) * 1000.0 / time.TimestampFrequency;
        if (remainingMs < 1)
        {
            return; // its deadline timer is about to end it
        }

        var header = new RequestHeader(request.Id, request.Command, (uint)Math.Ceiling(remainingMs));
        var message = new List<byte[]>(7) { Array.Empty<byte>(), ZgClientHeader };
        if (sessionId != 0)
        {
            // SESSION REQUEST: a broker that does not have this session on this connection answers `no session`
            // instead of running it without one; the request is then sent again once the session is resumed.
            var id = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(id, sessionId);
            message.Add([ZgClient.SessionRequest]);
            message.Add(id);
        }
        else
        {
            message.Add([ZgClient.Request]);
        }

        message.Add(request.ServiceBytes);
        message.Add(header.ToArray());
        message.Add(request.Payload);

        if (!socket!.TrySend(message))
        {
            Log.SendQueueFull(logger, endpoint, request.Id);
            if (pending.TryRemove(request.Id, out _))
            {
                request.Fail(new ZmqGameRequestException(
                    Status.Busy, request.Service, request.Command, "the client's send queue to the broker is full", connectionLost: false, inner: null));
            }

            return;
        }

        request.SentEpoch = epoch;
        lastSent = now;
    }

    private void HandleOpen(Link newLink)
    {
        if (Volatile.Read(ref disposed) != 0)
        {
            newLink.SetClosed();
            return;
        }

        CloseSocket();
        IDealerLink? opened = null;
        try
        {
            opened = io.Connect(
                endpoint,
                frames =>
                {
                    if (ReferenceEquals(socket, opened))
                    {
                        OnMessage(frames);
                    }
                },
                _ =>
                {
                    if (ReferenceEquals(socket, opened))
                    {
                        LinkLost(time.GetTimestamp() - lastReceived);
                    }
                });
        }
        catch (Exception ex)
        {
            newLink.SetFailed(new ArgumentException($"cannot connect to \"{endpoint}\": {ex.Message}", ex));
            return;
        }

        socket = opened;
        link = newLink;
        newLink.Epoch = ++epoch;
        Interlocked.Increment(ref connectionsOpened);

        var now = time.GetTimestamp();
        lastReceived = now;
        SendHello(now, resume: ticket is not null);
    }

    /// <summary>HELLO: [session service][ticket]; the ticket only when resuming.</summary>
    private void SendHello(long now, bool resume)
    {
        List<byte[]> message = [[], ZgClientHeader, [ZgClient.Hello], sessionService, resume && ticket is not null ? ticket : []];
        if (socket!.TrySend(message))
        {
            lastSent = now;
            helloPending = true;
            helloSentAt = now;
        }
    }

    private void HandleCloseSession(TaskCompletionSource<bool> answered)
    {
        closing = true;
        if (socket is null || !heardOnLink || (sessionId == 0 && !helloPending))
        {
            answered.TrySetResult(false);
            return;
        }

        List<byte[]> message = [[], ZgClientHeader, [ZgClient.Close]];
        if (!socket.TrySend(message))
        {
            answered.TrySetResult(false);
            return;
        }

        closeAnswered = answered;
    }

    private void FlushUnsent()
    {
        while (unsent.Count > 0 && socket is not null)
        {
            var request = unsent.Dequeue();
            if (pending.ContainsKey(request.Id))
            {
                SendRequest(request);
            }
        }
    }

    private void PruneUnsent()
    {
        var keep = unsent.Where(r => pending.ContainsKey(r.Id)).ToList();
        unsent.Clear();
        foreach (var request in keep)
        {
            unsent.Enqueue(request);
        }
    }

    private void HandleTick()
    {
        if (socket is null)
        {
            return;
        }

        var now = time.GetTimestamp();
        var silent = now - lastReceived;
        if (silent >= livenessTicks)
        {
            LinkLost(silent);
            return;
        }

        if (helloPending && now - helloSentAt >= livenessTicks)
        {
            // The broker talks (heartbeats) but never answered HELLO, e.g. it was lost under a ZeroMQ reconnect:
            // a fresh socket says HELLO again, which never ends a session this one might still get.
            Log.HelloUnanswered(logger, endpoint, (long)((now - helloSentAt) * 1000.0 / time.TimestampFrequency), epoch);
            LinkLost(silent, logSilence: false);
            return;
        }

        if (now - lastSent >= heartbeatTicks || (silent >= heartbeatTicks && now - lastHeartbeatSent >= heartbeatTicks))
        {
            SendHeartbeat(now);
        }
    }

    private void SendHeartbeat(long now)
    {
        List<byte[]> message = [[], ZgClientHeader, [ZgClient.Heartbeat]];
        if (sessionId != 0)
        {
            var id = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(id, sessionId);
            message.Add(id);
        }

        if (socket!.TrySend(message))
        {
            lastSent = now;
            lastHeartbeatSent = now;
            Interlocked.Increment(ref heartbeatsSent);
        }
    }

    private void LinkLost(long silentTicks, bool logSilence = true)
    {
        var lostEpoch = epoch;
        var lostLink = link;
        CloseSocket();

        var failed = 0;
        foreach (var entry in pending)
        {
            var request = entry.Value;
            if (request.SentEpoch == lostEpoch && pending.TryRemove(entry.Key, out _))
            {
                failed++;
                request.Fail(new ZmqGameRequestException(
                    Status.Timeout, request.Service, request.Command,
                    $"connection to the broker at {endpoint} was lost before the reply",
                    connectionLost: true, inner: null));
            }
        }

        if (logSilence)
        {
            Log.LinkLost(logger, endpoint, (long)(silentTicks * 1000.0 / time.TimestampFrequency), lostEpoch, failed);
        }
        lostLink?.SetClosed();
    }

    private void CloseSocket()
    {
        if (socket is null)
        {
            return;
        }

        var closing = socket;
        socket = null;
        closing.Close();
        link?.SetClosed();
        link = null;
        heardOnLink = false;
        linkWelcomed = false;
        helloPending = false;
        closeAnswered?.TrySetResult(false);
        closeAnswered = null;
    }

    private void OnMessage(List<byte[]> message)
    {
        lastReceived = time.GetTimestamp();
        heardOnLink = true;
        if (link is { IsAnswered: false } answering)
        {
            answering.SetAnswered();
            Log.Connected(logger, endpoint, answering.Epoch);
        }

        try
        {
            Dispatch(message);
        }
        catch (Exception ex)
        {
            CountMalformed("unexpected error: " + ex.Message);
        }
    }

    /// <summary>One case per ZGC01 command byte.</summary>
    private void Dispatch(List<byte[]> message)
    {
        if (message.Count < 3 || message[0].Length != 0 || !message[1].AsSpan().SequenceEqual(ZgClient.Header) || message[2].Length != 1)
        {
            CountMalformed("not a ZGC01 message");
            return;
        }

        switch (message[2][0])
        {
            case ZgClient.Reply:
                HandleReply(message);
                break;
            case ZgClient.Heartbeat:
                break; // liveness was refreshed above
            case ZgClient.Hello:
                HandleWelcome(message);
                break;
            case ZgClient.Push:
                HandlePush(message);
                break;
            case ZgClient.Close:
                HandleClosed(message);
                break;
            case ZgClient.NoSession:
                HandleNoSession();
                break;
            default:
                CountMalformed($"unknown ZGC01 command 0x{message[2][0]:X2}");
                break;
        }
    }

    private void HandleReply(List<byte[]> message)
    {
        if (message.Count < 4 || !ReplyHeader.TryRead(message[3], out var header))
        {
            CountMalformed("REPLY without a valid reply header");
            return;
        }

        if (header.Status == Status.NoSession && pending.TryGetValue(header.RequestId, out var waiting))
        {
            // It did not run: hold it, and everything after it, until the session is resumed on this connection.
            unsent.Enqueue(waiting);
            linkWelcomed = false;
            if (!helloPending && !closing && socket is not null)
            {
                SendHello(time.GetTimestamp(), resume: ticket is not null);
            }

            return;
        }

        if (!pending.TryRemove(header.RequestId, out var request))
        {
            var count = Interlocked.Increment(ref unknownReplies);
            Log.UnknownReply(logger, header.RequestId, count);
            return;
        }

        var payload = message.Count >= 5 ? message[4] : [];
        if (header.Status == Status.Ok)
        {
            request.Complete(payload);
        }
        else
        {
            request.Fail(new ZmqGameRequestException(
                header.Status, request.Service, request.Command, Payload.ErrorText(payload), connectionLost: false, inner: null));
        }
    }

    /// <summary>WELCOME: [welcome map][ticket].</summary>
    private void HandleWelcome(List<byte[]> message)
    {
        if (message.Count < 4 || !Welcome.TryParse(message[3], out var welcome))
        {
            CountMalformed("WELCOME without a valid welcome map");
            return;
        }

        if (message.Count >= 5 && message[4].Length is > 0 and <= MaxTicketBytes)
        {
            ticket = message[4];
        }

        helloPending = false;
        sessionId = welcome.Session;
        var current = ClientSession.From(welcome);
        session = current;
        if (closing)
        {
            return;
        }

        Log.SessionWelcomed(logger, current.Id, endpoint, welcome.Resumed, current.UserId);
        if (!linkWelcomed)
        {
            linkWelcomed = true;
            FlushUnsent();
        }

        if (!welcomedOnce)
        {
            // The session ConnectAsync returns with; nobody can have subscribed yet, so no event.
            welcomedOnce = true;
            firstConnected.TrySetResult(true);
            return;
        }

        var args = new SessionChangedEventArgs(current, welcome.Resumed);
        events.Enqueue(() => SessionChanged?.Invoke(EventSender, args));
    }

    /// <summary>CLOSED: [reason][text]. Unless this client closed it, a fresh session is asked for at once.</summary>
    private void HandleClosed(List<byte[]> message)
    {
        if (message.Count < 4 || message[3].Length != 1)
        {
            CountMalformed("CLOSED without a one-byte reason");
            return;
        }

        var reason = (SessionCloseReason)message[3][0];
        var text = message.Count >= 5 ? Payload.ErrorText(message[4]) : string.Empty;
        var closedId = sessionId;
        sessionId = 0;
        ticket = null;
        session = null;
        helloPending = false;

        var args = new SessionClosedEventArgs(closedId, reason, text);
        events.Enqueue(() => SessionClosed?.Invoke(EventSender, args));

        if (closing)
        {
            closeAnswered?.TrySetResult(true);
            closeAnswered = null;
            return;
        }

        Log.SessionEnded(logger, closedId, endpoint, ReasonName(reason), text);
        SendHello(time.GetTimestamp(), resume: false);
    }

    /// <summary>NO SESSION: resume with the ticket, unless a HELLO already on its way will settle it.</summary>
    private void HandleNoSession()
    {
        if (closing || helloPending)
        {
            // Answers come in order: this one answered a heartbeat sent before the pending HELLO.
            return;
        }

        Log.NoSession(logger, endpoint, ticket is not null);
        SendHello(time.GetTimestamp(), resume: ticket is not null);
    }

    /// <summary>PUSH: [push header][payload]; offered to every subscriber, never blocking.</summary>
    private void HandlePush(List<byte[]> message)
    {
        if (message.Count < 4 || !PushHeader.TryRead(message[3], out var header))
        {
            CountMalformed("PUSH without a valid push header");
            return;
        }

        Interlocked.Increment(ref pushesReceived);
        var current = Volatile.Read(ref subscribers);
        if (current.Length == 0)
        {
            return;
        }

        var push = new ServerPush(header.Command, message.Count >= 5 ? message[4] : []);
        foreach (var subscriber in current)
        {
            if ((subscriber.Command is null || subscriber.Command == header.Command) && !subscriber.Offer(push))
            {
                var count = Interlocked.Increment(ref droppedPushes);
                if ((count & (count - 1)) == 0)
                {
                    Log.PushDropped(logger, count);
                }
            }
        }
    }

    internal static string ReasonName(SessionCloseReason reason) => reason switch
    {
        SessionCloseReason.ClientClosed => "client closed",
        SessionCloseReason.Expired => "expired",
        SessionCloseReason.Kicked => "kicked",
        SessionCloseReason.Replaced => "replaced",
        _ => $"reason {(byte)reason}",
    };

    private void CountMalformed(string reason)
    {
        var count = Interlocked.Increment(ref malformedMessages);
        if ((count & (count - 1)) == 0)
        {
            Log.Malformed(logger, reason, count); // 1st, 2nd, 4th, 8th…: visible, never a flood
        }
    }

    private static readonly byte[] ZgClientHeader = ZgClient.Header.ToArray();

    private enum CommandKind
    {
        Send,
        Tick,
        Open,
        CloseSession,
    }

    private sealed class Command
    {
        public static readonly Command TickCommand = new(CommandKind.Tick, null, null);

        private Command(CommandKind kind, PendingRequest? request, Link? link, TaskCompletionSource<bool>? answered = null)
        {
            Kind = kind;
            Request = request;
            Link = link;
            Answered = answered;
        }

        public TaskCompletionSource<bool>? Answered { get; }

        public static Command CloseSession(TaskCompletionSource<bool> answered) => new(CommandKind.CloseSession, null, null, answered);

        public CommandKind Kind { get; }

        public PendingRequest? Request { get; }

        public Link? Link { get; }

        public static Command Send(PendingRequest request) => new(CommandKind.Send, request, null);

        public static Command Open(Link link) => new(CommandKind.Open, null, link);
    }

    private sealed class ExpiryState
    {
        private readonly ClientCore owner;
        private readonly PendingRequest request;

        public ExpiryState(ClientCore owner, PendingRequest request)
        {
            this.owner = owner;
            this.request = request;
        }

        public void Fire() => owner.Expire(request);
    }
}
