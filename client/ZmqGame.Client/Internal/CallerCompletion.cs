using ZmqGame.Transport;

namespace ZmqGame.Client.Internal;

/// <summary>
/// The one place that decides how a caller's task is completed when its request ends (reply, status, deadline, loss).
/// <list type="bullet">
/// <item><b>On the I/O thread</b> (<see cref="Inline"/>: the own transport's loop, which can run user code and hands
/// itself to a fresh thread when that code blocks): a request that ends on the I/O thread has its caller's code run
/// there, at the safe point of the loop's turn (<see cref="IInlineWork"/>), with no hand-off; a next request it makes
/// is queued for the very next turn, with no wake-up. Code that blocks past the loop's budget keeps its thread, and the
/// loop goes on on a fresh one, so heartbeats, deadlines and the other requests never wait behind it for long. A
/// request that ends on another thread (its cancellation, the client's disposal) completes on the thread pool.</item>
/// <item><b>On the thread pool</b> (<see cref="OnThreadPool"/>: NetMQ, WebSocket, shared loops):
/// <see cref="TaskCreationOptions.RunContinuationsAsynchronously"/>, so no caller's code ever runs on the I/O thread.</item>
/// </list>
/// Either way, an <c>await</c> under a <see cref="SynchronizationContext"/> (a game's main thread) continues there.
/// </summary>
internal sealed class CallerCompletion
{
    /// <summary>Every caller continues on the thread pool.</summary>
    public static readonly CallerCompletion OnThreadPool = new(null, null);

    private readonly ClientConnection? io;
    private readonly Func<bool>? onIoThread;

    /// <param name="io">The connection whose loop runs callers' code; null: none does.</param>
    /// <param name="onIoThread">True when called on <paramref name="io"/>'s thread, in one of the client's handlers.</param>
    public CallerCompletion(ClientConnection? io, Func<bool>? onIoThread)
    {
        this.io = io;
        this.onIoThread = onIoThread;
    }

    /// <summary>Callers' code may run on the I/O thread.</summary>
    public bool Inline => io is not null;

    /// <summary>A caller's task source, completed the way this instance decides.</summary>
    public TaskCompletionSource<byte[]> NewSource() =>
        Inline ? new TaskCompletionSource<byte[]>() : new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes <paramref name="request"/>'s task with the outcome it holds (<see cref="PendingRequest.Apply"/>). Any thread.</summary>
    public void Finish(PendingRequest request)
    {
        if (io is null)
        {
            request.Apply();
        }
        else if (onIoThread!())
        {
            io.RunInline(request);
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(static s => ((PendingRequest)s!).Apply(), request);
        }
    }
}
