using ZmqGame.Protocol;
using ZmqGame.Transport;

namespace ZmqGame.Broker.Endpoints;

/// <summary>
/// The codecs' output on a broker ROUTER, after <see cref="IRouter.TryBegin"/> has written the routing identity.
/// A struct over the router: codec calls are constrained generic calls, so nothing is boxed or allocated. Frames the
/// broker received and passes on (request and reply bodies) are moved with <see cref="Forward"/>, not copied.
/// </summary>
internal readonly struct RouterWriter : IFrameWriter
{
    private readonly IRouter _router;

    public RouterWriter(IRouter router) => _router = router;

    public void Write(ReadOnlySpan<byte> frame, bool more) => _router.Send(frame, more);

    public void WriteConstant(byte[] frame, bool more) => _router.SendConstant(frame, more);

    /// <summary>The next frame, taking a received frame's contents (it is left empty).</summary>
    public void Forward(ref Frame frame, bool more) => _router.Send(ref frame, more);
}
