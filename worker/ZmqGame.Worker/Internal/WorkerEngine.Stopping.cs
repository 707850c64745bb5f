using System.Text;
using ZmqGame.Protocol;

namespace ZmqGame.Worker.Internal;

/// <summary>The graceful stop of a worker, on the I/O thread: drain busy slots, disconnect idle ones, abandon the rest at the timeout.</summary>
internal sealed partial class WorkerEngine
{
    private void BeginStop()
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        _ = _stopCts.CancelAsync();
        var busy = 0;
        foreach (var slot in _slots)
        {
            switch (slot.State)
            {
                case SlotState.Busy:
                    busy++;
                    Send(slot, Heartbeat(draining: true), "HEARTBEAT draining");
                    break;
                case SlotState.Idle:
                    Send(slot, Disconnect(), "DISCONNECT");
                    slot.ContactWaiter?.TrySetCanceled();
                    slot.ContactWaiter = null;
                    slot.State = SlotState.Stopped;
                    break;
                default:
                    slot.State = SlotState.Stopped;
                    break;
            }
        }

        Log.Stopping(_logger, busy);
        CheckDrained();
    }

    private void ForceStop()
    {
        var count = 0;
        foreach (var slot in _slots)
        {
            if (slot.State == SlotState.Busy)
            {
                // Say so before leaving: the broker would otherwise take the DISCONNECT of a worker that
                // holds a request as "never started" and run it elsewhere, while this handler may have
                // done part of its work.
                ReplyAbandoned(slot);
                AbandonRequest(slot);
                Send(slot, Disconnect(), "DISCONNECT");
                slot.State = SlotState.Stopped;
                count++;
            }
        }

        if (count > 0)
        {
            Volatile.Write(ref _abandoned, count);
            Log.ShutdownTimedOut(_logger, _options.ShutdownTimeout, count);
        }

        CheckDrained();
    }

    private void ReplyAbandoned(Slot slot)
    {
        if (slot.Client is null)
        {
            return;
        }

        var text = $"worker lost: the handler was abandoned when the worker stopped (shutdown timeout {_options.ShutdownTimeout})";
        byte[][] body = slot.HoldsEvent
            ? [] // An event's answer has no body: the broker only needs to know the event was taken care of.
            : slot.RequestId is { } id
                ? [new ReplyHeader(id, Status.WorkerLost).ToArray(), Encoding.UTF8.GetBytes(text)]
                : [Encoding.UTF8.GetBytes("error: " + text)];
        var message = new List<byte[]>(MdpWorkerEnvelope.BodyStart + body.Length);
        MdpWorker.WriteReply(new FrameListWriter(message), slot.Client, body);
        Send(slot, message, "REPLY");
    }

    private void CheckDrained()
    {
        if (_stopping && Array.TrueForAll(_slots, s => s.State == SlotState.Stopped))
        {
            _drained.TrySetResult();
        }
    }
}
