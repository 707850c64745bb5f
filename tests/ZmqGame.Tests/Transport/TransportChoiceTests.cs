using ZmqGame.Transport;

namespace ZmqGame.Tests.Transport;

/// <summary>The one rule that puts an endpoint on the own transport or on NetMQ, and the factory that follows it.</summary>
[TestFixture]
public sealed class TransportChoiceTests
{
    private static bool OwnPossible => OperatingSystem.IsLinux() && !TransportChoice.NetMqForced;

    [Test]
    public void UsesOwnTransport_TcpWithoutCurve_OnLinuxUnlessNetMqForced()
    {
        Assert.That(TransportChoice.UsesOwnTransport("tcp://127.0.0.1:5555", curve: false), Is.EqualTo(OwnPossible));
        Assert.That(Native.Supported, Is.EqualTo(OperatingSystem.IsLinux()), "epoll exists on Linux only");
    }

    [TestCase("tcp://127.0.0.1:5555", true)]
    [TestCase("inproc://broker", false)]
    [TestCase("ipc:///tmp/broker", false)]
    public void UsesOwnTransport_CurveOrOtherTransports_NetMq(string endpoint, bool curve)
    {
        Assert.That(TransportChoice.UsesOwnTransport(endpoint, curve), Is.False);
    }

    [Test]
    public void NetMqForced_FollowsTheEnvironment()
    {
        var forced = string.Equals(Environment.GetEnvironmentVariable("ZMQGAME_TRANSPORT"), "netmq", StringComparison.OrdinalIgnoreCase);
        Assert.That(TransportChoice.NetMqForced, Is.EqualTo(forced));
    }

    [Test]
    public void Create_FollowsTheRule()
    {
        using var tcp = ConnectionLoop.Create("tcp://127.0.0.1:5555", new DealerOptions(), _ => { });
        using var curve = ConnectionLoop.Create("tcp://127.0.0.1:5555", new DealerOptions { CurveServerKey = new byte[32] }, _ => { });
        using var inproc = ConnectionLoop.Create("inproc://broker", new DealerOptions(), _ => { });

        Assert.Multiple(() =>
        {
            Assert.That(tcp, OwnPossible ? Is.InstanceOf<ZmtpConnectionLoop>() : Is.InstanceOf<NetMqConnectionLoop>());
            Assert.That(curve, Is.InstanceOf<NetMqConnectionLoop>());
            Assert.That(inproc, Is.InstanceOf<NetMqConnectionLoop>());
        });
    }
}
