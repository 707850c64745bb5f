using System.Text;
using ZmqGame.Broker.Sessions;
using ZmqGame.Protocol;
using ZmqGame.Transport;

namespace ZmqGame.Broker.Endpoints;

/// <summary>
/// A session action as the backend (ZGW01, from a ZmqGame worker) and the control endpoint (ZGT01, from the trigger)
/// both carry it: [peer][""][header][action][arguments][payload…].
/// </summary>
internal static class SessionActionFrames
{
    /// <summary>Decodes the action in <paramref name="f"/> and runs it on <paramref name="sessions"/>.</summary>
    public static ActionResult Execute(FrameBuffer f, SessionManager sessions, bool fromControl)
    {
        var action = Encoding.ASCII.GetString(f.Span(3));
        if (f.Count < 5)
        {
            return new ActionResult { Error = "missing arguments frame" };
        }

        if (!ActionArgs.TryParse(f.Span(4).ToArray(), out var args, out var error))
        {
            return new ActionResult { Error = error };
        }

        var payload = new byte[f.Count - 5][];
        for (var i = 5; i < f.Count; i++)
        {
            payload[i - 5] = f.Span(i).ToArray();
        }

        return sessions.Execute(action, args, payload, fromControl);
    }
}
