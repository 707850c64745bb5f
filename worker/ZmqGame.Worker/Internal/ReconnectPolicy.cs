using Polly;
using Polly.Retry;

namespace ZmqGame.Worker.Internal;

/// <summary>
/// The reconnect backoff of a slot, as a Polly retry pipeline: exponential with jitter, from
/// <see cref="WorkerOptions.ReconnectDelayMin"/> up to <see cref="WorkerOptions.ReconnectDelayMax"/>, unbounded attempts.
/// One execution covers one outage: each attempt returns true once the broker answered, false to wait and retry.
/// </summary>
internal static class ReconnectPolicy
{
    public static ResiliencePipeline<bool> Create(WorkerOptions options, TimeProvider timeProvider, Func<OnRetryArguments<bool>, ValueTask>? onRetry = null)
    {
        var retry = new RetryStrategyOptions<bool>
        {
            ShouldHandle = static args => ValueTask.FromResult(args.Outcome.Exception is null && !args.Outcome.Result),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            MaxRetryAttempts = int.MaxValue,
            Delay = options.ReconnectDelayMin,
            MaxDelay = options.ReconnectDelayMax,
            OnRetry = onRetry,
        };

        return new ResiliencePipelineBuilder<bool> { TimeProvider = timeProvider }
            .AddRetry(retry)
            .Build();
    }
}
