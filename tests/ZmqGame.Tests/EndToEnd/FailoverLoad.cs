using System.Collections.Concurrent;
using ZmqGame.Client;
using ZmqGame.Tests.Support;

namespace ZmqGame.Tests.EndToEnd;

/// <summary>
/// Clients of a <see cref="BrokerCluster"/>, each logged in as its own user in its own group, each keeping one request
/// in flight on the idempotent route and one on the other: every request is counted by how it ended (ok, each error
/// status, anything else) per route, so a test can assert that none went unanswered and which ones failed.
/// </summary>
internal sealed class FailoverLoad : CountedLoad
{
    private readonly ConcurrentDictionary<string, int> _oks = new();

    private FailoverLoad(IReadOnlyList<ZmqGameClient> clients)
        : base(clients, TimeSpan.FromSeconds(10))
    {
    }

    /// <summary>Requests of one route ("idempotent", "once") answered ok.</summary>
    public int OkOf(string route) => _oks.GetValueOrDefault(route);

    /// <summary>
    /// Fast liveness (500 ms) and reconnects, so that a lost broker is noticed within the test's patience, yet a broker
    /// paused for a few hundred milliseconds (a busy 2-core machine running three brokers) is not taken for lost.
    /// </summary>
    public static ZmqGameClientOptions Options() => new()
    {
        HeartbeatInterval = TimeSpan.FromMilliseconds(100),
        Liveness = 5,
        ReconnectDelayMin = TimeSpan.FromMilliseconds(10),
        ReconnectDelayMax = TimeSpan.FromMilliseconds(200),
        ConnectTimeout = TimeSpan.FromSeconds(10),
    };

    /// <summary>Connects <paramref name="clients"/> clients to <paramref name="brokers"/>, logs each in (user<c>i</c>) and starts the loops.</summary>
    public static async Task<FailoverLoad> StartAsync(string brokers, int clients, int workMs)
    {
        var connected = new List<ZmqGameClient>();
        for (var i = 0; i < clients; i++)
        {
            var client = await ZmqGameClient.ConnectAsync(brokers, Options());
            connected.Add(client);
            await client.RequestAsync<FailoverRoutes.Name, FailoverRoutes.Name>("game", FailoverRoutes.Login, new FailoverRoutes.Name(UserOf(i)));
        }

        var load = new FailoverLoad(connected);
        foreach (var client in connected)
        {
            // Errors by "route/status" ("once/BrokerLost", "idempotent/Timeout", …).
            load.AddRoute(client, FailoverRoutes.Idempotent, "idempotent", workMs);
            load.AddRoute(client, FailoverRoutes.Once, "once", workMs);
        }

        return load;
    }

    public static string UserOf(int client) => "user" + client;

    public override string Describe() => $"{base.Describe()}, clients at {string.Join(" ", Clients.Select(c => c.Endpoint))}";

    private void AddRoute(ZmqGameClient client, int command, string route, int workMs)
    {
        var seq = 0L;
        AddLoop(
            async () =>
            {
                var work = new FailoverRoutes.Work(workMs, ++seq);
                var reply = await client.RequestAsync<FailoverRoutes.Work, FailoverRoutes.Work>("game", command, work, RequestTimeout);
                if (reply != work)
                {
                    return route + "/wrong reply";
                }

                _oks.AddOrUpdate(route, 1, (_, n) => n + 1);
                return null;
            },
            ex => ex is ZmqGameRequestException request ? $"{route}/{request.Status}" : $"{route}/{ex.GetType().Name}");
    }
}
