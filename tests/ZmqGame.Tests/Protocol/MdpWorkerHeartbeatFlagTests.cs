using ZmqGame.Protocol;

namespace ZmqGame.Tests.Protocol;

/// <summary>The ZmqGame flags of a worker's HEARTBEAT: draining, paused, ready.</summary>
[TestFixture]
public sealed class MdpWorkerHeartbeatFlagTests
{
    [TestCase(0, 3, null)]
    [TestCase(1, 4, "draining")]
    [TestCase(2, 4, "paused")]
    [TestCase(3, 4, "ready")]
    public void Heartbeat_WithFlag_RoundTrips(int flagValue, int frames, string? text)
    {
        var flag = (HeartbeatFlag)flagValue;
        var writer = new RecordingWriter();
        MdpWorker.WriteHeartbeat(writer, flag);

        writer.AssertWellFormed();
        Assert.That(writer.Frames, Has.Count.EqualTo(frames));
        Assert.That(MdpWorker.TryReadCommand(writer.Read, out var command), Is.True);
        Assert.That(command, Is.EqualTo(Mdp.Heartbeat));
        if (text is not null)
        {
            Assert.That(writer.Frames[3], Is.EqualTo(RecordingWriter.Ascii(text)));
        }

        Assert.That(MdpWorker.ReadHeartbeatFlag(writer.Read), Is.EqualTo(flag));
        Assert.That(MdpWorker.IsDraining(writer.Read), Is.EqualTo(flag == HeartbeatFlag.Draining));
    }

    [Test]
    public void ReadHeartbeatFlag_UnknownFlag_IsAPlainHeartbeat()
    {
        byte[][] frames = [[], "MDPW01"u8.ToArray(), [Mdp.Heartbeat], "sleepy"u8.ToArray()];

        Assert.That(MdpWorker.ReadHeartbeatFlag(new ListFrames(frames)), Is.EqualTo(HeartbeatFlag.None));
    }
}
