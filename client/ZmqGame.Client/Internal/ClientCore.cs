using System.Collections.Concurrent;
using System.Text;
using MessagePack;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ZmqGame.Protocol;

namespace ZmqGame.Client.Internal;

/// <summary>
/// The engine behind <see cref="ZmqGameClient"/>. One dedicated I/O thread (<see cref="ClientConnection"/>) owns the
/// connection to the broker; every other thread talks to it through <see cref="commands"/>. The concerns are parts
/// of their own: <see cref="RequestTable"/> (pending requests, ids, deadlines, replies), <see cref="SessionState"/>
/// (HELLO/WELCOME, the resume ticket, CLOSED and NO SESSION), <see cref="ClientLiveness"/> (heartbeats both ways),
/// <see cref="Reconnector"/> (the connection loop with its backoff) and <see cref="PushFanOut"/> (push subscribers).
/// This file is the callers' side; ClientCore.IoThread.cs is what runs on the I/O thread.
/// <para>
/// Hand-offs are few: a request made on the I/O thread (by code its completion ran there) is written at once; the
/// others cost one wake-up of the I/O thread per turn, however many come in it. Deadlines and the liveness tick are
/// kept by the I/O thread itself (its wait ends when the next is due), with no timer thread, except that a
/// <see cref="ZmqGameClientOptions.TimeProvider"/> other than the system's gets one timer of its own that wakes the
/// thread every tick, so that a test clock drives heartbeats and deadlines.
/// </para>
/// <para>
/// Session events and push handlers run on the thread pool, never on the I/O thread.
/// </para>
/// </summary>
internal sealed partial class ClientCore : IAsyncDisposable
{
    /// <summary>How long disposal waits for the broker's CLOSED after CLOSE before it closes the socket anyway.</summary>
    internal static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(1);

    private readonly IReadOnlyList<string> endpoints;
    private readonly ZmqGameClientOptions options;
    private readonly TimeProvider time;
    private readonly bool pumped;
    private readonly ILogger logger;
    private readonly ConcurrentQueue<ClientCommand> commands = new();
    private readonly ClientConnection connection;
    private readonly RequestTable requests;
    private readonly ClientLiveness liveness;
    private readonly SessionState session;
    private readonly Reconnector reconnector;
    private readonly PushFanOut pushes;
    private readonly CancellationTokenSource lifetime = new();
    private readonly TaskCompletionSource<bool> pollerExited;
    private readonly TimeSpan tickInterval;
    private ITimer? tickTimer; // only for a TimeProvider other than the system's
    private int disposed;
    private int wakeRequested; // a wake-up of the I/O thread is on its way: the commands queued meanwhile ride on it
    private long announcedMaxMessageSize; // the broker's, from its WELCOME; 0 until then (or from an older broker)
    private bool pollerStarted;
    private long malformedMessages;
    private IdempotentRoutes idempotent = IdempotentRoutes.None; // the current broker's, from its WELCOME; I/O thread
    private long movingEpoch;                                    // the connection whose broker said MOVE; 0: none

    /// <summary>How long a caller's code run on the I/O thread (<see cref="CallerCompletion"/>) may hold it before the loop moves to a fresh thread.</summary>
    private static readonly TimeSpan CallerCodeBudget = TimeSpan.FromMilliseconds(5);

    /// <param name="endpoints">The brokers, in the order given.</param>
    /// <param name="options">The client's settings.</param>
    /// <param name="pumped">Created while <see cref="Transport.WebSocket.ZmqGameWebSocket.Pumped"/> was set (WebGL): disposal's waits complete in the pump too.</param>
    public ClientCore(IReadOnlyList<string> endpoints, ZmqGameClientOptions options, bool pumped = false)
    {
        this.endpoints = endpoints;
        this.options = options;
        time = options.TimeProvider ?? TimeProvider.System;

        // Pumped (WebGL): disposal's waits complete in the pump too, where their continuations run.
        this.pumped = pumped;
        pollerExited = new TaskCompletionSource<bool>(pumped ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously);
        logger = (ILogger?)options.LoggerFactory?.CreateLogger("ZmqGame.Client") ?? NullLogger.Instance;
        var sessionService = options.SessionServiceBytes();
        var serverKey = options.ServerKey();
        var events = new EventQueue(logger);
        liveness = new ClientLiveness(time, options.HeartbeatInterval, options.Liveness);
        connection = new ClientConnection(endpoints, serverKey, logger, options.SharedLoops);
        requests = new RequestTable(time, logger, connection.EnableInline(CallerCodeBudget) ? new CallerCompletion(connection, () => OnIoThread) : null);
        tickInterval = ClientLiveness.TickInterval(options.HeartbeatInterval);
        session = new SessionState(time, logger, sessionService, connection, liveness, events, FlushUnsent);
        Serializer = PayloadSerializer.For(options);
        pushes = new PushFanOut(options.PushBufferSize, Serializer, logger);
        reconnector = new Reconnector(endpoints, options, time, logger, l => Post(ClientCommand.Open(l)), session.FailFirstWelcome);
    }

    /// <summary>The broker of the current connection (the last one while between connections).</summary>
    public string Endpoint => connection.Endpoint;

    /// <summary>Every broker this client may use, in the order given.</summary>
    public IReadOnlyList<string> Endpoints => endpoints;

    public ZmqGameClientOptions Options => options;

    /// <summary>What payloads are read and written with (<see cref="ZmqGameClientOptions.SerializerOptions"/> or the default).</summary>
    public MessagePackSerializerOptions Serializer { get; }

    public long MalformedMessages => Interlocked.Read(ref malformedMessages);

    public long UnknownReplies => requests.UnknownReplies;

    public long HeartbeatsSent => liveness.HeartbeatsSent;

    public long ConnectionsOpened => connection.ConnectionsOpened;

    public int PendingCount => requests.Count;

    public long PushesReceived => pushes.PushesReceived;

    public long DroppedPushes => pushes.DroppedPushes;

    public long UnreadablePushes => pushes.UnreadablePushes;

    /// <summary>The session of the latest WELCOME; null before the first and between CLOSED and the next WELCOME.</summary>
    public ClientSession? Session => session.Current;

    /// <summary>The <c>sender</c> of the session events (the public client object).</summary>
    public object? EventSender
    {
        get => session.EventSender;
        set => session.EventSender = value;
    }

    public event EventHandler<SessionChangedEventArgs>? SessionChanged
    {
        add => session.Changed += value;
        remove => session.Changed -= value;
    }

    public event EventHandler<SessionClosedEventArgs>? SessionClosed
    {
        add => session.Closed += value;
        remove => session.Closed -= value;
    }

    public ILogger Logger => logger;

    /// <summary>A new subscriber buffer that gets every push from now on (of one command when <paramref name="command"/> is set).</summary>
    public PushSubscription Subscribe(int? command)
    {
        ThrowIfDisposed();
        var subscription = pushes.Subscribe(command);

        // Disposal completes the subscribers it sees; one added during disposal is completed here.
        if (Volatile.Read(ref disposed) != 0)
        {
            subscription.Complete();
        }

        return subscription;
    }

    public long CountUnreadablePush() => pushes.CountUnreadable();

    /// <summary>Starts the socket thread and the connection loop. Called once.</summary>
    public void Start()
    {
        nextTick = time.GetTimestamp() + time.ToTimestampTicks(tickInterval);
        connection.Start("ZmqGame.Client " + endpoints[0], OnWake, OnExit);
        pollerStarted = true;
        connection.Wake(); // the first turn sets the alarm of the first tick

        if (time != TimeProvider.System)
        {
            tickTimer = time.CreateTimer(static s => ((ClientCore)s!).WakeIo(), this, tickInterval, tickInterval);
        }

        reconnector.Start(lifetime.Token);
    }

    /// <summary>Completes when the broker opened the first session (WELCOME); throws <see cref="TimeoutException"/> after ConnectTimeout.</summary>
    public async Task WaitConnectedAsync(CancellationToken cancellationToken)
    {
        try
        {
            await session.FirstWelcome.WaitAsync(options.ConnectTimeout, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException(
                $"no broker answered at {string.Join(",", endpoints)} within {options.ConnectTimeout.TotalSeconds:0.###} s");
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

        var activity = Tracing.StartRequest(service, command);
        if (TooLarge(service, serviceBytes, command, payload) is { } tooLarge)
        {
            Tracing.Stop(activity, tooLarge);
            return Task.FromException<byte[]>(tooLarge);
        }

        var request = requests.Add(service, serviceBytes, command, payload, timeout, cancellationToken, activity);

        // A dispose that ran between the first check and the insert has already swept the map.
        if (Volatile.Read(ref disposed) != 0 && requests.TryRemove(request.Id))
        {
            request.Fail(new ObjectDisposedException(nameof(ZmqGameClient)));
            return request.Task;
        }

        if (OnIoThread)
        {
            // Code the I/O thread runs (a completion): no queue, no wake-up.
            SendFromIoThread(request);
            return request.Task;
        }

        if (!Post(ClientCommand.Send(request)) && requests.TryRemove(request.Id))
        {
            request.Fail(new ObjectDisposedException(nameof(ZmqGameClient)));
        }

        return request.Task;
    }

    /// <summary>The most bytes a request may hold: what the broker announced in its WELCOME, else <see cref="ZmqGameClientOptions.MaxMessageSize"/>.</summary>
    public long MaxMessageSize => Volatile.Read(ref announcedMaxMessageSize) is > 0 and var announced ? announced : options.MaxMessageSize;

    /// <summary>The broker announced its limit (WELCOME). I/O thread.</summary>
    public void BrokerLimitAnnounced(uint maxMessageSize)
    {
        if (maxMessageSize > 0)
        {
            Volatile.Write(ref announcedMaxMessageSize, maxMessageSize);
        }
    }

    /// <summary>A request the broker would refuse for its size: the exception that says so (the request is not sent), else null.</summary>
    private ZmqGameRequestException? TooLarge(string service, byte[] serviceBytes, int command, byte[] payload)
    {
        var size = ClientFrames.RequestSize(serviceBytes, payload);
        var limit = MaxMessageSize;
        return size <= limit ? null : new ZmqGameRequestException(
            Status.TooLarge, service, command, $"request of {size} bytes is over the broker's limit of {limit}", connectionLost: false, inner: null);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        lifetime.Cancel();
        tickTimer?.Dispose();
        requests.FailAll();

        if (pollerStarted)
        {
            await CloseSessionAsync().ConfigureAwait(false);
        }

        pushes.CompleteAll();

        if (pollerStarted)
        {
            connection.Stop();
            await pollerExited.Task.ConfigureAwait(false);
        }

        try
        {
            await reconnector.Completion.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        session.CancelFirstWelcome();
        connection.Dispose();
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

    internal static string ReasonName(SessionCloseReason reason) => SessionState.ReasonName(reason);

    /// <summary>Says CLOSE (when a session is open or being opened) and waits, at most <see cref="CloseTimeout"/>, for CLOSED.</summary>
    private async Task CloseSessionAsync()
    {
        var answered = new TaskCompletionSource<bool>(pumped ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            commands.Enqueue(ClientCommand.CloseSession(answered)); // Post() refuses once disposed
            Volatile.Write(ref wakeRequested, 1);
            connection.Wake();
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        try
        {
            // Real time: a test's manual clock must not hold disposal up; pumped, the pump's clock (no timer thread).
            var realTime = pumped ? Transport.WebSocket.PumpTime.Instance : TimeProvider.System;
            await answered.Task.WaitAsync(CloseTimeout, realTime, CancellationToken.None).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Log.CloseUnanswered(logger, session.Current?.Id ?? 0, connection.Endpoint, (long)CloseTimeout.TotalMilliseconds);
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

    private bool Post(ClientCommand command)
    {
        if (Volatile.Read(ref disposed) != 0)
        {
            return false;
        }

        try
        {
            commands.Enqueue(command);

            // Only the first command since the I/O thread last took the queue wakes it (OnWake clears the flag first).
            if (Interlocked.Exchange(ref wakeRequested, 1) == 0)
            {
                connection.Wake();
            }

            return true;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>Wakes the I/O thread (the tick timer of a TimeProvider other than the system's).</summary>
    private void WakeIo()
    {
        try
        {
            Volatile.Write(ref wakeRequested, 1);
            connection.Wake();
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
