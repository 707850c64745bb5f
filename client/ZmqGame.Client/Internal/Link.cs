namespace ZmqGame.Client.Internal;

/// <summary>
/// One socket's life, seen from the reconnect loop: <see cref="Answered"/> is true once the broker sent
/// anything on it, false when it was closed before that; <see cref="Closed"/> completes when it is closed.
/// </summary>
internal sealed class Link(string endpoint)
{
    private readonly TaskCompletionSource<bool> answered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<bool> closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The broker frontend this socket connects to.</summary>
    public string Endpoint { get; } = endpoint;

    public long Epoch { get; set; }

    public Task<bool> Answered => answered.Task;

    public Task Closed => closed.Task;

    public bool IsAnswered => answered.Task.IsCompleted;

    public void SetAnswered() => answered.TrySetResult(true);

    public void SetClosed()
    {
        answered.TrySetResult(false);
        closed.TrySetResult(true);
    }

    public void SetFailed(Exception exception)
    {
        answered.TrySetException(exception);
        closed.TrySetResult(true);
    }

    public void Abort()
    {
        answered.TrySetCanceled();
        closed.TrySetCanceled();
    }
}
