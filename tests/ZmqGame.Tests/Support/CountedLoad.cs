using System.Collections.Concurrent;
using ZmqGame.Client;

namespace ZmqGame.Tests.Support;

/// <summary>
/// A closed-loop load of ZmqGame clients in which every request is counted by how it ended: ok, or an error by name.
/// Each loop keeps one request in flight and follows every request it sent to its end, so a test can assert that none
/// went unanswered (<see cref="StopAsync"/>). The loads of the chaos and failover tests are made of it.
/// </summary>
internal abstract class CountedLoad : IAsyncDisposable
{
    private readonly List<Task> _loops = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, int> _errors = new();
    private readonly SemaphoreSlim _answered = new(0);
    private long _sent;
    private long _ended;
    private long _ok;

    protected CountedLoad(IReadOnlyList<ZmqGameClient> clients, TimeSpan requestTimeout)
    {
        Clients = clients;
        RequestTimeout = requestTimeout;
    }

    public IReadOnlyList<ZmqGameClient> Clients { get; }

    public long Sent => Interlocked.Read(ref _sent);

    public long Ok => Interlocked.Read(ref _ok);

    /// <summary>Requests that ended in anything but ok, by the name their loop gave the error.</summary>
    public IReadOnlyDictionary<string, int> Errors => new Dictionary<string, int>(_errors);

    public long ErrorCount => _errors.Values.Sum();

    /// <summary>How long each request may take.</summary>
    protected TimeSpan RequestTimeout { get; }

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
        await Task.WhenAny(Task.WhenAll(_loops), Task.Delay(RequestTimeout + TimeSpan.FromSeconds(10)));
        return Sent - Interlocked.Read(ref _ended);
    }

    public virtual string Describe() =>
        $"sent {Sent}, ok {Ok}, errors {{{string.Join(", ", _errors.Select(kv => $"{kv.Key}: {kv.Value}"))}}}";

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

    /// <summary>
    /// Starts a loop that calls <paramref name="send"/> until <see cref="StopAsync"/>: it returns null when the request
    /// ended ok, or the name of its error; an exception it throws is named by <paramref name="errorName"/>. A request
    /// that was sent is always followed to its end (give it no cancellation token).
    /// </summary>
    protected void AddLoop(Func<Task<string?>> send, Func<Exception, string> errorName) =>
        _loops.Add(Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                Interlocked.Increment(ref _sent);
                string? error;
                try
                {
                    error = await send();
                }
                catch (Exception ex)
                {
                    error = errorName(ex);
                }

                if (error is null)
                {
                    Interlocked.Increment(ref _ok);
                    _answered.Release();
                }
                else
                {
                    _errors.AddOrUpdate(error, 1, (_, n) => n + 1);
                }

                Interlocked.Increment(ref _ended);
            }
        }));
}
