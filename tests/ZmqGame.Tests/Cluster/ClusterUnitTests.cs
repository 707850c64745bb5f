using System.Text;
using MessagePack;
using ZmqGame.Broker;
using ZmqGame.Broker.Cluster;
using ZmqGame.Protocol;

namespace ZmqGame.Tests.Cluster;

/// <summary>The cluster's settings, subject names, messages and stats section, without NATS.</summary>
[TestFixture]
public sealed class ClusterUnitTests
{
    [TestCase("room.1", "*")]
    [TestCase("a b>c", "ü")]
    public void Subjects_UserAndGroupNames_BecomeOneSafeToken(string group, string user)
    {
        var subjects = new ClusterSubjects("zmqgame", "b1");
        foreach (var subject in new[] { subjects.Group(group), subjects.User(user) })
        {
            var token = subject.Split('.')[^1];
            Assert.That(subject.Split('.'), Has.Length.EqualTo(3), subject);
            Assert.That(token, Does.Match("^[A-Za-z0-9_-]+$"), subject);
        }

        Assert.That(Encoding.UTF8.GetString(Convert.FromBase64String(ClusterSubjects.Token(group).Replace('-', '+').Replace('_', '/').PadRight((ClusterSubjects.Token(group).Length + 3) / 4 * 4, '='))), Is.EqualTo(group));
        Assert.That(subjects.User("a"), Is.Not.EqualTo(subjects.Group("a")));
    }

    [TestCase("http://x:4222", "is not a nats://host:port URL")]
    [TestCase("nats://a:4222,localhost:4222", "'localhost:4222' is not a nats://host:port URL")]
    public void Options_BadNatsUrl_IsRefusedNamingIt(string urls, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => new BrokerOptions { Cluster = new ClusterOptions { Nats = urls } }.Validate())!;
        Assert.That(error.Message, Does.Contain(message));
    }

    [TestCase("")]
    [TestCase("a.b")]
    [TestCase("x*")]
    public void Options_BadClusterName_IsRefused(string name)
    {
        var error = Assert.Throws<ArgumentException>(() => new ClusterOptions { Nats = "nats://a:4222", Name = name }.Validate())!;
        Assert.That(error.Message, Does.Contain("Cluster:Name"));
    }

    [Test]
    public void Options_NoCluster_IsTheDefault_AndValid()
    {
        var options = new BrokerOptions();
        Assert.That(options.Cluster.Enabled, Is.False);
        Assert.That(options.Cluster.Name, Is.EqualTo("zmqgame"));
        Assert.DoesNotThrow(options.Validate);
        Assert.DoesNotThrow(() => new ClusterOptions { Nats = "nats://a:4222, tls://b:4223" }.Validate());
    }

    [Test]
    public void CommandLine_ClusterOptions_MapToTheClusterSection()
    {
        var normalized = BrokerCommandLine.Normalize(["--cluster", "nats://a:4222,nats://b:4222", "--cluster-name", "eu"]);
        Assert.That(normalized, Is.EqualTo(new[] { "--cluster", "nats://a:4222,nats://b:4222", "--cluster-name", "eu" }));
        Assert.That(BrokerCommandLine.Switches["--cluster"], Is.EqualTo("Broker:Cluster:Nats"));
        Assert.That(BrokerCommandLine.Switches["--cluster-name"], Is.EqualTo("Broker:Cluster:Name"));
    }

    [Test]
    public void Message_RoundTrips_AndGarbageIsNull()
    {
        var message = new ClusterMessage
        {
            Kind = ClusterMessage.ActionKind,
            Id = ulong.MaxValue,
            From = "b1",
            Action = SessionActions.Push,
            Args = new ActionArgs { Groups = ["g"], Exclude = ["u"], Command = 7 },
            Payload = [[1, 2, 3]],
        };
        var read = ClusterMessage.TryParse(message.Serialize())!;
        Assert.That((read.Kind, read.Id, read.From, read.Action, read.Args!.Groups, read.Args.Exclude, read.Args.Command, read.Payload),
            Is.EqualTo((message.Kind, message.Id, "b1", "push", new[] { "g" }, new[] { "u" }, 7, new[] { new byte[] { 1, 2, 3 } })));
        Assert.That(ClusterMessage.TryParse([0xc1, 0x00]), Is.Null);
        Assert.That(ClusterMessage.TryParse(Encoding.UTF8.GetBytes("hello")), Is.Null);
    }

    [Test]
    public void StatsReport_ClusterSection_RoundTrips_AndTheTotalAddsUp()
    {
        StatsReport Broker(long sessions, long workers)
        {
            var report = new StatsReport();
            report.Counters["requests"] = sessions * 10;
            report.Gauges["sessions"] = sessions;
            report.Services["game"] = new ServiceReport { Workers = workers, Idle = workers };
            return report;
        }

        var local = Broker(1, 2);
        var cluster = new ClusterReport { Name = "zmqgame", Broker = "b1" };
        cluster.Brokers["b1"] = Broker(1, 2);
        cluster.Brokers["b2"] = Broker(3, 1);
        cluster.Total = ClusterReport.Sum(cluster.Brokers.Values);
        local.Cluster = cluster;

        var read = MessagePackSerializer.Deserialize<StatsReport>(MessagePackSerializer.Serialize(local, Payload.Options), Payload.Options)!;
        Assert.That(read.Gauges["sessions"], Is.EqualTo(1), "the top level stays the answering broker's own");
        Assert.That(read.Cluster!.Brokers.Keys, Is.EquivalentTo(new[] { "b1", "b2" }));
        Assert.That(read.Cluster.Total!.Gauges["sessions"], Is.EqualTo(4));
        Assert.That(read.Cluster.Total.Counters["requests"], Is.EqualTo(40));
        Assert.That(read.Cluster.Total.Services["game"].Workers, Is.EqualTo(3));
        Assert.That(read.Gauges.ContainsKey(StatsReport.ClusterKey), Is.False);

        var alone = MessagePackSerializer.Deserialize<Dictionary<string, object>>(MessagePackSerializer.Serialize(Broker(1, 1), Payload.Options), Payload.Options);
        Assert.That(alone.ContainsKey("cluster"), Is.False, "a broker without a cluster answers as before");
    }
}
