namespace ZmqGame.Protocol;

/// <summary>
/// The control protocol (header "ZGT01") spoken by the broker's control endpoint and the supervisor's admin
/// endpoint: <c>[""]["ZGT01"][command][argument…]</c> answered by <c>[""]["ZGT01"][command][result]</c>.
/// </summary>
internal static class Control
{
    /// <summary>Protocol header of the control protocol: "ZGT01".</summary>
    public static ReadOnlySpan<byte> Header => "ZGT01"u8;

    /// <summary>Broker stats: no arguments; the result is a map.</summary>
    public const string Stats = "stats";

    /// <summary>Authenticate this connection: one argument, the proof made by <see cref="TriggerAuth.CreateProof"/>.</summary>
    public const string Auth = "auth";

    /// <summary>True when <paramref name="frames"/> (as a DEALER receives them) is an answer: [""]["ZGT01"][command][result].</summary>
    public static bool IsAnswer(IReadOnlyList<byte[]> frames) =>
        frames.Count == 4 && frames[0].Length == 0 && frames[1].AsSpan().SequenceEqual(Header);
}
