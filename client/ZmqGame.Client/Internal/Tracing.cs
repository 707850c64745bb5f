using System.Diagnostics;
using ZmqGame.Protocol;

namespace ZmqGame.Client.Internal;

/// <summary>
/// The client's spans (ActivitySource <see cref="SourceName"/>): one per request, of kind Client, from the call to its
/// reply or error, whose W3C trace context travels in the request (<see cref="TraceContextFrame"/>) so the worker's span
/// is its child. Only when something listens (an OpenTelemetry tracer with <c>AddSource("ZmqGame.Client")</c>): without
/// a listener <see cref="StartRequest"/> returns null after one check, and the request carries no trace frame.
/// </summary>
internal static class Tracing
{
    /// <summary>The name of the client's ActivitySource.</summary>
    public const string SourceName = "ZmqGame.Client";

    private static readonly ActivitySource Source = new(SourceName, typeof(Tracing).Assembly.GetName().Version?.ToString());

    /// <summary>
    /// Starts the span of a request to <paramref name="service"/>'s <paramref name="command"/>, a child of the caller's
    /// current activity; null when nothing listens or the sampler drops it. The caller's <see cref="Activity.Current"/> is
    /// left as it was: the span ends on whichever thread completes the request.
    /// </summary>
    public static Activity? StartRequest(string service, int command)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var caller = Activity.Current;
        var activity = Source.StartActivity(service + "/" + command, ActivityKind.Client);
        Activity.Current = caller;
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("rpc.system", "zmqgame");
            activity.SetTag("rpc.service", service);
            activity.SetTag("rpc.method", command);
            activity.SetTag("zmqgame.command", command);
        }

        return activity;
    }

    /// <summary>The trace context frame that carries <paramref name="activity"/> to the worker; null without one (or for a non-W3C id).</summary>
    public static byte[]? ContextFrame(Activity? activity)
    {
        if (activity is null || activity.IdFormat != ActivityIdFormat.W3C)
        {
            return null;
        }

        var flags = (activity.ActivityTraceFlags & ActivityTraceFlags.Recorded) != 0 ? "01" : "00";
        var traceParent = "00-" + activity.TraceId.ToHexString() + "-" + activity.SpanId.ToHexString() + "-" + flags;
        return TraceContextFrame.Create(traceParent, activity.TraceStateString);
    }

    /// <summary>Ends a request's span with its outcome: <c>zmqgame.status</c>, and error status unless the reply was ok.</summary>
    public static void Stop(Activity? activity, Status status, string? error)
    {
        if (activity is null)
        {
            return;
        }

        if (activity.IsAllDataRequested)
        {
            activity.SetTag("zmqgame.status", StatusName(status));
            if (status != Status.Ok)
            {
                activity.SetStatus(ActivityStatusCode.Error, error ?? StatusName(status));
            }
        }

        activity.Stop();
    }

    /// <summary>Ends a request's span that failed with <paramref name="exception"/> (its status, when it has one).</summary>
    public static void Stop(Activity? activity, Exception exception)
    {
        if (activity is null)
        {
            return;
        }

        if (exception is ZmqGameRequestException request)
        {
            Stop(activity, request.Status, request.Message);
            return;
        }

        if (activity.IsAllDataRequested)
        {
            activity.SetTag("error.type", exception.GetType().FullName);
            activity.SetStatus(ActivityStatusCode.Error, exception.Message);
        }

        activity.Stop();
    }

    private static string StatusName(Status status) => status.ToString();
}
