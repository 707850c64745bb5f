namespace ZmqGame.Trigger;

/// <summary>What a session action reached, as the broker counted it.</summary>
/// <param name="Sessions">Sessions reached: pushes queued, sessions kicked, sessions that joined or left; 1 for a queued worker event.</param>
/// <param name="Dropped">Pushes dropped because the session's outbound queue was full.</param>
public sealed record TriggerResult(int Sessions, int Dropped);
