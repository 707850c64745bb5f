using System.Diagnostics;
using ZmqGame.Protocol;

namespace ZmqGame.Worker.Tracing;

/// <summary>
/// The worker's spans (ActivitySource <see cref="SourceName"/>): one per request, of kind Server, around its hooks and
/// handler, a child of the client's span when the request carried a trace context (TraceContextReader.cs). It is
/// <see cref="Activity.Current"/> while the handler runs, so the handler's own activities (an HttpClient call, a
/// database) nest under it. Only when something listens (<c>AddSource("ZmqGame.Worker")</c>): otherwise
/// <see cref="StartRequest"/> returns null after one check.
/// </summary>
internal static class WorkerTracing
{
    /// <summary>The name of the worker's ActivitySource.</summary>
    public const string SourceName = "ZmqGame.Worker";

    private static readonly ActivitySource Source = new(SourceName, typeof(WorkerTracing).Assembly.GetName().Version?.ToString());

    /// <summary>Starts the span of the request <paramref name="ctx"/> describes; null when nothing listens or the sampler drops it.</summary>
    public static Activity? StartRequest(RequestContext ctx)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var route = ctx.IsRaw ? "raw" : ctx.Command.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var activity = Source.StartActivity(ctx.Service + "/" + route, ActivityKind.Server, ctx.TraceParent);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("rpc.system", "zmqgame");
            activity.SetTag("rpc.service", ctx.Service);
            activity.SetTag("rpc.method", route);
            activity.SetTag("zmqgame.command", ctx.Command);
            activity.SetTag("zmqgame.raw", ctx.IsRaw);
            activity.SetTag("zmqgame.slot", ctx.Slot);
            if (ctx.Session.Id != 0)
            {
                activity.SetTag("zmqgame.session", ctx.Session.Id);
            }
        }

        return activity;
    }

    /// <summary>Ends the span with the request's outcome: <c>zmqgame.status</c>, and error status (with the exception) unless ok.</summary>
    public static void Stop(Activity? activity, RequestContext ctx)
    {
        if (activity is null)
        {
            return;
        }

        if (activity.IsAllDataRequested)
        {
            activity.SetTag("zmqgame.status", StatusName(ctx.Status));
            if (ctx.Status != Status.Ok)
            {
                activity.SetStatus(ActivityStatusCode.Error, ctx.Error?.GetType().Name ?? StatusName(ctx.Status));
                if (ctx.Error is { } error)
                {
                    activity.AddException(error);
                }
            }
        }

        activity.Stop();
    }

    private static string StatusName(Status status) => status.ToString();
}
