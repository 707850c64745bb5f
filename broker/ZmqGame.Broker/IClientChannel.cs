using ZmqGame.Protocol;
using ZmqGame.Transport;

namespace ZmqGame.Broker;

/// <summary>
/// What the <see cref="Dispatcher"/> sends to clients, one way: the frontend endpoint frames it for the protocol the
/// request came in with; tests record it. Every method is non-blocking.
/// </summary>
internal interface IClientChannel
{
    /// <summary>
    /// Forwards a worker's reply to the client of <paramref name="request"/>: the body is <paramref name="reply"/>'s
    /// frames from <paramref name="bodyAt"/> on (moved or copied out). An event's reply goes nowhere.
    /// </summary>
    void ForwardReply(Worker worker, PendingRequest request, FrameBuffer reply, int bodyAt);

    /// <summary>Answers the request with a broker status (ZmqGame clients only; stock MDP clients get nothing).</summary>
    void SendStatus(PendingRequest request, Status status, string message);
}
