namespace ZmqGame.Worker.Internal;

/// <summary>The hooks registered on the app, a service or a group, in registration order.</summary>
internal sealed class Hooks
{
    public List<Func<RequestContext, ValueTask>> Before { get; } = [];

    public List<Func<RequestContext, ValueTask>> After { get; } = [];

    public List<Func<RequestContext, Exception, ValueTask>> Error { get; } = [];

    /// <summary>Client connected hooks (app and service level only).</summary>
    public List<Func<ClientEvent, ValueTask>> Connected { get; } = [];

    /// <summary>Client closed hooks (app and service level only).</summary>
    public List<Func<ClientEvent, ValueTask>> Closed { get; } = [];

    public static Func<RequestContext, ValueTask> Wrap(Action<RequestContext> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        return ctx =>
        {
            hook(ctx);
            return ValueTask.CompletedTask;
        };
    }

    public static Func<RequestContext, Exception, ValueTask> Wrap(Action<RequestContext, Exception> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        return (ctx, ex) =>
        {
            hook(ctx, ex);
            return ValueTask.CompletedTask;
        };
    }

    public static Func<ClientEvent, ValueTask> Wrap(Action<ClientEvent> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        return e =>
        {
            hook(e);
            return ValueTask.CompletedTask;
        };
    }
}
