using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetMQ;
using NetMQ.Sockets;
using Polly;
using Polly.Retry;
using ZmqGame.Protocol;

namespace ZmqGame.Client.Internal;

/// <summary>
/// The engine behind <see cref="ZmqGameClient"/>. One dedicated thread runs a <see cref="NetMQPoller"/> that owns
/// the DEALER socket; every other thread talks to it through <see cref="commands"/>. Pending requests live in a
/// concurrent map so that replies (poller thread), deadlines (timer threads) and cancellation (any thread) can
/// each complete a request by removing it. A background loop opens sockets and, when one dies, reopens it with a
/// Polly exponential backoff with jitter.
/// </summary>
internal sealed class ClientCore : IAsyncDisposable
{
    private const int MaxBatch = 256;

    private readonly string endpoint;
    private readonly ZmqGameClientOptions options;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly NetMQQueue<Command> commands = new();
    private readonly NetMQPoller poller;
    private readonly ConcurrentDictionary<ulong, PendingRequest> pending = new();
    private readonly CancellationTokenSource lifetime = new();
    private readonly TaskCompletionSource<bool> firstConnected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<bool> pollerExited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ResiliencePipeline<Link?> reopenPipeline;
    private readonly long livenessTicks;
    private readonly long heartbeatTicks;
    private ITimer? tickTimer;
    private Task reconnectLoop = Task.CompletedTask;
    private long nextRequestId;
    private int disposed;
    private bool pollerStarted;

    // Poller-thread state.
    private DealerSocket? socket;
    private Link? link;
    private long epoch;
    private long lastSent;
    private long lastReceived;
    private long lastHeartbeatSent;
    private readonly Queue<PendingRequest> unsent = new();

    // Counters (any thread reads).
    private long malformedMessages;
    private long unknownReplies;
    private long heartbeatsSent;
    private long connectionsOpened;

    public ClientCore(string endpoint, ZmqGameClientOptions options)
    {
        this.endpoint = endpoint;
        this.options = options;
        time = options.TimeProvider ?? TimeProvider.System;
        logger = (ILogger?)options.LoggerFactory?.CreateLogger("ZmqGame.Client") ?? NullLogger.Instance;
        heartbeatTicks = ToTimestampTicks(options.HeartbeatInterval);
        livenessTicks = heartbeatTicks * options.Liveness;

        poller = new NetMQPoller { commands };
        commands.ReceiveReady += OnCommandsReady;

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

    /// <summary>Starts the socket thread, the tick timer and the connection loop. Called once.</summary>
    public void Start()
    {
        var thread = new Thread(RunPoller) { IsBackground = true, Name = "ZmqGame.Client " + endpoint };
        pollerStarted = true;
        thread.Start();

        var tick = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, options.HeartbeatInterval.Ticks / 4));
        tickTimer = time.CreateTimer(static s => ((ClientCore)s!).Post(Command.TickCommand), this, tick, tick);
        reconnectLoop = Task.Run(() => RunConnectionLoopAsync(lifetime.Token));
    }

    /// <summary>Completes when the broker answered on a first socket; throws <see cref="TimeoutException"/> after ConnectTimeout.</summary>
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
#if NET
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, typeof(ZmqGameClient));
#else
        if (Volatile.Read(ref disposed) != 0)
        {
            throw new ObjectDisposedException(nameof(ZmqGameClient));
        }
#endif

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
            poller.StopAsync();
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
        poller.Dispose();
        commands.Dispose();
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

    // ---------------------------------------------------------------- poller thread

    private void RunPoller()
    {
        try
        {
            poller.Run();
        }
        catch (Exception ex)
        {
            Log.PollerError(logger, ex);
        }
        finally
        {
            CloseSocket();
            unsent.Clear();
            pollerExited.TrySetResult(true);
        }
    }

    private void OnCommandsReady(object? sender, NetMQQueueEventArgs<Command> e)
    {
        for (var i = 0; i < MaxBatch && commands.TryDequeue(out var command, TimeSpan.Zero); i++)
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
                }
            }
            catch (Exception ex)
            {
                Log.PollerError(logger, ex);
            }
        }
    }

    private void HandleSend(PendingRequest request)
    {
        if (!pending.ContainsKey(request.Id))
        {
            return;
        }

        if (socket is null || link is not { IsAnswered: true })
        {
            // No connection the broker has answered on: the request waits (its deadline still runs).
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
        var message = new NetMQMessage(6);
        message.AppendEmptyFrame();
        message.Append(ZgClient.Header.ToArray());
        message.Append(new[] { ZgClient.Request });
        message.Append(request.ServiceBytes);
        message.Append(header.ToArray());
        message.Append(request.Payload);

        if (!socket!.TrySendMultipartMessage(TimeSpan.Zero, message))
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
        var dealer = new DealerSocket();
        dealer.Options.Linger = TimeSpan.Zero;
        try
        {
            dealer.Connect(endpoint);
        }
        catch (Exception ex)
        {
            dealer.Dispose();
            newLink.SetFailed(new ArgumentException($"cannot connect to \"{endpoint}\": {ex.Message}", ex));
            return;
        }

        dealer.ReceiveReady += OnSocketReady;
        poller.Add(dealer);
        socket = dealer;
        link = newLink;
        newLink.Epoch = ++epoch;
        Interlocked.Increment(ref connectionsOpened);

        var now = time.GetTimestamp();
        lastReceived = now;
        SendHeartbeat(now);
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

        if (now - lastSent >= heartbeatTicks || (silent >= heartbeatTicks && now - lastHeartbeatSent >= heartbeatTicks))
        {
            SendHeartbeat(now);
        }
    }

    private void SendHeartbeat(long now)
    {
        var message = new NetMQMessage(3);
        message.AppendEmptyFrame();
        message.Append(ZgClient.Header.ToArray());
        message.Append(new[] { ZgClient.Heartbeat });
        if (socket!.TrySendMultipartMessage(TimeSpan.Zero, message))
        {
            lastSent = now;
            lastHeartbeatSent = now;
            Interlocked.Increment(ref heartbeatsSent);
        }
    }

    private void LinkLost(long silentTicks)
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

        Log.LinkLost(logger, endpoint, (long)(silentTicks * 1000.0 / time.TimestampFrequency), lostEpoch, failed);
        lostLink?.SetClosed();
    }

    private void CloseSocket()
    {
        if (socket is null)
        {
            return;
        }

        socket.ReceiveReady -= OnSocketReady;
        poller.Remove(socket);
        socket.Dispose();
        socket = null;
        link?.SetClosed();
        link = null;
    }

    private void OnSocketReady(object? sender, NetMQSocketEventArgs e)
    {
        if (!ReferenceEquals(e.Socket, socket))
        {
            return;
        }

        NetMQMessage? message = null;
        for (var i = 0; i < MaxBatch && socket is not null && socket.TryReceiveMultipartMessage(TimeSpan.Zero, ref message); i++)
        {
            lastReceived = time.GetTimestamp();
            if (link is { IsAnswered: false } answering)
            {
                answering.SetAnswered();
                Log.Connected(logger, endpoint, answering.Epoch);
                firstConnected.TrySetResult(true);
                FlushUnsent();
            }

            try
            {
                Dispatch(message);
            }
            catch (Exception ex)
            {
                CountMalformed("unexpected error: " + ex.Message);
            }

            message = null;
        }
    }

    /// <summary>
    /// One case per ZGC01 command byte. Server push and session (HELLO) commands of later protocol versions
    /// are new cases here that hand their frames to a new consumer; nothing else changes.
    /// </summary>
    private void Dispatch(NetMQMessage message)
    {
        if (message.FrameCount < 3 || message[0].MessageSize != 0 || !Span(message[1]).SequenceEqual(ZgClient.Header) || message[2].MessageSize != 1)
        {
            CountMalformed("not a ZGC01 message");
            return;
        }

        switch (message[2].Buffer[0])
        {
            case ZgClient.Reply:
                HandleReply(message);
                break;
            case ZgClient.Heartbeat:
                break; // liveness was refreshed above
            default:
                CountMalformed($"unknown ZGC01 command 0x{message[2].Buffer[0]:X2}");
                break;
        }
    }

    private void HandleReply(NetMQMessage message)
    {
        if (message.FrameCount < 4 || !ReplyHeader.TryRead(Span(message[3]), out var header))
        {
            CountMalformed("REPLY without a valid reply header");
            return;
        }

        if (!pending.TryRemove(header.RequestId, out var request))
        {
            var count = Interlocked.Increment(ref unknownReplies);
            Log.UnknownReply(logger, header.RequestId, count);
            return;
        }

        var payload = message.FrameCount >= 5 ? message[4].ToByteArray() : [];
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

    private void CountMalformed(string reason)
    {
        var count = Interlocked.Increment(ref malformedMessages);
        if ((count & (count - 1)) == 0)
        {
            Log.Malformed(logger, reason, count); // 1st, 2nd, 4th, 8th…: visible, never a flood
        }
    }

    private static ReadOnlySpan<byte> Span(NetMQFrame frame) => frame.Buffer.AsSpan(0, frame.MessageSize);

    private enum CommandKind
    {
        Send,
        Tick,
        Open,
    }

    private sealed class Command
    {
        public static readonly Command TickCommand = new(CommandKind.Tick, null, null);

        private Command(CommandKind kind, PendingRequest? request, Link? link)
        {
            Kind = kind;
            Request = request;
            Link = link;
        }

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
