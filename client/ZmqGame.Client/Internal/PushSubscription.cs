using ZmqGame.Transport.WebSocket;

namespace ZmqGame.Client.Internal;

/// <summary>
/// One subscriber's bounded buffer of pushes. The poller thread offers (never blocks: when full, the oldest push is
/// dropped); one reader takes them on its own thread. Completing it (unsubscribe, client disposed) wakes the reader,
/// which then sees the end after the pushes still buffered.
/// <para>
/// In a pumped client (<see cref="ZmqGameWebSocket.Pumped"/> when it was created) the reader is woken in
/// <see cref="ZmqGameWebSocket.Pump"/>, after the connection loops' turns, and continues right there, on the pumping
/// thread; otherwise its continuation runs on the thread pool, never on the poller thread.
/// </para>
/// </summary>
internal sealed class PushSubscription
{
    private readonly object gate = new();
    private readonly Queue<ServerPush> items = new();
    private readonly int capacity;
    private readonly Action<PushSubscription> onComplete;
    private readonly TaskCreationOptions waiterOptions;
    private TaskCompletionSource<bool>? waiter;
    private bool completed;

    public PushSubscription(int capacity, int? command, Action<PushSubscription> onComplete)
    {
        this.capacity = capacity;
        Command = command;
        this.onComplete = onComplete;
        IsPumped = ZmqGameWebSocket.Pumped;
        waiterOptions = IsPumped ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously;
    }

    /// <summary>The reader is woken and runs in <see cref="ZmqGameWebSocket.Pump"/>.</summary>
    public bool IsPumped { get; }

    /// <summary>Only pushes with this command id are offered; all when null.</summary>
    public int? Command { get; }

    public bool IsCompleted
    {
        get
        {
            lock (gate)
            {
                return completed;
            }
        }
    }

    /// <summary>Adds a push; returns false when the buffer was full and its oldest push was dropped to make room.</summary>
    public bool Offer(ServerPush push)
    {
        TaskCompletionSource<bool>? wake;
        var kept = true;
        lock (gate)
        {
            if (completed)
            {
                return true;
            }

            if (items.Count >= capacity)
            {
                items.Dequeue();
                kept = false;
            }

            items.Enqueue(push);
            wake = waiter;
            waiter = null;
        }

        if (wake is not null)
        {
            Wake(wake, true); // never on the poller thread's turn
        }

        return kept;
    }

    public bool TryRead(out ServerPush push)
    {
        lock (gate)
        {
            if (items.Count > 0)
            {
                push = items.Dequeue();
                return true;
            }
        }

        push = null!;
        return false;
    }

    /// <summary>True when a push can be read; false once completed and drained. Single reader.</summary>
    public async ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource<bool> wait;
        lock (gate)
        {
            if (items.Count > 0)
            {
                return true;
            }

            if (completed)
            {
                return false;
            }

            wait = waiter ??= new TaskCompletionSource<bool>(waiterOptions);
        }

        if (!cancellationToken.CanBeCanceled)
        {
            return await wait.Task.ConfigureAwait(false);
        }

        // Pumped: the cancelled reader continues in the pump too (never on the canceller's context, nor the pool).
        using (IsPumped
            ? cancellationToken.Register(static s => ZmqGameWebSocket.Post(() => ((TaskCompletionSource<bool>)s!).TrySetCanceled()), wait)
            : cancellationToken.Register(static s => ((TaskCompletionSource<bool>)s!).TrySetCanceled(), wait))
        {
            try
            {
                return await wait.Task.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                lock (gate)
                {
                    if (ReferenceEquals(waiter, wait))
                    {
                        waiter = null;
                    }
                }

                cancellationToken.ThrowIfCancellationRequested();
                throw;
            }
        }
    }

    /// <summary>Ends the subscription: no more pushes are taken; the reader drains what is buffered, then sees the end.</summary>
    public void Complete()
    {
        TaskCompletionSource<bool>? wake;
        lock (gate)
        {
            if (completed)
            {
                return;
            }

            completed = true;
            wake = waiter;
            waiter = null;
        }

        if (wake is not null)
        {
            Wake(wake, false);
        }

        onComplete(this);
    }

    /// <summary>Completes the reader's wait: in the next pump (its continuation runs there), or at once (it runs on the thread pool).</summary>
    private void Wake(TaskCompletionSource<bool> wait, bool result)
    {
        if (IsPumped)
        {
            ZmqGameWebSocket.Post(() => wait.TrySetResult(result));
        }
        else
        {
            wait.TrySetResult(result);
        }
    }
}
