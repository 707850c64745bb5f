using Microsoft.Extensions.Logging;
using ZmqGame.Transport;

namespace ZmqGame.Broker.Endpoints;

/// <summary>
/// What the broker's endpoints share: the ROUTER an endpoint answers through (attached once it is bound), and the
/// rule that a message or a peer-gone notice whose handling throws is logged and the loop goes on serving everyone
/// else. Loop thread only.
/// </summary>
internal abstract class Endpoint(ILogger logger) : IRouterHandler
{
    /// <summary>The bound ROUTER this endpoint sends through.</summary>
    protected IRouter Router { get; private set; } = null!;

    /// <summary>Sets the bound ROUTER (once, at start, before any message arrives).</summary>
    public void Attach(IRouter router) => Router = router;

    public void OnMessage(FrameBuffer message)
    {
        try
        {
            Handle(message);
        }
        catch (Exception ex)
        {
            BrokerLog.LoopError(logger, ex);
        }
    }

    public void OnPeerGone(ReadOnlySpan<byte> identity)
    {
        try
        {
            PeerGone(identity);
        }
        catch (Exception ex)
        {
            BrokerLog.LoopError(logger, ex);
        }
    }

    /// <summary>One received message: [identity][frames…].</summary>
    protected abstract void Handle(FrameBuffer message);

    /// <summary>The connection of the peer with this identity has closed.</summary>
    protected abstract void PeerGone(ReadOnlySpan<byte> identity);
}
