namespace ZmqGame.Broker.Sessions;

/// <summary>How the broker answers a client HEARTBEAT.</summary>
internal enum HeartbeatAnswer
{
    Heartbeat,
    NoSession,
}
