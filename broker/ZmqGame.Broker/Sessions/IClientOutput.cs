using ZmqGame.Protocol;

namespace ZmqGame.Broker.Sessions;

/// <summary>What the session layer sends to clients: the frontend endpoint frames it (<see cref="ZgClient"/>); tests record it.</summary>
internal interface IClientOutput
{
    /// <summary>Sends a session push or command to the client at <paramref name="identity"/>; false, with nothing sent, when the connection cannot take it now.</summary>
    bool TrySendToClient(byte[] identity, OutboundMessage message);
}
