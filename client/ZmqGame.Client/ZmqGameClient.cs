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

    private ZmqGameClient(ClientCore core) => this.core = core;

    /// <summary>The broker frontend this client talks to.</summary>
    public string Endpoint => core.Endpoint;

    internal ClientCore Core => core;

    /// <summary>
    /// Connects to the broker frontend at <paramref name="endpoint"/> (e.g. "tcp://localhost:5555") and waits until
    /// the broker answers a heartbeat.
    /// </summary>
    /// <exception cref="TimeoutException">No broker answered within <see cref="ZmqGameClientOptions.ConnectTimeout"/>.</exception>
    /// <exception cref="ArgumentException">The endpoint is not a valid ZeroMQ endpoint.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public static async Task<ZmqGameClient> ConnectAsync(string endpoint, ZmqGameClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            throw new ArgumentException("endpoint must not be empty", nameof(endpoint));
        }

        var settings = (options ?? new ZmqGameClientOptions()).Clone();
        settings.Validate();

        var core = new ClientCore(endpoint, settings);
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

        return new ZmqGameClient(core);
    }

    /// <summary>
    /// Sends <paramref name="request"/> (MessagePack) to command <paramref name="command"/> of <paramref name="service"/>
    /// and returns the reply, with the default deadline (<see cref="ZmqGameClientOptions.RequestTimeout"/>).
    /// </summary>
    /// <exception cref="ZmqGameRequestException">The reply had an error status, the deadline passed (Timeout), or the connection was lost (Timeout).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; the request is forgotten.</exception>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public Task<TResponse> RequestAsync<TRequest, TResponse>(string service, int command, TRequest request, CancellationToken cancellationToken = default) =>
        RequestAsync<TRequest, TResponse>(service, command, request, core.Options.RequestTimeout, cancellationToken);

    /// <summary>As <see cref="RequestAsync{TRequest, TResponse}(string, int, TRequest, CancellationToken)"/> with its own deadline.</summary>
    public async Task<TResponse> RequestAsync<TRequest, TResponse>(
        string service, int command, TRequest request, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var payload = Payload.Serialize(request);
        var reply = await core.RequestAsync(service, command, payload, timeout, cancellationToken).ConfigureAwait(false);
        try
        {
            return Payload.Deserialize<TResponse>(reply);
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

    /// <summary>Fails outstanding requests with <see cref="ObjectDisposedException"/>, stops the socket thread, closes the socket.</summary>
    public ValueTask DisposeAsync() => core.DisposeAsync();
}
