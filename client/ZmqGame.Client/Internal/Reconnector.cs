using Microsoft.Extensions.Logging;
using Polly;
using ZmqGame.Transport;

namespace ZmqGame.Client.Internal;

/// <summary>
/// The connection loop (thread pool): asks the I/O thread to open a connection, waits until the broker answers on
/// it or it closes, and when it closes opens the next. Connections the broker never answered are retried with the
/// worker's backoff (<see cref="ReconnectPolicy"/>: exponential with jitter, between <c>ReconnectDelayMin</c> and
/// <c>ReconnectDelayMax</c>); an answered one that dies is reopened at once.
/// </summary>
internal sealed class Reconnector
{
    private readonly string endpoint;
    private readonly ILogger logger;
    private readonly Action<Link> open;
    private readonly Action<Exception> onFailed;
    private readonly ResiliencePipeline<Link?> reopenPipeline;
    private Task loop = Task.CompletedTask;

    /// <summary>A loop that asks <paramref name="open"/> (which posts to the I/O thread) for each connection and tells
    /// <paramref name="onFailed"/> when it stops on an unexpected error.</summary>
    public Reconnector(string endpoint, ZmqGameClientOptions options, TimeProvider time, ILogger logger, Action<Link> open, Action<Exception> onFailed)
    {
        this.endpoint = endpoint;
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
                Log.Reconnecting(logger, this.endpoint, (long)args.RetryDelay.TotalMilliseconds, args.AttemptNumber + 1);
                return default;
            });
    }

    /// <summary>The loop; completes (or is cancelled) after <see cref="Start"/>'s token is cancelled.</summary>
    public Task Completion => loop;

    /// <summary>Starts the loop on the thread pool. Called once.</summary>
    public void Start(CancellationToken cancellationToken) => loop = Task.Run(() => RunAsync(cancellationToken), CancellationToken.None);

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var opened = await reopenPipeline.ExecuteAsync(
                    static async (state, token) =>
                    {
                        var l = new Link();
                        using (token.Register(static s => ((Link)s!).Abort(), l))
                        {
                            state.open(l);
                            return await l.Answered.ConfigureAwait(false) ? l : null;
                        }
                    },
                    this,
                    cancellationToken).ConfigureAwait(false);

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
            Log.LoopFailed(logger, endpoint, ex);
            onFailed(ex);
        }
    }
}
