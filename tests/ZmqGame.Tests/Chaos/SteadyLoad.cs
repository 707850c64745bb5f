using ZmqGame.Client;
using ZmqGame.Tests.Support;
using ZmqGame.Worker.Host;

namespace ZmqGame.Tests.Chaos;

/// <summary>
/// A steady closed-loop load for chaos tests: each client keeps one request in flight and every
/// request is counted by how it ended (ok, each error status, connection lost), so a test can
/// assert that none went unanswered.
/// </summary>
internal sealed class SteadyLoad : CountedLoad
{
    private SteadyLoad(IReadOnlyList<ZmqGameClient> clients, TimeSpan requestTimeout)
        : base(clients, requestTimeout)
    {
    }

    /// <summary>Starts <paramref name="clients"/> clients, each looping one game Sleep request of <paramref name="sleepMs"/>.</summary>
    public static async Task<SteadyLoad> StartAsync(string frontend, int clients, int sleepMs, TimeSpan requestTimeout, ZmqGameClientOptions? options = null)
    {
        var connected = new List<ZmqGameClient>();
        for (var i = 0; i < clients; i++)
        {
            connected.Add(await ZmqGameClient.ConnectAsync(frontend, options));
        }

        var load = new SteadyLoad(connected, requestTimeout);
        foreach (var client in connected)
        {
            load.AddLoop(
                async () =>
                {
                    await client.RequestAsync<SleepRequest, SleepReply>("game", GameCommands.Sleep, new SleepRequest(sleepMs), load.RequestTimeout);
                    return null;
                },
                // Errors by status ("WorkerLost", "Timeout/connection lost", …).
                ex => ex is ZmqGameRequestException request
                    ? request.ConnectionLost ? $"{request.Status}/connection lost" : request.Status.ToString()
                    : ex.GetType().Name);
        }

        return load;
    }
}
