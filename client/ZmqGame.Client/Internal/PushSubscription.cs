namespace ZmqGame.Client.Internal;

/// <summary>
/// One subscriber's bounded buffer of pushes. The poller thread offers (never blocks: when full, the oldest push is
/// dropped); one reader takes them on its own thread. Completing it (unsubscribe, client disposed) wakes the reader,
/// which then sees the end after the pushes still buffered.
/// </summary>
internal sealed class PushSubscription
{
    private readonly object gate = new();
    private readonly Queue<ServerPush> items = new();
    private readonly int capacity;
    private readonly Action<PushSubscription> onComplete;
    private TaskCompletionSource<bool>? waiter;
    private bool completed;

    public PushSubscription(int capacity, int? command, Action<PushSubscription> onComplete)
    {
        this.capacity = capacity;
        Command = command;
        this.onComplete = onComplete;
    }

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

        wake?.TrySetResult(true); // continuations run asynchronously: never on the poller thread
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

            wait = waiter ??= new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        if (!cancellationToken.CanBeCanceled)
        {
            return await wait.Task.ConfigureAwait(false);
        }

        using (cancellationToken.Register(static s => ((TaskCompletionSource<bool>)s!).TrySetCanceled(), wait))
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

        wake?.TrySetResult(false);
        onComplete(this);
    }
}
