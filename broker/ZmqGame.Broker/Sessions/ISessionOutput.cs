using ZmqGame.Protocol;

namespace ZmqGame.Broker.Sessions;

/// <summary>What the session layer needs from the transport.</summary>
internal interface ISessionOutput
{
    /// <summary>Sends <c>[identity][""]["ZGC01"][command][frames…]</c>; false, with nothing sent, when the connection cannot take it now.</summary>
    bool TrySendToClient(byte[] identity, OutboundMessage message);

    /// <summary>Queues an event (connected, closed, trigger) for an idle ZmqGame worker of <paramref name="service"/>.</summary>
    void SubmitEvent(byte[] service, in EventHeader header, byte[] sessionFrame, byte[] payload, Session? session);
}
