using NetMQ;
using ZmqGame.Tests.Support;
using ZmqGame.Trigger;
using ZmqGame.Worker.Host.Supervisor;

namespace ZmqGame.Tests.Supervisor;

/// <summary>The supervisor's readiness probe against a broker whose control endpoint requires CURVE.</summary>
[TestFixture]
public sealed class BrokerStatsProbeTests
{
    [Test]
    public async Task Probe_WithAnAllowedTriggerKey_ReadsWorkersRegistered_AndWithoutKeysGetsNothing()
    {
        var server = new NetMQCertificate();
        var trigger = new NetMQCertificate();
        using var broker = new BrokerFixture(o =>
        {
            o.Security.ServerSecretKey = server.SecretKeyZ85!;
            o.Security.TriggerKeys = [trigger.PublicKeyZ85];
        });
        using var worker = await broker.RawWorkerAsync("game");

        var keyed = new BrokerStatsProbe(broker.Control, TimeSpan.FromSeconds(5), CurveKeys.FromZ85(server.PublicKeyZ85, trigger.SecretKeyZ85!));
        var plain = new BrokerStatsProbe(broker.Control, TimeSpan.FromMilliseconds(300));

        Assert.That(await keyed.WorkersRegisteredAsync(CancellationToken.None), Is.EqualTo(1));
        Assert.That(await plain.WorkersRegisteredAsync(CancellationToken.None), Is.Null);
    }

    [Test]
    public void Options_WithOnlyOneControlKey_AreRejected()
    {
        var options = new SupervisorOptions { ControlServerKey = new NetMQCertificate().PublicKeyZ85 };

        var error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.That(error!.Message, Does.Contain("both or neither"));
    }
}
