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
}
