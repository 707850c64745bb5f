namespace ZmqGame.Client.Internal;

/// <summary>
/// One outstanding request. Whoever removes it from <see cref="RequestTable"/> (reply on the
/// poller thread, deadline timer, cancellation, connection loss, dispose) completes it; the others find
/// nothing to remove, so a request completes exactly once.
/// </summary>
internal sealed class PendingRequest
{
    private readonly TaskCompletionSource<byte[]> completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ITimer? deadlineTimer;
    private CancellationTokenRegistration cancellation;

    public PendingRequest(ulong id, string service, byte[] serviceBytes, int command, byte[] payload, TimeSpan timeout, long deadlineTimestamp)
    {
        Id = id;
        Service = service;
        ServiceBytes = serviceBytes;
        Command = command;
        Payload = payload;
        Timeout = timeout;
        DeadlineTimestamp = deadlineTimestamp;
    }

    public ulong Id { get; }

    public string Service { get; }

    public byte[] ServiceBytes { get; }

    public int Command { get; }

    public byte[] Payload { get; }

    public TimeSpan Timeout { get; }

    /// <summary>In <see cref="TimeProvider.GetTimestamp"/> units.</summary>
    public long DeadlineTimestamp { get; }

    /// <summary>Connection epoch the request was written to; 0 while unsent. Poller thread only.</summary>
    public long SentEpoch { get; set; }

    public Task<byte[]> Task => completion.Task;

    public void Attach(ITimer timer, Action<PendingRequest, CancellationToken> onCancel, CancellationToken cancellationToken)
    {
        Volatile.Write(ref deadlineTimer, timer);
        if (cancellationToken.CanBeCanceled)
        {
            cancellation = cancellationToken.Register(
                static state =>
                {
                    var (request, token, callback) = ((PendingRequest, CancellationToken, Action<PendingRequest, CancellationToken>))state!;
                    callback(request, token);
                },
                (this, cancellationToken, onCancel));
        }

        if (completion.Task.IsCompleted)
        {
            Cleanup();
        }
    }

    public void Complete(byte[] payload)
    {
        Cleanup();
        completion.TrySetResult(payload);
    }

    public void Fail(Exception exception)
    {
        Cleanup();
        completion.TrySetException(exception);
    }

    public void Cancel(CancellationToken cancellationToken)
    {
        Cleanup();
        completion.TrySetCanceled(cancellationToken);
    }

    private void Cleanup()
    {
        Interlocked.Exchange(ref deadlineTimer, null)?.Dispose();
        cancellation.Dispose();
    }
}
