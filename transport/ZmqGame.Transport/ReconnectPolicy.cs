using Polly;
using Polly.Retry;

namespace ZmqGame.Transport;

/// <summary>
/// The reconnect backoff of a connection to the broker, as a Polly retry pipeline: exponential with jitter, from
/// <c>delayMin</c> up to <c>delayMax</c> (the programs' <c>ReconnectDelayMin</c>/<c>ReconnectDelayMax</c>), unbounded
/// attempts. One execution covers one outage: each attempt returns its result, and the pipeline waits and retries
/// while <c>retryWhen</c> says so. An attempt that throws is not retried (the exception ends the execution), nor is a
/// cancelled one.
/// </summary>
internal static class ReconnectPolicy
{
    /// <summary>Attempts return true once the broker answered, false to wait and retry (the worker's slots).</summary>
    public static ResiliencePipeline<bool> Create(
        TimeSpan delayMin, TimeSpan delayMax, TimeProvider timeProvider, Func<OnRetryArguments<bool>, ValueTask>? onRetry = null) =>
        Create(delayMin, delayMax, timeProvider, static answered => !answered, onRetry);

    /// <summary>Attempts return a <typeparamref name="T"/>; the pipeline retries while <paramref name="retryWhen"/> is true of it
    /// (the client: a new link, or null to retry).</summary>
    public static ResiliencePipeline<T> Create<T>(
        TimeSpan delayMin, TimeSpan delayMax, TimeProvider timeProvider, Func<T, bool> retryWhen, Func<OnRetryArguments<T>, ValueTask>? onRetry = null)
    {
        var retry = new RetryStrategyOptions<T>
        {
            ShouldHandle = args => new ValueTask<bool>(args.Outcome.Exception is null && retryWhen(args.Outcome.Result!)),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            MaxRetryAttempts = int.MaxValue,
            Delay = delayMin,
            MaxDelay = delayMax,
            OnRetry = onRetry,
        };

        return new ResiliencePipelineBuilder<T> { TimeProvider = timeProvider }
            .AddRetry(retry)
            .Build();
    }
}
