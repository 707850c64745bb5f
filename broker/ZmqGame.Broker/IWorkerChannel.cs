namespace ZmqGame.Broker;

/// <summary>
/// What the <see cref="Dispatcher"/> sends to workers, one way: the backend endpoint frames and sends it; tests record
/// it. Every method is non-blocking.
/// </summary>
internal interface IWorkerChannel
{
    /// <summary>Sends the request to the worker (its body frames stay with the request). False if the worker cannot be reached now.</summary>
    bool SendRequest(Worker worker, PendingRequest request);

    /// <summary>Sends a bare worker command (HEARTBEAT or DISCONNECT) to a backend peer.</summary>
    void SendCommand(ReadOnlySpan<byte> workerIdentity, byte command);
}
