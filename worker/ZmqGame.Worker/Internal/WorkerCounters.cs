namespace ZmqGame.Worker.Internal;

/// <summary>Running totals of the worker, for logs and tests. Updated with <see cref="Interlocked"/>.</summary>
internal sealed class WorkerCounters
{
    public long Requests;
    public long Replies;
    public long HandlerFailures;
    public long BadRequests;
    public long BadTraceContexts;
    public long NoSuchRoute;
    public long LateResultsDropped;
    public long UnexpectedMessages;
    public long Reconnects;
    public long Events;
    public long BadEvents;
    public long UnknownEvents;
    public long EventFailures;
    public long SessionActions;
    public long SessionActionsDropped;
    public long MovedToThreadPool;
}
