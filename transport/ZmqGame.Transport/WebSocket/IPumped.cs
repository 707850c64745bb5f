namespace ZmqGame.Transport.WebSocket;

/// <summary>Something <see cref="ZmqGameWebSocket.Pump"/> gives a turn to on every call while it is registered (a
/// pumped connection loop, a pumped client's reconnect loop).</summary>
internal interface IPumped
{
    /// <summary>One turn on the pumping thread; returns at once.</summary>
    void PumpTurn();
}
