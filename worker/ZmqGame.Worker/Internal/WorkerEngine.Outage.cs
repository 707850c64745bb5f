namespace ZmqGame.Worker.Internal;

/// <summary>The reconnect backoff of a slot whose connection was lost: off the I/O thread, talking to it through Post.</summary>
internal sealed partial class WorkerEngine
{
    /// <summary>
    /// One outage of a slot, driven by its Polly backoff. Each attempt opens a new socket, sends READY and succeeds
    /// on the first message from the broker; an attempt that hears nothing within the liveness fails and Polly waits
    /// the next (longer, jittered) delay. After a lost connection the first attempt only waits (close, wait, reopen).
    /// </summary>
    private async Task RecoverAsync(Slot slot, bool waitFirst)
    {
        var state = new Outage(this, slot, waitFirst);
        try
        {
            await slot.Reconnect.ExecuteAsync(static (o, ct) => o.AttemptAsync(ct), state, _stopCts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
        catch (ObjectDisposedException)
        {
            // Torn down while an attempt was being posted.
        }
        catch (Exception ex)
        {
            Log.PollerError(_logger, ex);
        }
    }

    private sealed class Outage(WorkerEngine engine, Slot slot, bool waitFirst)
    {
        private bool _waitNext = waitFirst;

        public async ValueTask<bool> AttemptAsync(CancellationToken cancellationToken)
        {
            if (_waitNext)
            {
                // The connection that was just lost is this outage's first failed attempt.
                _waitNext = false;
                return false;
            }

            var attempt = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            using var registration = cancellationToken.Register(static a => ((TaskCompletionSource<bool>)a!).TrySetCanceled(), attempt);
            engine.Post(() => engine.Open(slot, attempt));
            return await attempt.Task.ConfigureAwait(false);
        }
    }
}
