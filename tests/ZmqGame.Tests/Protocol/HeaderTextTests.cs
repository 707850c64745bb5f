using System.Text;
using ZmqGame.Protocol;

namespace ZmqGame.Tests.Protocol;

[TestFixture]
public sealed class HeaderTextTests
{
    [Test]
    public void HeaderText_IsTheHeaderFrameAsAscii()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Encoding.ASCII.GetBytes(ZgClient.HeaderText), Is.EqualTo(ZgClient.Header.ToArray()));
            Assert.That(Encoding.ASCII.GetBytes(ZgWorker.HeaderText), Is.EqualTo(ZgWorker.Header.ToArray()));
            Assert.That(Encoding.ASCII.GetBytes(Control.HeaderText), Is.EqualTo(Control.Header.ToArray()));
            Assert.That(Encoding.ASCII.GetBytes(MdpWorker.HeaderText), Is.EqualTo(Mdp.WorkerHeader.ToArray()));
        });
    }

    [Test]
    public void ZgClientHasHeader_IsTrueWhateverTheCommandFrame_AndFalseForAnotherProtocol()
    {
        Assert.Multiple(() =>
        {
            Assert.That(ZgClient.HasHeader(new ListFrames([[], "ZGC01"u8.ToArray(), [1, 2]])), Is.True, "a bad command is still ZGC01");
            Assert.That(ZgClient.TryReadCommand(new ListFrames([[], "ZGC01"u8.ToArray(), [1, 2]]), out _), Is.False);
            Assert.That(ZgClient.HasHeader(new ListFrames([[], "MDPC01"u8.ToArray(), [1]])), Is.False);
            Assert.That(ZgClient.HasHeader(new ListFrames([[0], "ZGC01"u8.ToArray(), [1]])), Is.False, "no delimiter");
            Assert.That(ZgClient.HasHeader(new ListFrames([[]])), Is.False);
        });
    }
}
