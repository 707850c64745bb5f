using System.Diagnostics;
using ZmqGame.Transport;

namespace ZmqGame.Client.Internal;

/// <summary>
/// One outstanding request. Whoever removes it from <see cref="RequestTable"/> (reply or deadline on the I/O thread,
/// cancellation, connection loss, dispose) completes it; the others find nothing to remove, so a request completes
/// exactly once. How the caller's task is completed is <see cref="CallerCompletion"/>'s choice.
/// </summary>
internal sealed class PendingRequest : IInlineWork
{
    private readonly CallerCompletion completer;
    private readonly TaskCompletionSource<byte[]> completion;
    private byte[]? result;
    private Exception? error;
    private CancellationToken canceledBy;
    private long sentEpoch;
    private CancellationTokenRegistration cancellation;
    private Activity? activity;

    public PendingRequest(
        ulong id, string service, byte[] serviceBytes, int command, byte[] payload, TimeSpan timeout, long deadlineTimestamp, Activity? activity = null,
        CallerCompletion? completer = null)
    {
        this.completer = completer ?? CallerCompletion.OnThreadPool;
        completion = this.completer.NewSource();
        Id = id;
        Service = service;
        ServiceBytes = serviceBytes;
        Command = command;
        Payload = payload;
        Timeout = timeout;
        DeadlineTimestamp = deadlineTimestamp;
        this.activity = activity;
        TraceContext = Tracing.ContextFrame(activity);
    }

    public ulong Id { get; }

    public string Service { get; }

    public byte[] ServiceBytes { get; }

    public int Command { get; }

    public byte[] Payload { get; }

    /// <summary>The trace context frame of the request's span (Tracing.cs); null when it is not traced.</summary>
    public byte[]? TraceContext { get; }

    public TimeSpan Timeout { get; }

    /// <summary>In <see cref="TimeProvider.GetTimestamp"/> units.</summary>
    public long DeadlineTimestamp { get; }

    /// <summary>Connection epoch the request was written to; 0 while unsent. Written by the poller thread only.</summary>
    public long SentEpoch
    {
        get => Volatile.Read(ref sentEpoch);
        set => Volatile.Write(ref sentEpoch, value);
    }

    public Task<byte[]> Task => completion.Task;

    /// <summary>The broker was given its grace past the deadline (<see cref="RequestTable.BrokerDeadlineGrace"/>). I/O thread.</summary>
    public bool GraceGiven { get; set; }

    /// <summary>Cancellation of <paramref name="cancellationToken"/> calls <paramref name="onCancel"/> from here on.</summary>
    public void Attach(Action<PendingRequest, CancellationToken> onCancel, CancellationToken cancellationToken)
    {
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
        Tracing.Stop(TakeActivity(), Protocol.Status.Ok, null);
        result = payload;
        completer.Finish(this);
    }

    public void Fail(Exception exception)
    {
        Cleanup();
        Tracing.Stop(TakeActivity(), exception);
        error = exception;
        completer.Finish(this);
    }

    public void Cancel(CancellationToken cancellationToken)
    {
        Cleanup();
        if (TakeActivity() is { } span)
        {
            Tracing.Stop(span, new OperationCanceledException(cancellationToken));
        }

        canceledBy = cancellationToken;
        error = new OperationCanceledException(cancellationToken);
        completer.Finish(this);
    }

    /// <summary>Completes the caller's task with the outcome set by <see cref="Complete"/>, <see cref="Fail"/> or <see cref="Cancel"/>: the caller's code may run here.</summary>
    public void Apply()
    {
        if (result is not null)
        {
            completion.TrySetResult(result);
        }
        else if (error is OperationCanceledException && canceledBy.IsCancellationRequested)
        {
            completion.TrySetCanceled(canceledBy);
        }
        else
        {
            completion.TrySetException(error!);
        }
    }

    void IInlineWork.Run() => Apply();

    void IInlineWork.TakenOver()
    {
        // The caller's code holds the old thread; nothing of the request's is left to move.
    }

    void IInlineWork.AfterRun(bool takenOver)
    {
    }

    /// <summary>The request's span, to end; null when it has none or another thread took it.</summary>
    private Activity? TakeActivity() => Volatile.Read(ref activity) is null ? null : Interlocked.Exchange(ref activity, null);

    private void Cleanup() => cancellation.Dispose();
}
