using ZmqGame.Protocol;

namespace ZmqGame.Worker;

/// <summary>
/// Thrown by a handler or a before hook to answer with a specific status (for example
/// <see cref="Status.NotAuthorised"/> or <see cref="Status.BadRequest"/>) and a short message for the client.
/// Error hooks do not run for it: it is an answer, not a failure.
/// </summary>
public sealed class RequestRejectedException : Exception
{
    public RequestRejectedException(Status status, string message)
        : base(message)
    {
        if (status == Status.Ok)
        {
            throw new ArgumentOutOfRangeException(nameof(status), "a rejection needs an error status");
        }

        Status = status;
    }

    /// <summary>The status of the reply.</summary>
    public Status Status { get; }
}
