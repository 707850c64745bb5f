using Microsoft.Extensions.Logging;
using Polly;
using ZmqGame.Transport;

namespace ZmqGame.Client.Internal;

/// <summary>
/// The connection loop (thread pool): asks the I/O thread to open a connection to one of the brokers, waits until the
/// broker answers on it or it closes, and when it closes opens the next. The first broker is chosen at random; after a
/// lost broker (or a MOVE) the next is another one chosen at random, so the clients of a stopped broker spread over the
/// others; a broker that does not answer is followed by the next in the list. Only when every broker was tried once
/// without an answer does the loop wait, with the worker's backoff (<see cref="ReconnectPolicy"/>: exponential with
/// jitter, between <c>ReconnectDelayMin</c> and <c>ReconnectDelayMax</c>); an answered connection that dies is
/// followed at once.
/// </summary>
internal sealed class Reconnector
{
    private readonly IReadOnlyList<string> endpoints;
    private readonly ILogger logger;
    private readonly Action<Link> open;
    private readonly Action<Exception> onFailed;
    private readonly ResiliencePipeline<Link?> reopenPipeline;
    private readonly Random random = new(); // the loop's thread only
    private int current = -1;               // index of the broker tried last
    private Task loop = Task.CompletedTask;

    /// <summary>A loop over <paramref name="endpoints"/> that asks <paramref name="open"/> (which posts to the I/O thread)
    /// for each connection and tells <paramref name="onFailed"/> when it stops on an unexpected error.</summary>
    public Reconnector(IReadOnlyList<string> endpoints, ZmqGameClientOptions options, TimeProvider time, ILogger logger, Action<Link> open, Action<Exception> onFailed)
    {
        this.endpoints = endpoints;
        this.logger = logger;
        this.open = open;
        this.onFailed = onFailed;
        reopenPipeline = ReconnectPolicy.Create<Link?>(
            options.ReconnectDelayMin,
            options.ReconnectDelayMax,
            time,
            static l => l is null,
            args =>
            {
                Log.Reconnecting(logger, string.Join(",", this.endpoints), (long)args.RetryDelay.TotalMilliseconds, args.AttemptNumber + 1);
                return default;
            });
    }

    /// <summary>The loop; completes (or is cancelled) after <see cref="Start"/>'s token is cancelled.</summary>
    public Task Completion => loop;

    /// <summary>Starts the loop on the thread pool. Called once.</summary>
    public void Start(CancellationToken cancellationToken) => loop = Task.Run(() => RunAsync(cancellationToken), CancellationToken.None);

    /// <summary>
    /// The order of one round over <paramref name="count"/> brokers: at first from a random one on in list order; after
    /// broker <paramref name="last"/> (lost, left after a MOVE, or the last one tried), from a random other one on in list
    /// order, and <paramref name="last"/> itself at the very end. So a client that a lame duck asked to move tries every
    /// other broker before it, however slow they are to answer. A single broker: that one.
    /// </summary>
    internal static IEnumerable<int> RoundOrder(int last, int count, Random random)
    {
        if (last < 0 || count == 1)
        {
            var start = last < 0 ? random.Next(count) : 0;
            for (var i = 0; i < count; i++)
            {
                yield return (start + i) % count;
            }

            yield break;
        }

        var first = (last + 1 + random.Next(count - 1)) % count;
        for (var i = 0; i < count; i++)
        {
            var next = (first + i) % count;
            if (next != last)
            {
                yield return next;
            }
        }

        yield return last;
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var opened = await reopenPipeline.ExecuteAsync(
                    static (state, token) => state.TryEveryBrokerAsync(token), this, cancellationToken).ConfigureAwait(false);

                if (opened is null)
                {
                    continue;
                }

                using (cancellationToken.Register(static s => ((Link)s!).Abort(), opened))
                {
                    await opened.Closed.ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            Log.LoopFailed(logger, string.Join(",", endpoints), ex);
            onFailed(ex);
        }
    }

    /// <summary>One round: each broker once, in <see cref="RoundOrder"/>, until one answers (null: none did).</summary>
    private async ValueTask<Link?> TryEveryBrokerAsync(CancellationToken token)
    {
        foreach (var next in RoundOrder(current, endpoints.Count, random).ToArray())
        {
            current = next;
            var link = new Link(endpoints[current]);
            using (token.Register(static s => ((Link)s!).Abort(), link))
            {
                open(link);
                if (await link.Answered.ConfigureAwait(false))
                {
                    return link;
                }
            }
        }

        return null;
    }
}
