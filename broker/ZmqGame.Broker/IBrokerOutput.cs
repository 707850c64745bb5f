using ZmqGame.Protocol;

namespace ZmqGame.Broker;

/// <summary>
/// What the dispatch logic asks of the transport. The NetMQ implementation frames and sends; tests
/// record the calls. Every method is non-blocking.
/// </summary>
internal interface IBrokerOutput
{
    /// <summary>Sends the request to the worker (moving its body frames). False if the worker cannot be reached now.</summary>
    bool SendRequest(Worker worker, PendingRequest request);

    /// <summary>Answers the request with a broker status (ZmqGame clients only; stock MDP clients get nothing).</summary>
    void SendStatus(PendingRequest request, Status status, string message);

    /// <summary>Sends a bare worker command (HEARTBEAT or DISCONNECT) to a backend peer.</summary>
    void SendWorkerCommand(ReadOnlySpan<byte> workerIdentity, byte command);

    /// <summary>Frees the request's remaining frames and returns it to the pool.</summary>
    void Release(PendingRequest request);
}
