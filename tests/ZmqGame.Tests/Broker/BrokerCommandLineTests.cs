using ZmqGame.Broker;

namespace ZmqGame.Tests.Broker;

[TestFixture]
public sealed class BrokerCommandLineTests
{
    [Test]
    public void Normalize_PositionalEndpointsAndKnownOptions_BecomeSwitches()
    {
        var normalized = BrokerCommandLine.Normalize(["tcp://*:1", "tcp://*:2", "--request-timeout=5s", "--Broker:MaxSessions", "10"]);

        Assert.That(normalized, Is.EqualTo(new[] { "--request-timeout", "5s", "--Broker:MaxSessions", "10", "--frontend", "tcp://*:1", "--backend", "tcp://*:2" }));
    }

    [TestCase("--frontnd", "x", "unknown option --frontnd")]
    [TestCase("-f", "x", "unknown option -f")]
    [TestCase("--request-timeout", "5", "--request-timeout: '5' is not a duration")]
    [TestCase("--max-queued", "lots", "--max-queued: 'lots' is not a whole number")]
    public void Normalize_UnknownOptionOrBadValue_ThrowsNamingIt(string option, string value, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => BrokerCommandLine.Normalize([option, value]))!;
        Assert.That(error.Message, Does.StartWith(message));
    }

    [Test]
    public void Normalize_OptionWithoutValue_Throws()
    {
        Assert.That(() => BrokerCommandLine.Normalize(["--control"]), Throws.ArgumentException.With.Message.EqualTo("--control needs a value"));
    }
}
