using System.Text;
using Microsoft.Extensions.Logging;
using ZmqGame.Protocol;

namespace ZmqGame.Worker.Internal;

/// <summary>
/// Runs one request through its hooks and handler, off the I/O thread, and turns every outcome into reply
/// body frames: a handler never takes the worker down.
/// </summary>
internal sealed class RequestPipeline(ILogger logger, WorkerCounters counters)
{
    private static readonly byte[] RawHandlerFailed = "error: handler failed"u8.ToArray();

    /// <summary>A ZmqGame request: [reply header][MessagePack result] or [reply header][UTF-8 error text].</summary>
    public async Task<IReadOnlyList<byte[]>> RunTypedAsync(Route route, RequestContext ctx, IReadOnlyList<byte[]> payload)
    {
        byte[]? result = null;
        string? error = null;
        try
        {
            if (payload.Count != 1)
            {
                throw new BadPayloadException($"expected one payload frame, got {payload.Count}");
            }

            foreach (var hook in route.Before)
            {
                await hook(ctx).ConfigureAwait(false);
            }

            result = await route.Typed!(payload[0], ctx).ConfigureAwait(false);
            ctx.Status = Status.Ok;
        }
        catch (Exception ex)
        {
            error = await FailAsync(route, ctx, ex).ConfigureAwait(false);
        }

        if (result is not null && ctx.Status == Status.Ok
            && ctx.ReplyLimit.IsOver(ReplyHeader.Size + (long)result.Length, out var size))
        {
            error = TooLarge(ctx, size);
            result = null;
        }

        await RunAfterAsync(route, ctx).ConfigureAwait(false);
        var body = ctx.Status == Status.Ok && result is not null ? result : Encoding.UTF8.GetBytes(error ?? "failed");
        return [new ReplyHeader(ctx.RequestId, ctx.Status).ToArray(), body];
    }

    /// <summary>A stock MDP request: the raw handler's frames, or the single frame "error: ..." on failure.</summary>
    public async Task<IReadOnlyList<byte[]>> RunRawAsync(Route route, RequestContext ctx, IReadOnlyList<byte[]> body)
    {
        IReadOnlyList<byte[]> reply;
        try
        {
            foreach (var hook in route.Before)
            {
                await hook(ctx).ConfigureAwait(false);
            }

            reply = await route.Raw!(body, ctx).ConfigureAwait(false) ?? [];
            ctx.Status = Status.Ok;
            if (ctx.ReplyLimit.IsOver(reply, out var size))
            {
                reply = [Encoding.UTF8.GetBytes("error: too large: " + TooLarge(ctx, size))];
            }
        }
        catch (Exception ex)
        {
            var error = await FailAsync(route, ctx, ex).ConfigureAwait(false);
            reply = ex is RequestRejectedException ? [Encoding.UTF8.GetBytes("error: " + error)] : [RawHandlerFailed];
        }

        await RunAfterAsync(route, ctx).ConfigureAwait(false);
        return reply;
    }

    /// <summary>
    /// The handler's answer is over the broker's limit: the client is told <c>too large</c> instead (the hooks after it
    /// see that status), and it counts as a failed handler.
    /// </summary>
    private string TooLarge(RequestContext ctx, long size)
    {
        ctx.Status = Status.TooLarge;
        Interlocked.Increment(ref counters.HandlerFailures);
        Log.ReplyTooLarge(logger, ctx.Service, size, ctx.ReplyLimit.MaxMessageSize);
        return ctx.ReplyLimit.Describe(size);
    }

    /// <summary>Sets the status for the exception, runs the error hooks, returns the text for the client.</summary>
    private async ValueTask<string> FailAsync(Route route, RequestContext ctx, Exception ex)
    {
        ctx.Error = ex;
        string text;
        switch (ex)
        {
            case RequestRejectedException rejected:
                ctx.Status = rejected.Status;
                return rejected.Message;
            case BadPayloadException bad:
                ctx.Status = Status.BadRequest;
                Interlocked.Increment(ref counters.BadRequests);
                Log.BadRequest(logger, ctx.Service, ctx.Command, bad.Message);
                text = "bad request: " + bad.Message;
                break;
            case OperationCanceledException when ctx.RequestAborted.IsCancellationRequested:
                ctx.Status = Status.HandlerFailed;
                text = "handler failed: request aborted";
                break;
            default:
                ctx.Status = Status.HandlerFailed;
                Interlocked.Increment(ref counters.HandlerFailures);
                Log.HandlerFailed(logger, ex, ctx.Service, ctx.Command);
                text = "handler failed: " + ex.GetType().Name;
                break;
        }

        foreach (var hook in route.Error)
        {
            try
            {
                await hook(ctx, ex).ConfigureAwait(false);
            }
            catch (Exception hookError)
            {
                Log.HookFailed(logger, hookError, ctx.Service, ctx.Command);
            }
        }

        return text;
    }

    private async ValueTask RunAfterAsync(Route route, RequestContext ctx)
    {
        foreach (var hook in route.After)
        {
            try
            {
                await hook(ctx).ConfigureAwait(false);
            }
            catch (Exception hookError)
            {
                Log.HookFailed(logger, hookError, ctx.Service, ctx.Command);
            }
        }
    }
}
