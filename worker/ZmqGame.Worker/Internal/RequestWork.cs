using System.Text;
using ZmqGame.Protocol;
using ZmqGame.Transport;
using ZmqGame.Worker.Tracing;

namespace ZmqGame.Worker.Internal;

/// <summary>
/// One request, run inline on the I/O thread (<see cref="IInlineWork"/>) or handed to the thread pool. Inline, a handler
/// that completes without waiting is answered on the I/O thread at once; one that awaits goes on wherever its await
/// resumes, and like every thread-pool run its result goes back through the engine's queue.
/// </summary>
internal sealed class RequestWork(
    WorkerEngine engine,
    RequestPipeline pipeline,
    Slot slot,
    int generation,
    Route route,
    RequestContext context,
    IReadOnlyList<byte[]> frames) : IThreadPoolWorkItem, IInlineWork
{
    private IReadOnlyList<byte[]>? _reply;
    private bool _handedOff;

    public Route Route => route;

    /// <summary>On the thread pool.</summary>
    public void Execute() => _ = RunOnPoolAsync();

    /// <summary>Inline, on the I/O thread.</summary>
    public void Run()
    {
        if (route.OnThreadPool)
        {
            // Queued inline behind a request of this route that has just held the I/O thread too long.
            _handedOff = true;
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
            return;
        }

        var task = RunAsync();
        if (task.IsCompleted)
        {
            _reply = task.GetAwaiter().GetResult();
        }
        else
        {
            _ = PostWhenDoneAsync(task);
        }
    }

    /// <summary>On the I/O thread's new thread, while this request still holds the old one.</summary>
    public void TakenOver()
    {
        if (route.Inline.TakenOver())
        {
            engine.MovedToThreadPool(route);
        }
    }

    /// <summary>Back on the I/O thread after an inline run.</summary>
    public void AfterRun(bool takenOver)
    {
        if (!_handedOff && _reply is { } reply)
        {
            engine.CompleteOnLoop(slot, generation, reply);
        }
    }

    private async Task RunOnPoolAsync() => await PostWhenDoneAsync(RunAsync()).ConfigureAwait(false);

    private async Task PostWhenDoneAsync(Task<IReadOnlyList<byte[]>> run)
    {
        var reply = await run.ConfigureAwait(false);
        try
        {
            engine.PostCompletion(slot, generation, reply);
        }
        catch (ObjectDisposedException)
        {
            // The worker was torn down (shutdown timeout): nobody reads this result any more.
        }
    }

    private async Task<IReadOnlyList<byte[]>> RunAsync()
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        IReadOnlyList<byte[]> reply;
        var activity = WorkerTracing.StartRequest(context);
        try
        {
            reply = route.IsRaw
                ? await pipeline.RunRawAsync(route, context, frames).ConfigureAwait(false)
                : await pipeline.RunTypedAsync(route, context, frames).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The pipeline catches handler errors itself; this is a last resort so the slot never stays busy.
            reply = route.IsRaw
                ? ["error: handler failed"u8.ToArray()]
                : [new ReplyHeader(context.RequestId, Status.HandlerFailed).ToArray(), Encoding.UTF8.GetBytes("handler failed")];
        }

        WorkerTracing.Stop(activity, context);
        engine.Metrics?.Handled(context.Service, context.Command, context.IsRaw, context.Status, started);
        return reply;
    }
}
