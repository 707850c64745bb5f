using ZmqGame.Protocol;

namespace ZmqGame.Worker.Internal;

/// <summary>Events the broker sends a slot (client connected / closed, trigger events), on the I/O thread.</summary>
internal sealed partial class WorkerEngine
{
    /// <summary>An event: [event header][session frame][payload]. Answered (empty REPLY) once its hooks or handler ran.</summary>
    private void OnEvent(Slot slot, int generation, EventHeader header, byte[][] body)
    {
        var service = slot.Service;
        Interlocked.Increment(ref _counters.Events);
        if (body.Length < 2 || body.Length > 3 || !SessionContext.TryRead(body[1], out var context))
        {
            Interlocked.Increment(ref _counters.BadEvents);
            Log.BadEvent(_logger, service.Name, body.Length < 2 || body.Length > 3
                ? $"{body.Length} body frames, expected event header, session frame and payload"
                : "malformed session frame");
            Complete(slot, generation, []);
            return;
        }

        var session = SessionInfo.From(context);
        var payload = body.Length == 3 ? body[2] : [];
        switch (header.Type)
        {
            case SessionEventType.Connected or SessionEventType.Closed:
                var closed = header.Type == SessionEventType.Closed;
                var hooks = closed ? service.Closed : service.Connected;
                if (hooks.Length == 0)
                {
                    Complete(slot, generation, []);
                    return;
                }

                var e = new ClientEvent(
                    service.Name,
                    session,
                    closed ? header.Reason : null,
                    closed ? Payload.ErrorText(payload) : null,
                    slot.Sender);
                Dispatch(slot, EventWork.ForClient(this, slot, generation, _logger, _counters, e, hooks));
                break;
            default:
                if (!service.EventRoutes.TryGetValue(header.Command, out var route))
                {
                    Interlocked.Increment(ref _counters.UnknownEvents);
                    if (service.UnknownEventsLogged.Add(header.Command))
                    {
                        Log.UnknownEvent(_logger, service.Name, header.Command);
                    }

                    Complete(slot, generation, []);
                    return;
                }

                Dispatch(slot, EventWork.ForTrigger(this, slot, generation, _logger, _counters, route, new TriggerEvent(service.Name, header.Command, slot.Sender), payload));
                break;
        }
    }
}
