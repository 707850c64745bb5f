using ZmqGame.Broker;

namespace ZmqGame.Tests.Broker;

[TestFixture]
public sealed class BoundEndpointTests
{
    [TestCase("tcp://0.0.0.0:0", "tcp://127.0.0.1:40123", "tcp://0.0.0.0:40123")]
    [TestCase("tcp://*:5555", "tcp://127.0.0.1:5555", "tcp://*:5555")]
    [TestCase("tcp://127.0.0.1:0", "tcp://127.0.0.1:40123", "tcp://127.0.0.1:40123")]
    [TestCase("tcp://[::]:0", "tcp://[::1]:40123", "tcp://[::]:40123")]
    [TestCase("tcp://10.1.2.3:7000", "tcp://10.1.2.3:7000", "tcp://10.1.2.3:7000")]
    [TestCase("inproc://broker-frontend", "inproc://broker-frontend", "inproc://broker-frontend")]
    public void Describe_ShowsTheConfiguredAddressWithTheChosenPort(string configured, string connectable, string expected)
    {
        Assert.That(BoundEndpoint.Describe(configured, connectable), Is.EqualTo(expected));
    }
}
