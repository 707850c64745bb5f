using ZmqGame.Protocol;

namespace ZmqGame.Client;

/// <summary>
/// A request ended without an <see cref="Status.Ok"/> reply: the worker or broker answered an error
/// status, or the client itself ended it (its deadline passed, or its connection was lost; both are
/// <see cref="Status.Timeout"/>: the outcome is unknown, and the request may be retried if it is idempotent).
/// </summary>
public sealed class ZmqGameRequestException : Exception
{
    public ZmqGameRequestException(Status status, string service, int command, string serverMessage)
        : this(status, service, command, serverMessage, connectionLost: false, inner: null)
    {
    }

    internal ZmqGameRequestException(Status status, string service, int command, string serverMessage, bool connectionLost, Exception? inner)
        : base(Describe(status, service, command, serverMessage), inner)
    {
        Status = status;
        Service = service;
        Command = command;
        ServerMessage = serverMessage;
        ConnectionLost = connectionLost;
    }

    /// <summary>How the request ended.</summary>
    public Status Status { get; }

    /// <summary>The service the request was sent to.</summary>
    public string Service { get; }

    /// <summary>The command id of the request.</summary>
    public int Command { get; }

    /// <summary>The text that came with the status (the reply payload), or the client's own explanation; may be empty.</summary>
    public string ServerMessage { get; }

    /// <summary>
    /// True when the request was in flight on a connection the client declared dead (no traffic from the broker for
    /// its liveness) and closed. <see cref="Status"/> is then <see cref="Status.Timeout"/>: the request may or may not
    /// have run. Requests sent after the reconnect use the new connection.
    /// </summary>
    public bool ConnectionLost { get; }

    /// <summary>Lower-case name of a status as used in messages, e.g. "no such route".</summary>
    public static string StatusName(Status status) => status switch
    {
        Status.Ok => "ok",
        Status.NoSuchRoute => "no such route",
        Status.HandlerFailed => "handler failed",
        Status.Timeout => "timeout",
        Status.WorkerLost => "worker lost",
        Status.Busy => "busy",
        Status.NotAuthorised => "not authorised",
        Status.BadRequest => "bad request",
        Status.NoSession => "no session",
        Status.TooLarge => "too large",
        Status.RateLimited => "rate limited",
        _ => $"status {(byte)status}",
    };

    private static string Describe(Status status, string service, int command, string serverMessage) =>
        string.IsNullOrEmpty(serverMessage)
            ? $"{StatusName(status)} (service {service}, cmd {command})"
            : $"{StatusName(status)} (service {service}, cmd {command}): {serverMessage}";
}
