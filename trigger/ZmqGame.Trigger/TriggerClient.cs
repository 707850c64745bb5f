using System.Text;
using MessagePack;
using ZmqGame.Protocol;

namespace ZmqGame.Trigger;

/// <summary>
/// Acts on the broker's sessions from outside the request path (a back office, a cron job, a script): pushes,
/// broadcasts, kicks, group changes, events for a worker, and stats, over the broker's control endpoint.
/// </summary>
/// <remarks>
/// One DEALER socket. Safe to use from several threads: commands run one at a time, each waiting at most
/// <see cref="TriggerOptions.Timeout"/> for the broker's answer. Every method throws <see cref="TriggerException"/>
/// when the broker does not answer in time, refuses the command (<c>{"error": …}</c>) or answers something unreadable.
/// Messages are serialized with MessagePack (the settings the client and worker libraries read them with).
/// </remarks>
/// <example>
/// <code>
/// await using var trigger = await TriggerClient.ConnectAsync("tcp://127.0.0.1:5557");
/// var result = await trigger.PushAsync(PushTarget.Group("room:lobby"), 7, new Notice("server restarts in 5 min"));
/// Console.WriteLine($"{result.Sessions} sessions, {result.Dropped} dropped");
/// </code>
/// </example>
public sealed class TriggerClient : IAsyncDisposable
{
    private readonly ControlConnection _connection;
    private readonly TimeSpan _timeout;

    private TriggerClient(ControlConnection connection, TimeSpan timeout)
    {
        _connection = connection;
        _timeout = timeout;
    }

    /// <summary>The control endpoint this client talks to.</summary>
    public string Endpoint => _connection.Endpoint;

    /// <summary>
    /// Connects to the broker's control endpoint. With CURVE keys in <paramref name="options"/>, the client proves its
    /// trigger key (<c>auth</c>) before returning, so a refused key or an unreachable broker fails here; without keys
    /// nothing is sent until the first command (ZeroMQ connects in the background).
    /// </summary>
    /// <exception cref="ArgumentException">The options are invalid (a key is not Z85, only one key is given, …).</exception>
    /// <exception cref="TriggerException">With CURVE: no answer within the timeout, or the broker refused the key.</exception>
    public static async Task<TriggerClient> ConnectAsync(string controlEndpoint, TriggerOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(controlEndpoint);
        options ??= new TriggerOptions();
        options.Validate();
        var curve = options.ServerPublicKey is null ? null : CurveKeys.FromZ85(options.ServerPublicKey, options.SecretKey!);
        var connection = new ControlConnection(controlEndpoint, curve);
        try
        {
            if (curve is not null)
            {
                await connection.OpenAsync(options.Timeout, cancellationToken).ConfigureAwait(false);
            }

            return new TriggerClient(connection, options.Timeout);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Pushes <paramref name="message"/> (MessagePack) as command <paramref name="command"/> to every session <paramref name="target"/> names.</summary>
    public Task<TriggerResult> PushAsync<T>(PushTarget target, int command, T message, CancellationToken cancellationToken = default) =>
        PushRawAsync(target, command, Payload.Serialize(message), cancellationToken);

    /// <summary>Pushes an already serialized payload (one frame, sent as is) as command <paramref name="command"/>.</summary>
    public Task<TriggerResult> PushRawAsync(PushTarget target, int command, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        var args = TargetArgs(target);
        args.Command = command;
        return ActAsync(SessionActions.Push, args, payload.ToArray(), cancellationToken);
    }

    /// <summary>Pushes to every session (<paramref name="loggedInOnly"/>: every session bound to a user).</summary>
    public Task<TriggerResult> BroadcastAsync<T>(int command, T message, bool loggedInOnly = false, CancellationToken cancellationToken = default) =>
        PushAsync(loggedInOnly ? PushTarget.LoggedIn : PushTarget.All, command, message, cancellationToken);

    /// <summary>Closes every session <paramref name="target"/> names (CLOSED <c>kicked</c> with <paramref name="reason"/>).</summary>
    public Task<TriggerResult> KickAsync(PushTarget target, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reason);
        var args = TargetArgs(target);
        args.Reason = reason;
        return ActAsync(SessionActions.Kick, args, null, cancellationToken);
    }

    /// <summary>Puts every session <paramref name="target"/> names into <paramref name="group"/>.</summary>
    public Task<TriggerResult> JoinGroupAsync(PushTarget target, string group, CancellationToken cancellationToken = default) =>
        GroupAsync(SessionActions.Join, target, group, cancellationToken);

    /// <summary>Takes every session <paramref name="target"/> names out of <paramref name="group"/>.</summary>
    public Task<TriggerResult> LeaveGroupAsync(PushTarget target, string group, CancellationToken cancellationToken = default) =>
        GroupAsync(SessionActions.Leave, target, group, cancellationToken);

    /// <summary>
    /// Sends <paramref name="message"/> as a trigger event with command <paramref name="command"/> to one idle worker of
    /// <paramref name="service"/> (the broker queues it when none is idle). <see cref="TriggerResult.Sessions"/> is 1 when queued;
    /// <see cref="TriggerResult.Workers"/> is 0 when no worker of the service is registered (the event waits for one).
    /// </summary>
    public Task<TriggerResult> SendToWorkerAsync<T>(string service, int command, T message, CancellationToken cancellationToken = default) =>
        SendToWorkerRawAsync(service, command, Payload.Serialize(message), cancellationToken);

    /// <summary><see cref="SendToWorkerAsync{T}"/> with an already serialized payload (one frame, sent as is).</summary>
    public Task<TriggerResult> SendToWorkerRawAsync(string service, int command, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(service) || Encoding.UTF8.GetByteCount(service) > 255 || service.StartsWith("mmi.", StringComparison.Ordinal))
        {
            throw new ArgumentException("a service name is 1 to 255 UTF-8 bytes and does not start with 'mmi.'", nameof(service));
        }

        var args = new ActionArgs { Service = service, Command = command };
        return ActAsync(SessionActions.WorkerEvent, args, payload.ToArray(), cancellationToken);
    }

    /// <summary>The broker's stats: counters, gauges (workers, sessions, …) and services with their workers.</summary>
    public async Task<BrokerStats> StatsAsync(CancellationToken cancellationToken = default)
    {
        var result = await _connection.AskAsync(Control.Stats, [], _timeout, cancellationToken).ConfigureAwait(false);
        return BrokerStats.Parse(result);
    }

    /// <summary>Closes the socket. Waits for a command in progress to end.</summary>
    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    private Task<TriggerResult> GroupAsync(string action, PushTarget target, string group, CancellationToken cancellationToken)
    {
        if (!PushTarget.IsValidName(group))
        {
            throw new ArgumentException($"a group name must be 1 to {SessionContext.MaxUserIdBytes} UTF-8 bytes", nameof(group));
        }

        var args = TargetArgs(target);
        args.Group = group;
        return ActAsync(action, args, null, cancellationToken);
    }

    private static ActionArgs TargetArgs(PushTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        var args = target.ToArgs();
        if (!args.HasTarget)
        {
            throw new ArgumentException("the target names nobody (no users, sessions or groups)", nameof(target));
        }

        return args;
    }

    private async Task<TriggerResult> ActAsync(string action, ActionArgs args, byte[]? payload, CancellationToken cancellationToken)
    {
        byte[][] frames = payload is null ? [args.Serialize()] : [args.Serialize(), payload];
        var result = await _connection.AskAsync(action, frames, _timeout, cancellationToken).ConfigureAwait(false);
        ActionResult? parsed;
        try
        {
            parsed = ActionResult.Parse(result);
        }
        catch (MessagePackSerializationException ex)
        {
            throw new TriggerException(TriggerFailure.MalformedAnswer, $"{Endpoint} answered '{action}' with something that is not a result map", innerException: ex);
        }

        return parsed is null
            ? throw new TriggerException(TriggerFailure.MalformedAnswer, $"{Endpoint} answered '{action}' with nil instead of a result map")
            : new TriggerResult(parsed.Sessions, parsed.Dropped) { Workers = parsed.Workers };
    }
}
