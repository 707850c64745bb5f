namespace ZmqGame.Transport;

/// <summary>
/// <c>ZMQGAME_TRANSPORT=netmq</c> in the environment runs every endpoint on NetMQ instead of ZmqGame's own transport
/// (to compare the two, or to rule the transport out when chasing a problem).
/// </summary>
internal static class TransportChoice
{
    public static bool NetMqForced { get; } =
        string.Equals(Environment.GetEnvironmentVariable("ZMQGAME_TRANSPORT"), "netmq", StringComparison.OrdinalIgnoreCase);
}
