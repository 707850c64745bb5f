namespace ZmqGame.Trigger;

/// <summary>Why a trigger command failed.</summary>
public enum TriggerFailure
{
    /// <summary>Nothing answered within the timeout: no broker at the endpoint, the wrong endpoint, or (with CURVE) the wrong server key. The command may or may not have run.</summary>
    NoAnswer,

    /// <summary>The broker answered <c>{"error": …}</c>: it refused the command or could not do it, and did nothing.</summary>
    Refused,

    /// <summary>The answer could not be read: the endpoint is probably not a ZmqGame control endpoint.</summary>
    MalformedAnswer,
}

/// <summary>A trigger command failed; <see cref="Exception.Message"/> says why in words, <see cref="Failure"/> in code.</summary>
public sealed class TriggerException : Exception
{
    internal TriggerException(TriggerFailure failure, string message, string? brokerError = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Failure = failure;
        BrokerError = brokerError;
    }

    /// <summary>What went wrong.</summary>
    public TriggerFailure Failure { get; }

    /// <summary>With <see cref="TriggerFailure.Refused"/>: the broker's own error text (e.g. "not authorised"); otherwise null.</summary>
    public string? BrokerError { get; }
}
