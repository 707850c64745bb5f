using System.Collections.Concurrent;
using ZmqGame.Client;

namespace ZmqGame.Tests.EndToEnd;

/// <summary>
/// Clients of a <see cref="BrokerCluster"/>, each logged in as its own user in its own group, each keeping one request
/// in flight on the idempotent route and one on the other: every request is counted by how it ended (ok, each error
/// status, anything else) per route, so a test can assert that none went unanswered and which ones failed.
/// </summary>
internal sealed class FailoverLoad : IAsyncDisposable
{
    private readonly List<Task> _loops = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, int> _errors = new();
    private readonly ConcurrentDictionary<string, int> _oks = new();
    private readonly SemaphoreSlim _answered = new(0);
    private readonly TimeSpan _requestTimeout = TimeSpan.FromSeconds(10);
    private long _sent;
    private long _ended;
    private long _ok;

    private FailoverLoad(IReadOnlyList<ZmqGameClient> clients) => Clients = clients;

    public IReadOnlyList<ZmqGameClient> Clients { get; }

    public long Ok => Interlocked.Read(ref _ok);

    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Requests of one route ("idempotent", "once") answered ok.</summary>
    public int OkOf(string route) => _oks.GetValueOrDefault(route);

    /// <summary>Requests that ended in anything but ok, by "route/status" ("once/BrokerLost", "idempotent/Timeout", …).</summary>
    public IReadOnlyDictionary<string, int> Errors => new Dictionary<string, int>(_errors);

    /// <summary>Fast liveness (300 ms) and reconnects, so that a lost broker is noticed within the test's patience.</summary>
    public static ZmqGameClientOptions Options() => new()
    {
        HeartbeatInterval = TimeSpan.FromMilliseconds(100),
        Liveness = 3,
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
            load._loops.Add(Task.Run(() => load.LoopAsync(client, FailoverRoutes.Idempotent, "idempotent", workMs)));
            load._loops.Add(Task.Run(() => load.LoopAsync(client, FailoverRoutes.Once, "once", workMs)));
        }

        return load;
    }

    public static string UserOf(int client) => "user" + client;

    /// <summary>Waits until <paramref name="count"/> more requests have been answered ok.</summary>
    public async Task WaitForOkAsync(long count, TimeSpan timeout)
    {
        var target = Ok + count;
        var deadline = DateTime.UtcNow + timeout;
        while (Ok < target)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !await _answered.WaitAsync(left))
            {
                Assert.Fail($"load stalled: {Ok - (target - count)} of {count} ok answers in {timeout}; {Describe()}");
            }
        }
    }

    /// <summary>Stops sending, waits for every request in flight to end, and returns how many never ended.</summary>
    public async Task<long> StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAny(Task.WhenAll(_loops), Task.Delay(_requestTimeout + TimeSpan.FromSeconds(10)));
        return Sent - Interlocked.Read(ref _ended);
    }

    public string Describe() =>
        $"sent {Sent}, ok {Ok}, errors {{{string.Join(", ", _errors.Select(kv => $"{kv.Key}: {kv.Value}"))}}}, clients at {string.Join(" ", Clients.Select(c => c.Endpoint))}";

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }

        foreach (var client in Clients)
        {
            await client.DisposeAsync();
        }

        _stop.Dispose();
        _answered.Dispose();
    }

    private async Task LoopAsync(ZmqGameClient client, int command, string route, int workMs)
    {
        var seq = 0L;
        while (!_stop.IsCancellationRequested)
        {
            Interlocked.Increment(ref _sent);
            try
            {
                // No cancellation token: a request that was sent is always followed to its end.
                var work = new FailoverRoutes.Work(workMs, ++seq);
                var reply = await client.RequestAsync<FailoverRoutes.Work, FailoverRoutes.Work>("game", command, work, _requestTimeout);
                if (reply != work)
                {
                    _errors.AddOrUpdate(route + "/wrong reply", 1, (_, n) => n + 1);
                    continue;
                }

                _oks.AddOrUpdate(route, 1, (_, n) => n + 1);
                Interlocked.Increment(ref _ok);
                _answered.Release();
            }
            catch (ZmqGameRequestException ex)
            {
                _errors.AddOrUpdate($"{route}/{ex.Status}", 1, (_, n) => n + 1);
            }
            catch (Exception ex)
            {
                _errors.AddOrUpdate($"{route}/{ex.GetType().Name}", 1, (_, n) => n + 1);
            }
            finally
            {
                Interlocked.Increment(ref _ended);
            }
        }
    }
}
