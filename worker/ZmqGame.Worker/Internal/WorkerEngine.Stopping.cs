using System.Text;
using ZmqGame.Protocol;

namespace ZmqGame.Worker.Internal;

/// <summary>
/// The graceful stop of a worker, on the I/O thread, as a protocol step (the drain). Every connected slot, idle or busy,
/// says HEARTBEAT "draining" and keeps its socket. It still runs whatever the broker had sent it before reading that
/// message (a REQUEST or event that crossed it on the wire: only this slot can run it), replies, and leaves when the
/// broker confirms with DISCONNECT. The broker reads each worker's messages in order and, once it has read "draining",
/// sends that worker nothing but the reply it waits for and then DISCONNECT; so when the DISCONNECT arrives, every
/// request ever sent to the slot has arrived before it and been answered.
/// </summary>
/// <remarks>
/// A broker that never confirms (a stock Majordomo broker ignores "draining") would keep an idle slot waiting: a slot
/// still unconfirmed <see cref="DrainConfirmWait"/> after the stop began says DISCONNECT itself, as soon as it holds
/// nothing, which is plain MDP. At the shutdown timeout <see cref="ForceStop"/> abandons what still runs.
/// </remarks>
internal sealed partial class WorkerEngine
{
    private long _drainDeadline;
    private bool _unconfirmedLogged;

    /// <summary>
    /// How long a draining slot waits for the broker's DISCONNECT before it says DISCONNECT itself: the heartbeat
    /// interval × liveness, the silence after which either side takes the other for gone (a broker that confirms does
    /// so within one round trip, far sooner), capped by the shutdown timeout that bounds the whole stop.
    /// </summary>
    private TimeSpan DrainConfirmWait
    {
        get
        {
            var liveness = _options.HeartbeatInterval * _options.Liveness;
            return liveness < _options.ShutdownTimeout ? liveness : _options.ShutdownTimeout;
        }
    }

    private bool DrainDeadlinePassed => _time.GetTimestamp() >= _drainDeadline;

    private void BeginStop()
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        _ = _stopCts.CancelAsync();
        var wait = DrainConfirmWait;
        _drainDeadline = _time.GetTimestamp() + (long)(wait.TotalSeconds * _time.TimestampFrequency);
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
                    slot.ContactWaiter?.TrySetCanceled();
                    slot.ContactWaiter = null;
                    if (Send(slot, Heartbeat(draining: true), "HEARTBEAT draining"))
                    {
                        slot.State = SlotState.Draining;
                    }
                    else
                    {
                        // The broker cannot be told: leave as a lost connection does (it removes the worker when the connection closes).
                        CloseSocket(slot);
                        slot.State = SlotState.Stopped;
                    }

                    break;
                case SlotState.Down:
                    slot.State = SlotState.Stopped;
                    break;
            }
        }

        Log.Stopping(_logger, busy, wait);
        CheckDrained();
    }

    /// <summary>A stopping slot has sent its reply: it waits for the broker's confirmation, or leaves if the wait is over.</summary>
    private void AfterReplyWhileStopping(Slot slot)
    {
        if (DrainDeadlinePassed)
        {
            LeaveUnconfirmed(slot);
            return;
        }

        slot.State = SlotState.Draining;
    }

    /// <summary>The broker's DISCONNECT to a draining slot: the drain is confirmed, nothing more is on its way to it.</summary>
    private void DrainConfirmed(Slot slot)
    {
        CloseSocket(slot);
        slot.State = SlotState.Stopped;
        Log.SlotDrained(_logger, slot.Service.Name, slot.Index);
        CheckDrained();
    }

    /// <summary>On each tick while stopping: a draining slot that the broker has not confirmed in time leaves by itself.</summary>
    private void CheckDrainDeadline(Slot slot)
    {
        if (slot.State == SlotState.Draining && DrainDeadlinePassed)
        {
            LeaveUnconfirmed(slot);
        }
    }

    /// <summary>
    /// Plain MDP: the slot says DISCONNECT. It holds nothing; a request the broker sent meanwhile crossed this DISCONNECT
    /// unrun, and a ZmqGame broker dispatches it again (a stock broker never sends one: it has no draining).
    /// </summary>
    private void LeaveUnconfirmed(Slot slot)
    {
        Send(slot, Disconnect(), "DISCONNECT");
        slot.State = SlotState.Stopped;
        if (!_unconfirmedLogged)
        {
            _unconfirmedLogged = true;
            Log.DrainUnconfirmed(_logger, slot.Service.Name, slot.Index, DrainConfirmWait);
        }

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
            else if (slot.State == SlotState.Draining)
            {
                Send(slot, Disconnect(), "DISCONNECT");
                slot.State = SlotState.Stopped;
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
