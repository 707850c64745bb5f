using System.Text;
using Microsoft.Extensions.Configuration;
using ZmqGame.Broker;

namespace ZmqGame.Tests.Broker.Limits;

/// <summary>The abuse limits' settings: off by default, bound from appsettings keys and from the command line, checked.</summary>
[TestFixture]
public sealed class LimitsOptionsTests
{
    [Test]
    public void Defaults_EveryLimitIsOff()
    {
        var limits = new BrokerOptions().Limits;

        Assert.That(limits.SessionRequestsPerSecond, Is.Zero);
        Assert.That(limits.SessionRequestBurst, Is.Zero);
        Assert.That(limits.ConnectionsPerSecondPerIp, Is.Zero);
        Assert.That(limits.MaxConnectionsPerIp, Is.Zero);
        Assert.That(limits.LimitsConnections, Is.False);
    }

    [Test]
    public void Bind_FromAppsettingsJson()
    {
        var json = """
            { "Broker": { "Limits": { "SessionRequestsPerSecond": 50, "SessionRequestBurst": 100,
                                       "ConnectionsPerSecondPerIp": 20, "MaxConnectionsPerIp": 64 } } }
            """;
        var options = Bind(new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))));

        Assert.That(options.Limits.SessionRequestsPerSecond, Is.EqualTo(50));
        Assert.That(options.Limits.SessionRequestBurst, Is.EqualTo(100));
        Assert.That(options.Limits.ConnectionsPerSecondPerIp, Is.EqualTo(20));
        Assert.That(options.Limits.MaxConnectionsPerIp, Is.EqualTo(64));
        Assert.That(options.Validate, Throws.Nothing);
    }

    [Test]
    public void Bind_FromCommandLineOptions()
    {
        var args = BrokerCommandLine.Normalize(["--session-rps", "50", "--session-burst=100", "--ip-connections-per-second", "20", "--ip-max-connections", "64"]);
        var options = Bind(new ConfigurationBuilder().AddCommandLine(args, BrokerCommandLine.Switches));

        Assert.That(options.Limits.SessionRequestsPerSecond, Is.EqualTo(50));
        Assert.That(options.Limits.SessionRequestBurst, Is.EqualTo(100));
        Assert.That(options.Limits.ConnectionsPerSecondPerIp, Is.EqualTo(20));
        Assert.That(options.Limits.MaxConnectionsPerIp, Is.EqualTo(64));
    }

    [Test]
    public void Bind_BurstUnset_IsTheRate()
    {
        var options = Bind(new ConfigurationBuilder().AddCommandLine(BrokerCommandLine.Normalize(["--session-rps", "30"]), BrokerCommandLine.Switches));

        Assert.That(options.Limits.EffectiveBurst, Is.EqualTo(30));
    }

    [TestCase("--session-rps", "fast", "--session-rps: 'fast' is not a whole number")]
    [TestCase("--session-burst", "1.5", "--session-burst: '1.5' is not a whole number")]
    [TestCase("--ip-connections-per-second", "x", "--ip-connections-per-second: 'x' is not a whole number")]
    [TestCase("--ip-max-connections", "", "--ip-max-connections: '' is not a whole number")]
    public void Normalize_BadValue_ThrowsNamingTheOption(string option, string value, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => BrokerCommandLine.Normalize([option, value]))!;
        Assert.That(error.Message, Does.StartWith(message));
    }

    [Test]
    public void Validate_NegativeOrBurstWithoutRate_SaysWhich()
    {
        var negative = new BrokerOptions();
        negative.Limits.MaxConnectionsPerIp = -1;
        Assert.That(negative.Validate, Throws.ArgumentException.With.Message.Contains("MaxConnectionsPerIp"));

        var burstOnly = new BrokerOptions();
        burstOnly.Limits.SessionRequestBurst = 10;
        Assert.That(burstOnly.Validate, Throws.ArgumentException.With.Message.Contains("SessionRequestBurst needs Limits:SessionRequestsPerSecond"));
    }

    private static BrokerOptions Bind(IConfigurationBuilder builder) =>
        builder.Build().GetSection(BrokerOptions.Section).Get<BrokerOptions>() ?? new BrokerOptions();
}
