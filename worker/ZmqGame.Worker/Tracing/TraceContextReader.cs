using System.Diagnostics;
using Microsoft.Extensions.Logging;
using ZmqGame.Protocol;
using ZmqGame.Worker.Internal;

namespace ZmqGame.Worker.Tracing;

/// <summary>
/// Reads the trace context a traced request carries (<see cref="TraceContextFrame"/>) into the parent of the worker's
/// span. A malformed one (a frame that does not read, or a traceparent that is not W3C) is bad input from a client: it is
/// ignored (the request runs, its span has no remote parent), counted in <see cref="WorkerCounters.BadTraceContexts"/>,
/// and logged at most once per <see cref="LogInterval"/>. I/O thread only.
/// </summary>
internal sealed class TraceContextReader(ILogger logger, WorkerCounters counters, TimeProvider time)
{
    /// <summary>How often a malformed trace context is logged at most; the ones in between are only counted.</summary>
    public static readonly TimeSpan LogInterval = TimeSpan.FromMinutes(1);

    private long _lastLogged;
    private bool _logged;

    /// <summary>The remote parent in <paramref name="frame"/>; default (no parent) when there is none or it is malformed.</summary>
    public ActivityContext Read(byte[]? frame, string service)
    {
        if (frame is null)
        {
            return default;
        }

        if (!TraceContextFrame.TryRead(frame, out var traceParent, out var traceState))
        {
            Bad(service, "the trace context frame does not read");
            return default;
        }

        if (!ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var parent))
        {
            Bad(service, "not a W3C traceparent: " + Printable(traceParent));
            return default;
        }

        return parent;
    }

    private void Bad(string service, string reason)
    {
        var total = Interlocked.Increment(ref counters.BadTraceContexts);
        var now = time.GetTimestamp();
        if (_logged && time.GetElapsedTime(_lastLogged, now) < LogInterval)
        {
            return;
        }

        _logged = true;
        _lastLogged = now;
        TracingLog.BadTraceContext(logger, service, reason, total);
    }

    private static string Printable(string text) => text.Length <= 64 ? text : text[..64] + "…";
}
