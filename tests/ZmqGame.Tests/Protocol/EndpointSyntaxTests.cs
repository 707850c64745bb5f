using ZmqGame.Protocol;

namespace ZmqGame.Tests.Protocol;

[TestFixture]
public sealed class EndpointSyntaxTests
{
    [TestCase("tcp://127.0.0.1:5555", false)]
    [TestCase("tcp://localhost:5555", false)]
    [TestCase("tcp://[::1]:5555", false)]
    [TestCase("tcp://*:5555", true)]
    [TestCase("tcp://0.0.0.0:0", true)]
    [TestCase("tcp://127.0.0.1:*", true)]
    [TestCase("ipc:///tmp/zmqgame.sock", false)]
    [TestCase("inproc://broker", true)]
    public void Problem_AcceptedEndpoint_IsNull(string endpoint, bool bind) =>
        Assert.That(EndpointSyntax.Problem(endpoint, bind), Is.Null);

    [TestCase("", true, "is empty")]
    [TestCase("tcp//x", true, "is not an endpoint")]
    [TestCase("localhost:5555", false, "is not an endpoint")]
    [TestCase("udp://127.0.0.1:5555", true, "udp://")]
    [TestCase("pgm://eth0;239.1.1.1:5555", false, "pgm://")]
    [TestCase("tcp://127.0.0.1", true, "no host:port")]
    [TestCase("tcp://:5555", true, "no host:port")]
    [TestCase("tcp://127.0.0.1:", false, "no host:port")]
    [TestCase("tcp://127.0.0.1:x", true, "no valid port")]
    [TestCase("tcp://127.0.0.1:-1", true, "no valid port")]
    [TestCase("tcp://127.0.0.1:65536", true, "no valid port")]
    [TestCase("tcp://127.0.0.1:0", false, "no valid port")]
    [TestCase("tcp://*:5555", false, "no host to connect to")]
    [TestCase("ipc://", false, "no path")]
    [TestCase("inproc://", true, "no name")]
    public void Problem_OtherText_SaysWhatIsWrong(string endpoint, bool bind, string problem) =>
        Assert.That(EndpointSyntax.Problem(endpoint, bind), Does.Contain(problem));

    [Test]
    public void Split_List_TrimsAndDropsEmptyAndRepeatedEntries() =>
        Assert.That(EndpointSyntax.Split(" tcp://a:1, ,tcp://b:2,tcp://a:1,"), Is.EqualTo(new[] { "tcp://a:1", "tcp://b:2" }));

    [TestCase("tcp://a:1,tcp://b:2")]
    [TestCase("tcp://a:1")]
    public void ListProblem_GoodList_IsNull(string list) => Assert.That(EndpointSyntax.ListProblem(list), Is.Null);

    [TestCase("", "is empty")]
    [TestCase(" , ", "is empty")]
    [TestCase("tcp://a:1,b:2", "entry 'b:2' that is not an endpoint")]
    [TestCase("tcp://*:1", "no host to connect to")]
    public void ListProblem_BadList_NamesTheBadEntry(string list, string problem) =>
        Assert.That(EndpointSyntax.ListProblem(list), Does.Contain(problem));
}
