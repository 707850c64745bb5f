using ZmqGame.Worker.Host.Supervisor;

namespace ZmqGame.Tests.Supervisor;

[TestFixture]
public sealed class SupervisorArgumentsTests
{
    [Test]
    public void SplitArguments_ChildrenGetTheWorkerOptions_NotTheSupervisorOnes()
    {
        var (child, processes, supervisor) = SupervisorHost.SplitArguments(
            ["--processes", "3", "--broker", "tcp://b:1", "--control=tcp://c:2", "--slots", "2", "--Supervisor:DrainTimeout", "00:00:05", "--parent-pid", "9", "--service", "game"]);

        Assert.That(processes, Is.EqualTo("3"));
        Assert.That(child, Is.EqualTo(new[] { "--broker", "tcp://b:1", "--slots", "2", "--service", "game" }));
        Assert.That(supervisor, Is.EqualTo(new[] { "--control=tcp://c:2", "--Supervisor:DrainTimeout", "00:00:05", "--parent-pid", "9" }));
    }

    [Test]
    public void SplitArguments_ProcessesWithoutValue_MeansTheDefault()
    {
        var (child, processes, _) = SupervisorHost.SplitArguments(["--processes", "--broker", "tcp://b:1"]);

        Assert.That(processes, Is.Null);
        Assert.That(child, Is.EqualTo(new[] { "--broker", "tcp://b:1" }));
        Assert.That(SupervisorHost.IsRequested(["--processes=2"]), Is.True);
        Assert.That(SupervisorHost.IsRequested(["--slots", "2"]), Is.False);
    }

    [Test]
    public void ChildCommand_RunsTheSameBuildWithTheParentPid()
    {
        var command = SupervisorHost.ChildCommandFor(["--slots", "1"]);

        Assert.That(command.Arguments, Does.Contain("--parent-pid"));
        Assert.That(command.Arguments[^1], Is.EqualTo(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.That(command.Arguments, Does.Contain("--slots"));
    }

    [Test]
    public void ChildCommand_WorkerPath_IsRunAsGiven_NotThroughResolvedLinks()
    {
        var command = SupervisorHost.ChildCommandFor(["--slots", "1"], "/srv/zmqgame/current/ZmqGame.Worker.Host.dll");

        Assert.That(command.Arguments[0], Is.EqualTo("/srv/zmqgame/current/ZmqGame.Worker.Host.dll"));
        Assert.That(command.Arguments[1], Is.EqualTo("--slots"));
    }

    [Test]
    public void Options_Defaults_AreValid_AndBadValuesAreListed()
    {
        Assert.That(() => new SupervisorOptions().Validate(), Throws.Nothing);
        var bad = new SupervisorOptions { Processes = 0, RestartDelayMin = TimeSpan.Zero, ReadyTimeout = TimeSpan.Zero };
        Assert.That(() => bad.Validate(), Throws.ArgumentException.With.Message.Contains("Processes").And.Message.Contains("RestartDelayMin").And.Message.Contains("ReadyTimeout"));
    }

    [Test]
    public void BrokerStatsProbe_ReadsWorkersRegistered_AndRejectsGarbage()
    {
        var stats = MessagePack.MessagePackSerializer.Serialize(new Dictionary<string, object>
        {
            ["counters"] = new Dictionary<string, long> { ["workers_registered"] = 7, ["replies"] = 3 },
            ["workers"] = 2,
        });

        Assert.That(BrokerStatsProbe.Parse(stats), Is.EqualTo(7));
        Assert.That(BrokerStatsProbe.Parse([0xc1, 0x00]), Is.Null);
    }
}
