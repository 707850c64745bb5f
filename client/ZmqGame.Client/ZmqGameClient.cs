using MessagePack;
using ZmqGame.Client.Internal;
using ZmqGame.Protocol;

namespace ZmqGame.Client;

/// <summary>
/// A connection to a ZmqGame broker's frontend (ZGC01 protocol) over one DEALER socket. Thread-safe: any number
/// of requests may be outstanding at once from any threads; replies are matched by request id. Every request
/// ends in a reply or an exception (<see cref="ZmqGameRequestException"/>, <see cref="OperationCanceledException"/>
/// or <see cref="ObjectDisposedException"/>), never hangs. The connection heartbeats the broker and reopens itself
/// with backoff when the broker falls silent.
/// <para>
/// The client always holds a session on the broker (<see cref="Session"/>): it opens one on connect, resumes it
/// after a reconnect, and opens a new one (not logged in) when the broker ends it (<see cref="SessionClosed"/>).
/// Server pushes arrive through <see cref="PushesAsync"/> and <see cref="OnPush{T}(int, Action{T})"/>. Events and push
/// handlers run on the thread pool, never on the socket thread, so a slow handler delays neither replies nor heartbeats.
/// A client created while <see cref="Transport.WebSocket.ZmqGameWebSocket.Pumped"/> is set (WebGL) uses no thread: its
/// timers, reconnects, events and push handlers all run in <see cref="Transport.WebSocket.ZmqGameWebSocket.Pump"/>.
/// </para>
/// </summary>
/// <example>
/// <code>
/// await using var client = await ZmqGameClient.ConnectAsync("tcp://localhost:5555", new ZmqGameClientOptions(), ct);
/// var reply = await client.RequestAsync&lt;LoginRequest, LoginReply&gt;("game", Cmd.Login, new LoginRequest("ann"), ct);
/// </code>
/// </example>
public sealed class ZmqGameClient : IAsyncDisposable
{
    private readonly ClientCore core;
    private readonly bool pumped; // WebGL: replies continue on the caller's context (the player's main thread), not the thread pool

    private ZmqGameClient(ClientCore core, bool pumped)
    {
        this.core = core;
        this.pumped = pumped;
        core.EventSender = this;
    }

    /// <summary>The broker frontend this client talks to now (the last one while it moves between brokers).</summary>
    public string Endpoint => core.Endpoint;

    internal ClientCore Core => core;

    /// <summary>
    /// The session as the broker last described it. Set when <see cref="ConnectAsync(string, ZmqGameClientOptions?, CancellationToken)"/> returns; null only between the
    /// broker ending a session (<see cref="SessionClosed"/>) and its WELCOME for the new one.
    /// </summary>
    public ClientSession? Session => core.Session;

    /// <summary>
    /// Raised after every WELCOME once <see cref="ConnectAsync(string, ZmqGameClientOptions?, CancellationToken)"/> has returned: a login or logout, a change of groups, a
    /// resume after a reconnect (<see cref="SessionChangedEventArgs.Resumed"/>), a new session after
    /// <see cref="SessionClosed"/>, a ticket refresh. Raised on the thread pool, one event at a time, in order; a handler
    /// that throws is logged.
    /// </summary>
    public event EventHandler<SessionChangedEventArgs>? SessionChanged
    {
        add => core.SessionChanged += value;
        remove => core.SessionChanged -= value;
    }

    /// <summary>
    /// Raised when the broker ends the session (CLOSED): it expired, was kicked, was replaced by a login elsewhere, or
    /// this client was disposed. Unless this client closed it, the client has already asked for a new session, which is
    /// not logged in: the application must log in again. Same threading as <see cref="SessionChanged"/>.
    /// </summary>
    public event EventHandler<SessionClosedEventArgs>? SessionClosed
    {
        add => core.SessionClosed += value;
        remove => core.SessionClosed -= value;
    }

    /// <summary>
    /// Pushes dropped because a subscriber's buffer (<see cref="ZmqGameClientOptions.PushBufferSize"/>) was full; each
    /// drop removes that subscriber's oldest push. Counted over all subscribers since connect.
    /// </summary>
    public long DroppedPushes => core.DroppedPushes;

    /// <summary>
    /// Connects to a broker frontend of <paramref name="endpoint"/> (e.g. "tcp://localhost:5555", or a comma-separated
    /// list of the brokers of a cluster: "tcp://b1:5555,tcp://b2:5555"; empty: <see cref="ZmqGameClientOptions.Brokers"/>;
    /// a broker's WebSocket frontend: "ws://host:5580" or "wss://…", through <see cref="Transport.WebSocket.ZmqGameWebSocket"/>)
    /// and waits until the broker has opened the client's session (HELLO answered by WELCOME). With several brokers the
    /// client starts at one chosen at random and, when it loses that broker or the broker asks it to move, resumes its
    /// session on another.
    /// </summary>
    /// <exception cref="TimeoutException">No broker answered within <see cref="ZmqGameClientOptions.ConnectTimeout"/>.</exception>
    /// <exception cref="ArgumentException">No endpoint, or one that is not a valid ZeroMQ endpoint.</exception>
    /// <exception cref="ArgumentException">An option is invalid (<see cref="ArgumentOutOfRangeException"/> when out of range).</exception>
    public static async Task<ZmqGameClient> ConnectAsync(string endpoint, ZmqGameClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        var settings = (options ?? new ZmqGameClientOptions()).Clone();
        var list = string.IsNullOrWhiteSpace(endpoint) ? string.Join(",", settings.Brokers) : endpoint;
        if (EndpointSyntax.ListProblem(list, webSocket: true) is { } problem)
        {
            throw new ArgumentException(
                string.IsNullOrWhiteSpace(list) ? "endpoint must not be empty (nor Brokers)" : $"endpoint '{list}' {problem}", nameof(endpoint));
        }

        settings.Validate();

        // Pumped (WebGL): the client's timers fire in ZmqGameWebSocket.Pump, as the rest of its work runs there.
        var pumped = Transport.WebSocket.ZmqGameWebSocket.Pumped;
        settings.TimeProvider ??= pumped ? Transport.WebSocket.PumpTime.Instance : null;
        var core = new ClientCore(EndpointSyntax.Split(list), settings, pumped);
        var client = new ZmqGameClient(core, pumped);
        try
        {
            core.Start();
            await core.WaitConnectedAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await core.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return client;
    }

    /// <summary>Connects to one of <see cref="ZmqGameClientOptions.Brokers"/>, as <see cref="ConnectAsync(string, ZmqGameClientOptions?, CancellationToken)"/>.</summary>
    public static Task<ZmqGameClient> ConnectAsync(ZmqGameClientOptions options, CancellationToken cancellationToken = default) =>
        ConnectAsync(string.Empty, options ?? throw new ArgumentNullException(nameof(options)), cancellationToken);

    /// <summary>
    /// Sends <paramref name="request"/> (MessagePack) to command <paramref name="command"/> of <paramref name="service"/>
    /// and returns the reply, with the default deadline (<see cref="ZmqGameClientOptions.RequestTimeout"/>).
    /// </summary>
    /// <exception cref="ZmqGameRequestException">
    /// The reply had an error status, the deadline passed (Timeout), or the broker was lost while it held the request
    /// (BrokerLost, with ConnectionLost set; a request on a route the workers declared idempotent goes again on the next
    /// broker instead).
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; the request is forgotten.</exception>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public Task<TResponse> RequestAsync<TRequest, TResponse>(string service, int command, TRequest request, CancellationToken cancellationToken = default) =>
        RequestAsync<TRequest, TResponse>(service, command, request, core.Options.RequestTimeout, cancellationToken);

    /// <summary>As <see cref="RequestAsync{TRequest, TResponse}(string, int, TRequest, CancellationToken)"/> with its own deadline.</summary>
    public async Task<TResponse> RequestAsync<TRequest, TResponse>(
        string service, int command, TRequest request, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var payload = MessagePackSerializer.Serialize(request, core.Serializer, cancellationToken);
        var reply = await core.RequestAsync(service, command, payload, timeout, cancellationToken).ConfigureAwait(continueOnCapturedContext: pumped);
        try
        {
            return MessagePackSerializer.Deserialize<TResponse>(reply, core.Serializer, cancellationToken);
        }
        catch (MessagePackSerializationException ex)
        {
            throw new ZmqGameRequestException(
                Status.HandlerFailed, service, command, $"the reply could not be read as {typeof(TResponse).Name}: {ex.Message}", connectionLost: false, ex);
        }
    }

    /// <summary>
    /// Sends one payload frame as is and returns the reply's payload frame as is (empty when the reply has none), for
    /// callers that serialize themselves. The payload is copied before the call returns. Default deadline; same errors
    /// as the typed call.
    /// </summary>
    public Task<byte[]> RequestRawAsync(string service, int command, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default) =>
        core.RequestAsync(service, command, payload.ToArray(), core.Options.RequestTimeout, cancellationToken);

    /// <summary>As <see cref="RequestRawAsync(string, int, ReadOnlyMemory{byte}, CancellationToken)"/> with its own deadline.</summary>
    public Task<byte[]> RequestRawAsync(string service, int command, ReadOnlyMemory<byte> payload, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        core.RequestAsync(service, command, payload.ToArray(), timeout, cancellationToken);

    /// <summary>
    /// Every push the broker sends from this call on, in arrival order, until the enumeration ends or
    /// <paramref name="cancellationToken"/> is cancelled (which throws <see cref="OperationCanceledException"/> from the
    /// enumeration). Each call is its own subscriber with its own buffer of
    /// <see cref="ZmqGameClientOptions.PushBufferSize"/> pushes: a consumer that falls behind loses its oldest pushes
    /// (counted in <see cref="DroppedPushes"/>) and never slows the connection or other subscribers. The enumeration
    /// ends when the client is disposed. Enumerate it once.
    /// </summary>
    /// <example><code>await foreach (var push in client.PushesAsync(ct)) { if (push.Command == Cmd.Chat) Show(push.Read&lt;Chat&gt;()); }</code></example>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public IAsyncEnumerable<ServerPush> PushesAsync(CancellationToken cancellationToken = default) =>
        new PushStream(core.Subscribe(command: null), cancellationToken);

    /// <summary>
    /// Calls <paramref name="handler"/> with the payload (MessagePack, read as <typeparamref name="T"/>) of every push
    /// with command id <paramref name="command"/> from now on, one at a time, in arrival order, on the thread pool.
    /// A handler that throws is logged and the subscription goes on; a payload that is not a <typeparamref name="T"/> is
    /// logged, counted and skipped. The buffer and its drops are as for <see cref="PushesAsync"/>.
    /// Dispose the result to stop; disposing the client stops it too.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public IDisposable OnPush<T>(int command, Action<T> handler)
    {
#if NET
        ArgumentNullException.ThrowIfNull(handler);
#else
        if (handler is null)
        {
            throw new ArgumentNullException(nameof(handler));
        }
#endif

        return OnPush<T>(command, value =>
        {
            handler(value);
            return default;
        });
    }

    /// <summary>As <see cref="OnPush{T}(int, Action{T})"/> with an asynchronous handler: the next push waits until it completes.</summary>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public IDisposable OnPush<T>(int command, Func<T, ValueTask> handler)
    {
#if NET
        ArgumentNullException.ThrowIfNull(handler);
#else
        if (handler is null)
        {
            throw new ArgumentNullException(nameof(handler));
        }
#endif

        var subscription = core.Subscribe(command);
        PushHandlerLoop<T>.Start(core, subscription, handler);
        return new PushHandlerRegistration(subscription);
    }

    /// <summary>
    /// Closes the session (CLOSE, waiting up to a second for the broker's CLOSED), fails outstanding requests with
    /// <see cref="ObjectDisposedException"/>, ends push subscriptions, stops the socket thread, closes the socket.
    /// </summary>
    public ValueTask DisposeAsync() => core.DisposeAsync();
}
