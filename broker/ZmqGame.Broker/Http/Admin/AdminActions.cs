using ZmqGame.Protocol;

namespace ZmqGame.Broker.Http.Admin;

/// <summary>
/// The console's actions, run on the broker's loop like the control endpoint's: kick and push are the trigger's session
/// actions (<see cref="Sessions.SessionManager.Execute"/>) and, in a cluster, reach every broker as the trigger's do
/// (answered with the cluster's sum); drain is <see cref="Dispatcher.DrainWorker"/>, on this broker's worker.
/// </summary>
internal static class AdminActions
{
    /// <summary>Runs session action <paramref name="action"/> here and, in a cluster, on every other broker.</summary>
    public static Task<ActionResult> SessionActionAsync(BrokerHost server, string action, ActionArgs args, byte[][] payload)
    {
        var done = new TaskCompletionSource<ActionResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.PostToLoop(() =>
        {
            try
            {
                var local = server.Sessions.Execute(action, args, payload, fromControl: true);
                if (local.Error is null && server.ClusterSessions is { } cluster)
                {
                    cluster.ActionForAll(action, args, payload, local, total => done.TrySetResult(total));
                }
                else
                {
                    done.TrySetResult(local);
                }
            }
            catch (Exception ex)
            {
                done.TrySetException(ex);
                throw;
            }
        });
        return done.Task;
    }

    /// <summary>Drains the worker whose identity is <paramref name="identity"/>; its service name comes back for the log.</summary>
    public static Task<(DrainOutcome Outcome, string? Service)> DrainAsync(BrokerHost server, byte[] identity) =>
        server.InvokeAsync(() =>
        {
            var service = server.Dispatcher.Workers.FirstOrDefault(w => w.Identity.AsSpan().SequenceEqual(identity))?.Service.NameText;
            return (server.Dispatcher.DrainWorker(identity), service);
        });
}
