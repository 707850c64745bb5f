using System.Text;
using ZmqGame.Broker.Sessions;
using ZmqGame.Protocol;

namespace ZmqGame.Broker.Endpoints;

/// <summary>
/// A session action as the backend (ZGW01, from a ZmqGame worker) and the control endpoint (ZGT01, from the trigger)
/// both carry it: the action, its arguments and its payload, where <see cref="ZgWorkerAction"/> says.
/// </summary>
internal static class SessionActionFrames
{
    /// <summary>Decodes the action in <paramref name="frames"/> (<see cref="ZgWorkerAction"/>'s layout) and runs it on <paramref name="sessions"/>.</summary>
    public static ActionResult Execute(in RoutedFrames frames, ZgWorkerAction action, SessionManager sessions, bool fromControl)
    {
        var name = Encoding.ASCII.GetString(frames[ZgWorker.ActionIndex]);
        if (!action.HasArguments)
        {
            return new ActionResult { Error = "missing arguments frame" };
        }

        if (!ActionArgs.TryParse(frames[ZgWorkerAction.ArgumentsIndex].ToArray(), out var args, out var error))
        {
            return new ActionResult { Error = error };
        }

        var payload = new byte[action.PayloadCount][];
        for (var i = 0; i < payload.Length; i++)
        {
            payload[i] = frames[ZgWorkerAction.PayloadStart + i].ToArray();
        }

        return sessions.Execute(name, args, payload, fromControl);
    }
}
