using ZmqGame.Broker.Endpoints;
using ZmqGame.Broker.Sessions;
using ZmqGame.Protocol;

namespace ZmqGame.Broker;

/// <summary>
/// What the sessions are wired to: pushes and commands go out through the frontend endpoint; events go straight to the
/// dispatcher as pooled requests (whose release tells the sessions, see <see cref="RequestPool.EventDone"/>).
/// </summary>
internal sealed class SessionOutput(FrontendEndpoint frontend, Dispatcher dispatcher, RequestPool pool) : ISessionOutput
{
    public bool TrySendToClient(byte[] identity, OutboundMessage message) => frontend.TrySendToClient(identity, message);

    public void SubmitEvent(byte[] service, in EventHeader header, byte[] sessionFrame, byte[] payload, Session? session) =>
        dispatcher.SubmitEvent(service, pool.RentEvent(header, sessionFrame, payload, session));
}
