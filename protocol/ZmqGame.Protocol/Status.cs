namespace ZmqGame.Protocol;

/// <summary>How a request ended. Carried in every ZmqGame reply header (one byte on the wire).</summary>
public enum Status : byte
{
    /// <summary>The handler ran and replied.</summary>
    Ok = 0,
    /// <summary>The worker has no route for the command id.</summary>
    NoSuchRoute = 1,
    /// <summary>The handler threw; the payload holds a short message.</summary>
    HandlerFailed = 2,
    /// <summary>No worker took the request before its deadline (broker queue or client deadline).</summary>
    Timeout = 3,
    /// <summary>The worker holding the request vanished (crash, kill, network loss) before replying.</summary>
    WorkerLost = 4,
    /// <summary>The service's waiting queue is full; try again later.</summary>
    Busy = 5,
    /// <summary>The caller is not allowed to do this.</summary>
    NotAuthorised = 6,
    /// <summary>The request was malformed (header, service name or payload).</summary>
    BadRequest = 7,
    /// <summary>
    /// The request named a session its connection does not have (the broker restarted, or the connection changed): it
    /// did not run. The client library resumes its session and sends the request again; callers see it only if that
    /// cannot happen before the deadline.
    /// </summary>
    NoSession = 8,
    /// <summary>The request is larger than the broker's <c>MaxMessageSize</c>: it did not run.</summary>
    TooLarge = 9,
    /// <summary>The session sent requests faster than the broker's per-session rate limit allows: it did not run.</summary>
    RateLimited = 10,
    /// <summary>
    /// The broker the request was sent through was lost (it died, or stopped answering for the client's liveness
    /// window) before the reply came: the request may or may not have run. Set by the client library, never sent on
    /// the wire. A request on a route the caller marked idempotent is sent again on the next broker instead.
    /// </summary>
    BrokerLost = 11,
}
