using System.Text;
using ZmqGame.Protocol;

namespace ZmqGame.Broker.Sessions;

/// <summary>
/// The session actions of workers (ZGW01) and the trigger (control endpoint): push, kick, bind, unbind, join, leave,
/// and (trigger only) an event for a worker.
/// </summary>
internal sealed partial class SessionManager
{
    /// <summary>When the last push began (a <see cref="System.Diagnostics.Stopwatch"/> timestamp; 0 before the first).</summary>
    public long LastPushStartedAt { get; private set; }

    /// <summary>How long the last push took to hand its copies to every targeted connection (or queue).</summary>
    public TimeSpan LastPushFanOut { get; private set; }

    /// <summary>
    /// A session action from a worker (ZGW01) or the trigger (control endpoint). <paramref name="payload"/> are the
    /// frames after the arguments. Never throws for bad arguments: the result carries the error.
    /// </summary>
    public ActionResult Execute(string action, ActionArgs args, byte[][] payload, bool fromControl)
    {
        _stats.Actions++;
        var result = action switch
        {
            SessionActions.Push => Push(args, payload),
            SessionActions.Kick => Kick(args),
            SessionActions.Bind => Bind(args),
            SessionActions.Unbind => Unbind(args),
            SessionActions.Join or SessionActions.Leave => JoinOrLeave(args, join: action == SessionActions.Join),
            SessionActions.WorkerEvent when fromControl => WorkerEvent(args, payload),
            _ => Error("unknown action " + action),
        };
        if (action != SessionActions.WorkerEvent)
        {
            ActionDone(action, args, payload, result, fromControl);
        }

        return result;
    }

    private static ActionResult Error(string text) => new() { Error = text };

    private ActionResult Push(ActionArgs args, byte[][] payload)
    {
        if (!args.HasTarget)
        {
            return Error("push needs a target: sessions, users, groups or all");
        }

        var frames = new byte[payload.Length + 1][];
        frames[0] = new PushHeader(args.Command).ToArray();
        payload.CopyTo(frames, 1);
        var message = new OutboundMessage(ZgClient.Push, frames);
        _stats.Pushes++;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        LastPushStartedAt = started;
        var result = new ActionResult();
        foreach (var session in _targets.Resolve(args))
        {
            if (_outbound.Deliver(session, message))
            {
                _stats.PushDeliveries++;
                result.Sessions++;
            }
            else
            {
                result.Dropped++;
            }
        }

        LastPushFanOut = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        return result;
    }

    private ActionResult Kick(ActionArgs args)
    {
        if (!args.HasTarget)
        {
            return Error("kick needs a target: sessions, users, groups or all");
        }

        var reason = string.IsNullOrEmpty(args.Reason) ? "kicked" : args.Reason!;
        var result = new ActionResult();
        _scratch.Clear();
        _scratch.AddRange(_targets.Resolve(args));
        foreach (var session in _scratch)
        {
            End(session, SessionCloseReason.Kicked, reason);
            result.Sessions++;
        }

        return result;
    }

    private ActionResult Bind(ActionArgs args)
    {
        if (!_registry.TryGetById(args.Session, out var session))
        {
            return Error($"no session {args.Session}");
        }

        if (!PushTarget.IsValidName(args.User))
        {
            return Error("bind needs a user id of 1 to 255 UTF-8 bytes");
        }

        var user = args.User!;
        if (_registry.TryGetByUser(user, out var older) && older != session)
        {
            End(older, SessionCloseReason.Replaced, $"user {user} logged in on another session");
        }

        if (session.UserId is { } previous && previous != user)
        {
            _registry.UnbindUser(previous);
        }

        session.SetUser(user);
        session.Flags = args.Flags;
        _registry.BindUser(user, session);
        SendWelcome(session, resumed: false);
        return new ActionResult { Sessions = 1 };
    }

    private ActionResult Unbind(ActionArgs args)
    {
        if (!_registry.TryGetById(args.Session, out var session))
        {
            return Error($"no session {args.Session}");
        }

        if (session.UserId is { } user)
        {
            _registry.UnbindUser(user);
            session.SetUser(null);
            session.Flags = 0;
            SendWelcome(session, resumed: false);
        }

        return new ActionResult { Sessions = 1 };
    }

    private ActionResult JoinOrLeave(ActionArgs args, bool join)
    {
        if (!PushTarget.IsValidName(args.Group))
        {
            return Error("join and leave need a group name of 1 to 255 UTF-8 bytes");
        }

        if (!args.HasTarget)
        {
            return Error("join and leave need a target: sessions, users, groups or all");
        }

        var group = args.Group!;
        var result = new ActionResult();
        _scratch.Clear();
        _scratch.AddRange(_targets.Resolve(args));
        foreach (var session in _scratch)
        {
            var changed = join ? _groups.Join(session, group) : _groups.Leave(session, group);
            if (changed)
            {
                result.Sessions++;
                SendWelcome(session, resumed: false);
            }
            else if (join && _groups.IsFullFor(session, group))
            {
                result.Dropped++;
            }
        }

        return result;
    }

    private ActionResult WorkerEvent(ActionArgs args, byte[][] payload)
    {
        if (args.Service is null || !Dispatcher.IsValidServiceName(Encoding.UTF8.GetBytes(args.Service)))
        {
            return Error("worker needs a service name of 1 to 255 bytes, not mmi.*");
        }

        if (payload.Length > 1)
        {
            return Error("worker takes one payload frame");
        }

        // Queued even when no worker is registered: one may join before the event's deadline (a deploy). The
        // result says how many are registered, so the trigger can tell that nobody got it yet.
        var service = Encoding.UTF8.GetBytes(args.Service);
        _events.Trigger(service, args.Command, payload.Length == 1 ? payload[0] : null);
        return new ActionResult { Sessions = 1, Workers = _dispatcher.WorkersOf(service) };
    }
}
