using System.Collections.Concurrent;
using ZmqGame.Client;
using ZmqGame.Protocol;
using ZmqGame.Worker.Host;

namespace ZmqGame.Tests.Chaos;

/// <summary>
/// A steady closed-loop load for chaos tests: each client keeps one request in flight and every
/// request is counted by how it ended (ok, each error status, connection lost), so a test can
/// assert that none went unanswered.
/// </summary>
internal sealed class SteadyLoad : IAsyncDisposable
{
    private readonly List<ZmqGameClient> _clients = [];
    private readonly List<Task> _loops = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, int> _outcomes = new();
    private readonly TimeSpan _requestTimeout;
    private readonly SemaphoreSlim _answered = new(0);
    private long _sent;
    private long _ended;
    private long _ok;

    private SteadyLoad(TimeSpan requestTimeout)
    {
        _requestTimeout = requestTimeout;
    }

    public long Sent => Interlocked.Read(ref _sent);

    public long Ok => Interlocked.Read(ref _ok);

    /// <summary>Requests that ended in anything but ok, by status ("WorkerLost", "Timeout/connection lost", …).</summary>
    public IReadOnlyDictionary<string, int> Errors => new Dictionary<string, int>(_outcomes);

    public long ErrorCount => _outcomes.Values.Sum();

    /// <summary>Starts <paramref name="clients"/> clients, each looping one game Sleep request of <paramref name="sleepMs"/>.</summary>
    public static async Task<SteadyLoad> StartAsync(string frontend, int clients, int sleepMs, TimeSpan requestTimeout, ZmqGameClientOptions? options = null)
    {
        var load = new SteadyLoad(requestTimeout);
        for (var i = 0; i < clients; i++)
        {
            load._clients.Add(await ZmqGameClient.ConnectAsync(frontend, options));
        }

        foreach (var client in load._clients)
        {
            load._loops.Add(Task.Run(() => load.LoopAsync(client, sleepMs)));
        }

        return load;
    }

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
        var all = Task.WhenAll(_loops);
        await Task.WhenAny(all, Task.Delay(_requestTimeout + TimeSpan.FromSeconds(10)));
        return Sent - Interlocked.Read(ref _ended);
    }

    public string Describe() =>
        $"sent {Sent}, ok {Ok}, errors {{{string.Join(", ", _outcomes.Select(kv => $"{kv.Key}: {kv.Value}"))}}}";

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }

        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }

        _stop.Dispose();
        _answered.Dispose();
    }

    private async Task LoopAsync(ZmqGameClient client, int sleepMs)
    {
        while (!_stop.IsCancellationRequested)
        {
            Interlocked.Increment(ref _sent);
            try
            {
                // No cancellation token: a request that was sent is always followed to its end.
                await client.RequestAsync<SleepRequest, SleepReply>("game", GameCommands.Sleep, new SleepRequest(sleepMs), _requestTimeout);
                Interlocked.Increment(ref _ok);
                _answered.Release();
            }
            catch (ZmqGameRequestException ex)
            {
                _outcomes.AddOrUpdate(ex.ConnectionLost ? $"{ex.Status}/connection lost" : ex.Status.ToString(), 1, (_, n) => n + 1);
            }
            catch (Exception ex)
            {
                _outcomes.AddOrUpdate(ex.GetType().Name, 1, (_, n) => n + 1);
            }
            finally
            {
                Interlocked.Increment(ref _ended);
            }
        }
    }
}
