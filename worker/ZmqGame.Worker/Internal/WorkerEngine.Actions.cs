using System.Text;
using ZmqGame.Protocol;

namespace ZmqGame.Worker.Internal;

/// <summary>Session actions (ZGW01) on their way out, on the I/O thread.</summary>
internal sealed partial class WorkerEngine
{
    private void SendAction(Slot? preferred, string action, byte[] arguments, byte[]? payload)
    {
        var slot = preferred is not null && Connected(preferred) ? preferred : Array.Find(_slots, Connected);
        if (slot is null)
        {
            DropAction(action, _stopping ? "the worker is stopping" : "no slot is connected to the broker");
            return;
        }

        var message = new List<byte[]>(5);
        ZgWorker.WriteAction(new FrameListWriter(message), Encoding.ASCII.GetBytes(action), arguments, payload);

        if (Send(slot, message, "ZGW01 " + action))
        {
            Interlocked.Increment(ref _counters.SessionActions);
            Log.SessionActionSent(_logger, slot.Service.Name, slot.Index, action);
        }
        else
        {
            DropAction(action, "send queue full");
        }

        static bool Connected(Slot s) => s.Link is not null && s.State is SlotState.Idle or SlotState.Busy;
    }

    private void DropAction(string action, string reason)
    {
        var total = Interlocked.Increment(ref _counters.SessionActionsDropped);
        Log.SessionActionDropped(_logger, action, reason, total);
    }
}
