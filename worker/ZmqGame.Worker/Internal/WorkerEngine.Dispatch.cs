namespace ZmqGame.Worker.Internal;

/// <summary>
/// Where handlers run (I/O thread). On ZmqGame's own transport a request or event runs inline on the I/O thread
/// (<see cref="Transport.IInlineWork"/>): one that completes without waiting is answered there, with no hand-off between
/// threads. One that holds the thread past <see cref="WorkerOptions.InlineBudget"/> is left behind by the I/O (a fresh
/// thread takes over), and its route goes to the thread pool from then on, as do routes of a group that asked
/// (<see cref="RouteGroup.RunOnThreadPool"/>) and every handler on NetMQ.
/// </summary>
internal sealed partial class WorkerEngine
{
    private void Dispatch(Slot slot, EventWork work)
    {
        BeginRun(slot);
        if (_inline && !work.OnThreadPool)
        {
            work.CountInline();
            _io.RunInline(work);
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(work, preferLocal: false);
        }
    }

    private void Dispatch(Slot slot, RequestWork work)
    {
        BeginRun(slot);
        if (_inline && !work.Route.OnThreadPool)
        {
            work.Route.Inline.Ran();
            _io.RunInline(work);
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(work, preferLocal: false);
        }
    }

    /// <summary>A result computed inline, back on the I/O thread: answered at once.</summary>
    internal void CompleteOnLoop(Slot slot, int generation, IReadOnlyList<byte[]> reply) => Complete(slot, generation, reply);

    /// <summary>A route held the I/O thread past the inline budget: it runs on the thread pool from now on (I/O thread).</summary>
    internal void MovedToThreadPool(Route route)
    {
        route.OnThreadPool = true;
        var what = route.IsRaw ? "the raw route" : $"the handler of command {route.Command}";
        MovedToThreadPool(route.Group.Service, what);
    }

    /// <summary>Says once per service and handler that it was moved to the thread pool (I/O thread).</summary>
    internal void MovedToThreadPool(ServiceDefinition service, string what) => MovedToThreadPool(service.Name, what);

    private void MovedToThreadPool(string service, string what)
    {
        Interlocked.Increment(ref _counters.MovedToThreadPool);
        Log.MovedToThreadPool(_logger, service, what, _options.InlineBudget);
    }
}
