using ZmqGame.Tests.Support;
using ZmqGame.Worker;
using ZmqGame.Worker.Internal;

namespace ZmqGame.Tests.WorkerTests;

/// <summary>Options: no sockets. (Liveness bookkeeping and reconnect backoff: Transport/LivenessTests, ReconnectPolicyTests.)</summary>
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
}
