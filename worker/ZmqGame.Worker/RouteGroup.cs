using System.Runtime.CompilerServices;
using MessagePack;
using ZmqGame.Protocol;
using ZmqGame.Worker.Internal;

namespace ZmqGame.Worker;

/// <summary>
/// Routes of one service that share hooks. <see cref="WorkerApp.MapService"/> returns the service's root
/// group; <see cref="MapGroup"/> nests a group whose hooks run inside its parent's.
/// </summary>
public sealed class RouteGroup
{
    private readonly WorkerApp _app;
    private readonly ServiceDefinition _service;
    private bool _onThreadPool;

    internal RouteGroup(WorkerApp app, ServiceDefinition service, RouteGroup? parent, bool idempotent = false)
    {
        _app = app;
        _service = service;
        Parent = parent;
        IsIdempotent = idempotent || (parent?.IsIdempotent ?? false);
    }

    /// <summary>The MDP service name these routes belong to.</summary>
    public string Service => _service.Name;

    internal RouteGroup? Parent { get; }

    /// <summary>
    /// Routes of this group (and of groups nested in it) are idempotent: running one twice does no harm.
    /// If the worker running such a request is lost, the broker dispatches it once more instead of
    /// answering <c>worker lost</c>.
    /// </summary>
    public bool IsIdempotent { get; }

    internal Hooks Hooks { get; } = new();

    /// <summary>True when this group or one it is nested in said <see cref="RunOnThreadPool"/>.</summary>
    internal bool RunsOnThreadPool => _onThreadPool || (Parent?.RunsOnThreadPool ?? false);

    /// <summary>
    /// Handlers, hooks and event handlers of this group (and of groups nested in it) always run on the thread pool,
    /// never inline on the worker's I/O thread: for handlers known to block (a synchronous database call). Without it,
    /// a handler that holds the I/O thread past <see cref="WorkerOptions.InlineBudget"/> is moved there after a few
    /// such requests. Client hooks of the service move if any group with client hooks says so.
    /// </summary>
    public RouteGroup RunOnThreadPool()
    {
        _app.ThrowIfStarted();
        _onThreadPool = true;
        return this;
    }

    /// <summary>
    /// A nested group of routes of the same service, with its own hooks. With
    /// <paramref name="idempotent"/>, its routes are declared idempotent (see <see cref="IsIdempotent"/>).
    /// </summary>
    public RouteGroup MapGroup(bool idempotent = false)
    {
        _app.ThrowIfStarted();
        return new RouteGroup(_app, _service, this, idempotent);
    }

    /// <summary>Maps a command id to a synchronous handler with MessagePack request and response.</summary>
    [OverloadResolutionPriority(2)]
    public RouteGroup Map<TRequest, TResponse>(int command, Func<TRequest, RequestContext, TResponse> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return AddTyped(command, (bytes, ctx) => new ValueTask<byte[]>(Payload.Serialize(handler(Deserialize<TRequest>(bytes), ctx))));
    }

    /// <summary>Maps a command id to an asynchronous handler with MessagePack request and response.</summary>
    public RouteGroup Map<TRequest, TResponse>(int command, Func<TRequest, RequestContext, ValueTask<TResponse>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return AddTyped(command, async (bytes, ctx) =>
            Payload.Serialize(await handler(Deserialize<TRequest>(bytes), ctx).ConfigureAwait(false)));
    }

    /// <summary>Maps a command id to a <see cref="Task{TResult}"/>-returning handler with MessagePack request and response.</summary>
    [OverloadResolutionPriority(1)]
    public RouteGroup Map<TRequest, TResponse>(int command, Func<TRequest, RequestContext, Task<TResponse>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return AddTyped(command, async (bytes, ctx) =>
            Payload.Serialize(await handler(Deserialize<TRequest>(bytes), ctx).ConfigureAwait(false)));
    }

    /// <summary>
    /// Maps the service's raw route: it serves stock MDP requests (a body whose first frame is not a ZmqGame
    /// request header). Body frames in, body frames out. One per service.
    /// </summary>
    public RouteGroup MapRaw(Func<IReadOnlyList<byte[]>, RequestContext, IReadOnlyList<byte[]>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return AddRaw((frames, ctx) => new ValueTask<IReadOnlyList<byte[]>>(handler(frames, ctx)));
    }

    /// <summary>Maps the service's raw route with an asynchronous handler. One per service.</summary>
    [OverloadResolutionPriority(1)]
    public RouteGroup MapRaw(Func<IReadOnlyList<byte[]>, RequestContext, ValueTask<IReadOnlyList<byte[]>>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return AddRaw(handler);
    }

    /// <summary>Runs before each handler of this group (after the hooks of enclosing groups and the app).</summary>
    public RouteGroup OnBeforeRequest(Action<RequestContext> hook) => Add(Hooks.Before, Hooks.Wrap(hook));

    /// <inheritdoc cref="OnBeforeRequest(Action{RequestContext})"/>
    [OverloadResolutionPriority(1)]
    public RouteGroup OnBeforeRequest(Func<RequestContext, ValueTask> hook) => Add(Hooks.Before, hook);

    /// <summary>Runs after each request of this group, whatever its status (before the hooks of enclosing groups and the app).</summary>
    public RouteGroup OnAfterRequest(Action<RequestContext> hook) => Add(Hooks.After, Hooks.Wrap(hook));

    /// <inheritdoc cref="OnAfterRequest(Action{RequestContext})"/>
    [OverloadResolutionPriority(1)]
    public RouteGroup OnAfterRequest(Func<RequestContext, ValueTask> hook) => Add(Hooks.After, hook);

    /// <summary>Runs when a hook or handler of this group throws (the client gets <c>handler failed</c>).</summary>
    public RouteGroup OnError(Action<RequestContext, Exception> hook) => Add(Hooks.Error, Hooks.Wrap(hook));

    /// <inheritdoc cref="OnError(Action{RequestContext, Exception})"/>
    [OverloadResolutionPriority(1)]
    public RouteGroup OnError(Func<RequestContext, Exception, ValueTask> hook) => Add(Hooks.Error, hook);

    /// <summary>
    /// Runs when a client session of this service starts (a client said HELLO naming the service), after the app's
    /// connected hooks. A client hook belongs to the service, whichever of its groups it is registered on. A hook that
    /// throws is logged and counted; the remaining hooks still run.
    /// </summary>
    public RouteGroup OnClientConnected(Action<ClientEvent> hook) => AddClientHook(_service.ClientHooks.Connected, Hooks.Wrap(hook));

    /// <inheritdoc cref="OnClientConnected(Action{ClientEvent})"/>
    [OverloadResolutionPriority(1)]
    public RouteGroup OnClientConnected(Func<ClientEvent, ValueTask> hook) => AddClientHook(_service.ClientHooks.Connected, hook);

    /// <summary>
    /// Runs when a client session of this service ends (any <see cref="SessionCloseReason"/>), before the app's closed
    /// hooks. It may run twice for one session after a worker crash. A hook that throws is logged and counted; the
    /// remaining hooks still run.
    /// </summary>
    public RouteGroup OnClientClosed(Action<ClientEvent> hook) => AddClientHook(_service.ClientHooks.Closed, Hooks.Wrap(hook));

    /// <inheritdoc cref="OnClientClosed(Action{ClientEvent})"/>
    [OverloadResolutionPriority(1)]
    public RouteGroup OnClientClosed(Func<ClientEvent, ValueTask> hook) => AddClientHook(_service.ClientHooks.Closed, hook);

    /// <summary>
    /// Maps a trigger event command of this service to a handler; <typeparamref name="T"/> is the event's MessagePack
    /// payload. Events have their own table: clients cannot call it, and request hooks do not run for it. A handler
    /// that throws is logged and counted (the event is answered anyway). One handler per command and service.
    /// </summary>
    public RouteGroup MapEvent<T>(int command, Action<T, TriggerEvent> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return AddEvent(command, (bytes, e) =>
        {
            handler(Deserialize<T>(bytes), e);
            return ValueTask.CompletedTask;
        });
    }

    /// <inheritdoc cref="MapEvent{T}(int, Action{T, TriggerEvent})"/>
    public RouteGroup MapEvent<T>(int command, Func<T, TriggerEvent, ValueTask> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return AddEvent(command, (bytes, e) => handler(Deserialize<T>(bytes), e));
    }

    /// <inheritdoc cref="MapEvent{T}(int, Action{T, TriggerEvent})"/>
    [OverloadResolutionPriority(1)]
    public RouteGroup MapEvent<T>(int command, Func<T, TriggerEvent, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return AddEvent(command, (bytes, e) => new ValueTask(handler(Deserialize<T>(bytes), e)));
    }

    private RouteGroup AddEvent(int command, Func<byte[], TriggerEvent, ValueTask> invoke)
    {
        _app.ThrowIfStarted();
        if (!_service.EventRoutes.TryAdd(command, new EventRoute(this, command, invoke)))
        {
            throw new InvalidOperationException($"Duplicate event route: service '{Service}' already maps event command {command}.");
        }

        return this;
    }

    private RouteGroup AddClientHook(List<Func<ClientEvent, ValueTask>> list, Func<ClientEvent, ValueTask> hook)
    {
        _service.ClientHookGroups.Add(this);
        return Add(list, hook);
    }

    private RouteGroup Add<T>(List<T> list, T hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        _app.ThrowIfStarted();
        list.Add(hook);
        return this;
    }

    private RouteGroup AddTyped(int command, Func<byte[], RequestContext, ValueTask<byte[]>> invoke)
    {
        _app.ThrowIfStarted();
        if (!_service.Routes.TryAdd(command, Route.ForTyped(this, command, invoke)))
        {
            throw new InvalidOperationException($"Duplicate route: service '{Service}' already maps command {command}.");
        }

        return this;
    }

    private RouteGroup AddRaw(Func<IReadOnlyList<byte[]>, RequestContext, ValueTask<IReadOnlyList<byte[]>>> invoke)
    {
        _app.ThrowIfStarted();
        if (_service.RawRoute is not null)
        {
            throw new InvalidOperationException($"Duplicate route: service '{Service}' already has a raw route.");
        }

        _service.RawRoute = Route.ForRaw(this, invoke);
        return this;
    }

    private static T Deserialize<T>(byte[] bytes)
    {
        try
        {
            return Payload.Deserialize<T>(bytes);
        }
        catch (MessagePackSerializationException ex)
        {
            throw new BadPayloadException($"payload is not a {typeof(T).Name}", ex);
        }
    }
}
