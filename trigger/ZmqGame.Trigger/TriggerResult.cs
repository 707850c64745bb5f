namespace ZmqGame.Trigger;

/// <summary>What a session action reached, as the broker counted it.</summary>
/// <param name="Sessions">Sessions reached: pushes queued, sessions kicked, sessions that joined or left; 1 for a queued worker event.</param>
/// <param name="Dropped">Pushes dropped because the session's outbound queue was full.</param>
public sealed record TriggerResult(int Sessions, int Dropped)
{
    /// <summary>
    /// A worker event: the workers of the service registered when the broker queued it. 0 means no worker got it yet
    /// (it waits for one until its deadline); null for other actions and from brokers that do not say.
    /// </summary>
    public int? Workers { get; init; }
}
