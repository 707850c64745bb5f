using ZmqGame.Transport;

namespace ZmqGame.Tests.Transport;

/// <summary>The reconnect backoff (<see cref="ReconnectPolicy"/>): jittered, capped, unbounded, cancellable.</summary>
[TestFixture]
public sealed class ReconnectPolicyTests
{
    [Test]
    public async Task ReconnectPolicy_DelaysAreJitteredAndCapped()
    {
        var delayMax = TimeSpan.FromMilliseconds(8);
        var delays = new List<TimeSpan>();
        var pipeline = ReconnectPolicy.Create(TimeSpan.FromMilliseconds(1), delayMax, TimeProvider.System, args =>
        {
            delays.Add(args.RetryDelay);
            return ValueTask.CompletedTask;
        });

        var attempts = 0;
        var ok = await pipeline.ExecuteAsync(_ => ValueTask.FromResult(++attempts > 8));

        Assert.That(ok, Is.True);
        Assert.That(delays, Has.Count.EqualTo(8), "every failed attempt waits, attempts are unbounded");
        Assert.That(delays.Min(), Is.GreaterThan(TimeSpan.Zero));
        Assert.That(delays.Max(), Is.LessThanOrEqualTo(delayMax), "capped at ReconnectDelayMax");
    }

    [Test]
    public void ReconnectPolicy_StopsWhenCancelled()
    {
        var pipeline = ReconnectPolicy.Create(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30), TimeProvider.System);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        Assert.That(async () => await pipeline.ExecuteAsync(_ => ValueTask.FromResult(false), cts.Token),
            Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task Create_OfResult_RetriesWhileRetryWhenHolds_AndNotOnAnException()
    {
        var pipeline = ReconnectPolicy.Create<string?>(
            TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(2), TimeProvider.System, static link => link is null);

        var attempts = 0;
        var link = await pipeline.ExecuteAsync(_ => ValueTask.FromResult(++attempts < 3 ? null : "open"));
        Assert.That((link, attempts), Is.EqualTo(("open", 3)));

        attempts = 0;
        Assert.That(
            async () => await pipeline.ExecuteAsync<string?>(_ => { attempts++; throw new InvalidOperationException("bad endpoint"); }),
            Throws.InvalidOperationException);
        Assert.That(attempts, Is.EqualTo(1), "an attempt that throws is not retried");
    }
}
