namespace ZmqGame.Trigger;

/// <summary>Settings of a <see cref="TriggerClient"/>.</summary>
public sealed class TriggerOptions
{
    /// <summary>How long one command waits for the broker's answer (including the <c>auth</c> exchange when it runs first). Default 5 s.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The broker's CURVE public key (Z85, 40 characters). Set it with <see cref="SecretKey"/> when the broker's control
    /// endpoint runs CURVE (<c>Security:ServerSecretKey</c>); null (the default) for a plain loopback endpoint.
    /// </summary>
    public string? ServerPublicKey { get; set; }

    /// <summary>
    /// The trigger's CURVE secret key (Z85, 40 characters); its public key must be in the broker's <c>Security:TriggerKeys</c>.
    /// The client connects as a CURVE client with this key pair and proves it with <c>auth</c> before any other command.
    /// </summary>
    public string? SecretKey { get; set; }

    internal void Validate()
    {
        if (Timeout <= TimeSpan.Zero || Timeout > TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(nameof(Timeout), Timeout, "the timeout must be positive and at most a day");
        }

        if ((ServerPublicKey is null) != (SecretKey is null))
        {
            throw new ArgumentException("CURVE needs both keys: ServerPublicKey (the broker's) and SecretKey (the trigger's)");
        }
    }
}
