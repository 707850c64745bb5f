namespace ZmqGame.Worker.Internal;

/// <summary>Thrown by a typed route when the request payload does not deserialize: answered <c>bad request</c>.</summary>
internal sealed class BadPayloadException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>One mapped handler with the hook chain it runs inside.</summary>
internal sealed class Route
{
    private Route(RouteGroup group, int command, bool isRaw)
    {
        Group = group;
        Command = command;
        IsRaw = isRaw;
    }

    public RouteGroup Group { get; }

    public int Command { get; }

    public bool IsRaw { get; }

    /// <summary>
    /// Runs on the thread pool, not inline on the I/O thread: its group asked (<see cref="RouteGroup.RunOnThreadPool"/>),
    /// or it once held the I/O thread past the inline budget (set on the I/O thread, read there).
    /// </summary>
    public bool OnThreadPool { get; set; }

    /// <summary>Inline runs and takeovers of this route (I/O thread).</summary>
    public InlinePolicy Inline { get; } = new();

    /// <summary>Typed route: payload frame in, serialized result out.</summary>
    public Func<byte[], RequestContext, ValueTask<byte[]>>? Typed { get; private init; }

    /// <summary>Raw route: body frames in, body frames out.</summary>
    public Func<IReadOnlyList<byte[]>, RequestContext, ValueTask<IReadOnlyList<byte[]>>>? Raw { get; private init; }

    /// <summary>Before hooks, outermost (app) first. Set when the app starts.</summary>
    public Func<RequestContext, ValueTask>[] Before { get; private set; } = [];

    /// <summary>After hooks, innermost (group) first. Set when the app starts.</summary>
    public Func<RequestContext, ValueTask>[] After { get; private set; } = [];

    /// <summary>Error hooks, innermost (group) first. Set when the app starts.</summary>
    public Func<RequestContext, Exception, ValueTask>[] Error { get; private set; } = [];

    public static Route ForTyped(RouteGroup group, int command, Func<byte[], RequestContext, ValueTask<byte[]>> invoke) =>
        new(group, command, isRaw: false) { Typed = invoke };

    public static Route ForRaw(RouteGroup group, Func<IReadOnlyList<byte[]>, RequestContext, ValueTask<IReadOnlyList<byte[]>>> invoke) =>
        new(group, 0, isRaw: true) { Raw = invoke };

    /// <summary>Flattens the hooks of the app and of every enclosing group (middleware-style nesting).</summary>
    public void Compile(Hooks appHooks)
    {
        var chain = new List<Hooks> { appHooks };
        var groups = new Stack<Hooks>();
        for (var group = Group; group is not null; group = group.Parent)
        {
            groups.Push(group.Hooks);
        }

        chain.AddRange(groups);
        OnThreadPool |= Group.RunsOnThreadPool;
        Before = chain.SelectMany(h => h.Before).ToArray();
        chain.Reverse();
        After = chain.SelectMany(h => h.After).ToArray();
        Error = chain.SelectMany(h => h.Error).ToArray();
    }
}

/// <summary>A handler of trigger events with one command id (a service's event table, not callable by clients).</summary>
internal sealed class EventRoute(RouteGroup group, int command, Func<byte[], TriggerEvent, ValueTask> invoke)
{
    public int Command { get; } = command;

    /// <summary>Runs on the thread pool: its group asked, or it once held the I/O thread past the inline budget (I/O thread).</summary>
    public bool OnThreadPool { get; set; }

    /// <summary>Inline runs and takeovers of this event handler (I/O thread).</summary>
    public InlinePolicy Inline { get; } = new();

    /// <summary>Takes the choice of its group (when the app starts).</summary>
    public void Compile() => OnThreadPool |= group.RunsOnThreadPool;

    public Func<byte[], TriggerEvent, ValueTask> Invoke { get; } = invoke;
}

/// <summary>A mapped service: its routes, raw route, event handlers, client hooks and slot count.</summary>
internal sealed class ServiceDefinition
{
    public ServiceDefinition(string name, int slots)
    {
        Name = name;
        Slots = slots;
    }

    public string Name { get; }

    public int Slots { get; set; }

    public Dictionary<int, Route> Routes { get; } = [];

    public Route? RawRoute { get; set; }

    /// <summary>Trigger event handlers by command id.</summary>
    public Dictionary<int, EventRoute> EventRoutes { get; } = [];

    /// <summary>Client hooks registered on any group of the service.</summary>
    public Hooks ClientHooks { get; } = new();

    /// <summary>Connected hooks to run, app first. Set when the app starts.</summary>
    public Func<ClientEvent, ValueTask>[] Connected { get; private set; } = [];

    /// <summary>Closed hooks to run, service first. Set when the app starts.</summary>
    public Func<ClientEvent, ValueTask>[] Closed { get; private set; } = [];

    /// <summary>
    /// Client hooks run on the thread pool: a group of the service that has client hooks asked, or they once held the
    /// I/O thread past the inline budget (I/O thread).
    /// </summary>
    public bool ClientHooksOnThreadPool { get; set; }

    /// <summary>Inline runs and takeovers of the client hooks (I/O thread).</summary>
    public InlinePolicy ClientHooksInline { get; } = new();

    /// <summary>Groups that registered client hooks.</summary>
    public HashSet<RouteGroup> ClientHookGroups { get; } = [];

    /// <summary>Trigger event commands without a handler already logged (I/O thread only).</summary>
    public HashSet<int> UnknownEventsLogged { get; } = [];

    /// <summary>True when the service serves anything: routes, a raw route, events or client hooks.</summary>
    public bool HasHandlers =>
        Routes.Count > 0 || RawRoute is not null || EventRoutes.Count > 0 || ClientHooks.Connected.Count > 0 || ClientHooks.Closed.Count > 0;

    /// <summary>Orders the client hooks: connected app → service, closed service → app (like before and after hooks).</summary>
    public void CompileClientHooks(Hooks appHooks)
    {
        Connected = [.. appHooks.Connected, .. ClientHooks.Connected];
        Closed = [.. ClientHooks.Closed, .. appHooks.Closed];
        ClientHooksOnThreadPool |= ClientHookGroups.Any(g => g.RunsOnThreadPool);
        foreach (var route in EventRoutes.Values)
        {
            route.Compile();
        }
    }

    /// <summary>Command ids of the routes mapped in idempotent groups, announced to the broker in READY.</summary>
    public int[] IdempotentCommands() =>
        Routes.Values.Where(r => r.Group.IsIdempotent).Select(r => r.Command).Order().ToArray();

    public RouteGroup? Root { get; set; }
}
