using Microsoft.Extensions.Logging;
using Polly;
using ZmqGame.Transport;
using ZmqGame.Transport.WebSocket;

namespace ZmqGame.Client.Internal;

/// <summary>
/// The connection loop (thread pool): asks the I/O thread to open a connection to one of the brokers, waits until the
/// broker answers on it or it closes, and when it closes opens the next. The first broker is chosen at random; after a
/// lost broker (or a MOVE) the next is another one chosen at random, so the clients of a stopped broker spread over the
/// others; a broker that does not answer is followed by the next in the list. Only when every broker was tried once
/// without an answer does the loop wait, with the worker's backoff (<see cref="ReconnectPolicy"/>: exponential with
/// jitter, between <c>ReconnectDelayMin</c> and <c>ReconnectDelayMax</c>); an answered connection that dies is
/// followed at once.
/// <para>
/// In a pumped client (<see cref="ZmqGameWebSocket.Pumped"/> when it was created, as in a WebGL player) the same loop
/// runs without a thread, a task or a timer: each <see cref="ZmqGameWebSocket.Pump"/> gives it a turn
/// (<see cref="PumpTurn"/>) that looks at the link being tried or held and at the clock, and moves on when it may.
/// </para>
/// </summary>
internal sealed class Reconnector : IPumped
{
    private readonly IReadOnlyList<string> endpoints;
    private readonly ILogger logger;
    private readonly Action<Link> open;
    private readonly Action<Exception> onFailed;
    private readonly ResiliencePipeline<Link?> reopenPipeline;
    private readonly Random random = new(); // the loop's thread only
    private readonly TimeProvider time;
    private readonly TimeSpan delayMin;
    private readonly TimeSpan delayMax;
    private readonly bool pumped;
    private int current = -1;               // index of the broker tried last
    private Task loop = Task.CompletedTask;

    // The pumped loop's state (pumping thread only): the round being tried, the link tried or held, the backoff.
    private TaskCompletionSource<bool>? pumpedDone;
    private CancellationToken pumpedToken;
    private Queue<int>? round;
    private Link? link;
    private bool linkAnswered;
    private int failedRounds;
    private long retryAt = long.MaxValue;

    /// <summary>A loop over <paramref name="endpoints"/> that asks <paramref name="open"/> (which posts to the I/O thread)
    /// for each connection and tells <paramref name="onFailed"/> when it stops on an unexpected error.</summary>
    public Reconnector(IReadOnlyList<string> endpoints, ZmqGameClientOptions options, TimeProvider time, ILogger logger, Action<Link> open, Action<Exception> onFailed)
    {
        this.endpoints = endpoints;
        this.logger = logger;
        this.open = open;
        this.onFailed = onFailed;
        this.time = time;
        delayMin = options.ReconnectDelayMin;
        delayMax = options.ReconnectDelayMax;
        pumped = ZmqGameWebSocket.Pumped;
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

    /// <summary>Starts the loop on the thread pool, or in the pump for a pumped client. Called once.</summary>
    public void Start(CancellationToken cancellationToken)
    {
        if (!pumped)
        {
            loop = Task.Run(() => RunAsync(cancellationToken), CancellationToken.None);
            return;
        }

        pumpedToken = cancellationToken;
        pumpedDone = new TaskCompletionSource<bool>();
        loop = pumpedDone.Task;
        ZmqGameWebSocket.AddPumped(this);
    }

    /// <summary>
    /// The pumped loop's turn: after a cancellation it ends (the link tried or held is aborted); a link tried that
    /// answered is held until it closes, then a new round starts at once; one that did not is followed by the next broker
    /// of the round; after a round without an answer the next waits for the backoff, checked against the clock here.
    /// </summary>
    public void PumpTurn()
    {
        try
        {
            if (pumpedToken.IsCancellationRequested)
            {
                EndPumped(null);
                return;
            }

            if (link is null)
            {
                if (time.GetTimestamp() >= retryAt || round is null)
                {
                    retryAt = long.MaxValue;
                    round = new Queue<int>(RoundOrder(current, endpoints.Count, random));
                    OpenNext();
                }

                return;
            }

            if (linkAnswered)
            {
                if (link.Closed.IsCompleted)
                {
                    // An answered connection died: the next round at once, its backoff from the start.
                    link = null;
                    failedRounds = 0;
                    round = new Queue<int>(RoundOrder(current, endpoints.Count, random));
                    OpenNext();
                }

                return;
            }

            var answered = link.Answered;
            if (!answered.IsCompleted)
            {
                return;
            }

            if (answered.IsFaulted)
            {
                EndPumped(answered.Exception!.InnerException ?? answered.Exception);
                return;
            }

            if (answered.Status == TaskStatus.RanToCompletion && answered.Result)
            {
                linkAnswered = true;
                return;
            }

            link = null;
            OpenNext();
        }
        catch (Exception ex)
        {
            EndPumped(ex);
        }
    }

    /// <summary>
    /// The pumped loop's wait after the <paramref name="failedRounds"/>th round in a row without an answer: exponential
    /// from <paramref name="min"/>, jittered (half to all of it), within <paramref name="min"/> and <paramref name="max"/>,
    /// as the threaded loop's retry pipeline.
    /// </summary>
    internal static TimeSpan Backoff(int failedRounds, TimeSpan min, TimeSpan max, Random random)
    {
        var exponential = min.TotalMilliseconds * Math.Pow(2, Math.Min(Math.Max(failedRounds - 1, 0), 30));
        var jittered = exponential * (0.5 + (random.NextDouble() / 2));
        return TimeSpan.FromMilliseconds(Math.Min(Math.Max(jittered, min.TotalMilliseconds), max.TotalMilliseconds));
    }

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

    /// <summary>The pumped loop opens the next broker of its round; after the last, it waits for the backoff.</summary>
    private void OpenNext()
    {
        if (round!.Count == 0)
        {
            failedRounds++;
            var delay = Backoff(failedRounds, delayMin, delayMax, random);
            Log.Reconnecting(logger, string.Join(",", endpoints), (long)delay.TotalMilliseconds, failedRounds);
            retryAt = time.GetTimestamp() + (long)(delay.TotalSeconds * time.TimestampFrequency);
            return;
        }

        current = round.Dequeue();
        link = new Link(endpoints[current]);
        linkAnswered = false;
        open(link);
    }

    /// <summary>The pumped loop ends: cancelled (<paramref name="failure"/> null) or on an unexpected error.</summary>
    private void EndPumped(Exception? failure)
    {
        ZmqGameWebSocket.RemovePumped(this);
        link?.Abort();
        link = null;
        if (failure is not null)
        {
            Log.LoopFailed(logger, string.Join(",", endpoints), failure);
            onFailed(failure);
        }

        pumpedDone!.TrySetResult(true);
    }
}
