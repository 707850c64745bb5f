using Polly;
using ZmqGame.Tests.Support;
using ZmqGame.Worker;
using ZmqGame.Worker.Internal;

namespace ZmqGame.Tests.WorkerTests;

/// <summary>Options, liveness bookkeeping and reconnect backoff: no sockets.</summary>
[TestFixture]
public sealed class WorkerUnitTests
{
    [Test]
    public void Options_Defaults_MatchTheDocumentation()
    {
        var options = new WorkerOptions();

        Assert.Multiple(() =>
        {
            Assert.That(options.Broker, Is.EqualTo("tcp://localhost:5556"));
            Assert.That(options.Slots, Is.EqualTo(Environment.ProcessorCount));
            Assert.That(options.HeartbeatInterval, Is.EqualTo(TimeSpan.FromMilliseconds(2500)));
            Assert.That(options.Liveness, Is.EqualTo(3));
            Assert.That(options.ReconnectDelayMin, Is.EqualTo(TimeSpan.FromMilliseconds(250)));
            Assert.That(options.ReconnectDelayMax, Is.EqualTo(TimeSpan.FromSeconds(10)));
            Assert.That(options.ShutdownTimeout, Is.EqualTo(TimeSpan.FromSeconds(10)));
        });
        Assert.That(options.Validate, Throws.Nothing);
    }

    [Test]
    public void Options_Invalid_ThrowListingEveryProblem()
    {
        var options = new WorkerOptions
        {
            Broker = " ",
            Slots = 0,
            HeartbeatInterval = TimeSpan.Zero,
            Liveness = 0,
            ReconnectDelayMin = TimeSpan.FromSeconds(2),
            ReconnectDelayMax = TimeSpan.FromSeconds(1),
            ShutdownTimeout = TimeSpan.FromSeconds(-1),
        };

        var ex = Assert.Throws<ArgumentException>(options.Validate);
        foreach (var name in new[] { "Broker", "Slots", "HeartbeatInterval", "Liveness", "ReconnectDelayMax", "ShutdownTimeout" })
        {
            Assert.That(ex!.Message, Does.Contain(name));
        }

        Assert.That(() => WorkerApp.Create(options), Throws.ArgumentException);
    }

    [Test]
    public void Liveness_HeartbeatDueAfterIntervalOfSilence_BrokerDeadAfterIntervalTimesLiveness()
    {
        var clock = new ManualTimeProvider();
        var liveness = new SlotLiveness(clock, TimeSpan.FromSeconds(1), liveness: 3);

        clock.Advance(TimeSpan.FromMilliseconds(999));
        Assert.That(liveness.HeartbeatDue(), Is.False);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.That(liveness.HeartbeatDue(), Is.True);

        liveness.Sent();
        Assert.That(liveness.HeartbeatDue(), Is.False, "sending anything resets the heartbeat clock");

        clock.Advance(TimeSpan.FromMilliseconds(1999));
        Assert.That(liveness.BrokerSilent(), Is.False);
        liveness.Heard();
        clock.Advance(TimeSpan.FromMilliseconds(2999));
        Assert.That(liveness.BrokerSilent(), Is.False, "hearing anything resets the liveness clock");
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.That(liveness.BrokerSilent(), Is.True);
    }

    [Test]
    public async Task ReconnectPolicy_DelaysAreJitteredAndCapped()
    {
        var options = new WorkerOptions { ReconnectDelayMin = TimeSpan.FromMilliseconds(1), ReconnectDelayMax = TimeSpan.FromMilliseconds(8) };
        var delays = new List<TimeSpan>();
        var pipeline = ReconnectPolicy.Create(options, TimeProvider.System, args =>
        {
            delays.Add(args.RetryDelay);
            return ValueTask.CompletedTask;
        });

        var attempts = 0;
        var ok = await pipeline.ExecuteAsync(_ => ValueTask.FromResult(++attempts > 8));

        Assert.That(ok, Is.True);
        Assert.That(delays, Has.Count.EqualTo(8), "every failed attempt waits, attempts are unbounded");
        Assert.That(delays.Min(), Is.GreaterThan(TimeSpan.Zero));
        Assert.That(delays.Max(), Is.LessThanOrEqualTo(options.ReconnectDelayMax), "capped at ReconnectDelayMax");
    }

    [Test]
    public void ReconnectPolicy_StopsWhenCancelled()
    {
        var options = new WorkerOptions { ReconnectDelayMin = TimeSpan.FromSeconds(30), ReconnectDelayMax = TimeSpan.FromSeconds(30) };
        var pipeline = ReconnectPolicy.Create(options, TimeProvider.System);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        Assert.That(async () => await pipeline.ExecuteAsync(_ => ValueTask.FromResult(false), cts.Token),
            Throws.InstanceOf<OperationCanceledException>());
    }
}
