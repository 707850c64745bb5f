using System.Text;
using ZmqGame.Protocol;
using ZmqGame.Worker.Tracing;

namespace ZmqGame.Worker.Internal;

/// <summary>One request handed from the I/O thread to the thread pool; its result goes back through the engine's queue.</summary>
internal sealed class RequestWork(
    WorkerEngine engine,
    RequestPipeline pipeline,
    Slot slot,
    int generation,
    Route route,
    RequestContext context,
    IReadOnlyList<byte[]> frames) : IThreadPoolWorkItem
{
    public void Execute() => _ = RunAsync();

    private async Task RunAsync()
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
        try
        {
            engine.PostCompletion(slot, generation, reply);
        }
        catch (ObjectDisposedException)
        {
            // The worker was torn down (shutdown timeout): nobody reads this result any more.
        }
    }
}
