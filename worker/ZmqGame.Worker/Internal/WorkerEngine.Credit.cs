using ZmqGame.Protocol;

namespace ZmqGame.Worker.Internal;

/// <summary>
/// A slot attached to several brokers (<see cref="SlotCredit"/>), on the I/O thread. The link that takes a request while
/// the slot is free runs it and, once the run has lasted <see cref="SlotCredit.PauseAfter"/>, tells the slot's other
/// brokers "paused" (HEARTBEAT flag); a broker that has read it sends
/// that link nothing new, so the slot's whole capacity goes to whichever broker has work. When the handler returns, the
/// next request that crossed "paused" on the wire runs, or, if none, the paused links say "ready" and their brokers may
/// send work again. The broker that gave the request needs no message: its REPLY makes the link idle there (MDP).
/// With one broker nothing of this is sent: the wire traffic is plain MDP.
/// </summary>
internal sealed partial class WorkerEngine
{
    /// <summary>The slot's credit is now held by <paramref name="runner"/>: its other links say "paused" if the run lasts.</summary>
    private void BeginRun(Slot runner) => runner.Credit.BeginRun(_pauseDue);

    /// <summary>
    /// On the timer thread: a run has lasted <see cref="SlotCredit.PauseAfter"/>, unless it ended meanwhile; the loop checks
    /// and pauses. (A run that ended and was followed by the next at once is paused a little early: harmless.)
    /// </summary>
    private void PauseDue(SlotCredit credit) => Post(() =>
    {
        if (credit.Holder is { } runner)
        {
            PauseOthers(runner);
        }
    });

    /// <summary>The slot's credit is held by <paramref name="runner"/> and its run lasts: its other idle links tell their brokers "paused".</summary>
    private void PauseOthers(Slot runner)
    {
        var credit = runner.Credit;
        if (!credit.Shared)
        {
            return;
        }

        foreach (var link in credit.Links)
        {
            if (link != runner)
            {
                Pause(link);
            }
        }
    }

    /// <summary>A link that has just said READY while its slot runs a request: it says "paused" at once.</summary>
    private void PauseIfTaken(Slot link)
    {
        if (link.Credit.Shared && link.Credit.Holder is not null)
        {
            Pause(link);
        }
    }

    private void Pause(Slot link)
    {
        if (!link.Paused && link.Link is not null && link.State == SlotState.Idle
            && Send(link, Heartbeat(HeartbeatFlag.Paused), "HEARTBEAT paused"))
        {
            link.Paused = true;
        }
    }

    /// <summary>
    /// The holder's handler has returned (its reply is sent, or it was abandoned): the slot runs the request that waited
    /// longest for it, if any; otherwise its paused links say "ready".
    /// </summary>
    private void Release(SlotCredit credit)
    {
        credit.Holder = null;
        while (credit.Waiting.Count > 0)
        {
            var (link, message) = credit.Waiting[0];
            credit.Waiting.RemoveAt(0);
            if (link.State == SlotState.Busy && link.Link is not null && MdpWorker.TryReadEnvelope(new ListFrames(message), Mdp.Request, out var request))
            {
                Run(link, request, message);
                return;
            }
        }

        foreach (var link in credit.Links)
        {
            if (link.Paused && link.Link is not null && link.State == SlotState.Idle
                && Send(link, Heartbeat(HeartbeatFlag.Ready), "HEARTBEAT ready"))
            {
                link.Paused = false;
            }
        }
    }

    private static List<byte[]> Heartbeat(HeartbeatFlag flag)
    {
        var message = new List<byte[]>(4);
        MdpWorker.WriteHeartbeat(new FrameListWriter(message), flag);
        return message;
    }
}
