namespace ZmqGame.Client.Internal;

/// <summary>Conversions between <see cref="TimeSpan"/> and <see cref="TimeProvider.GetTimestamp"/> units.</summary>
internal static class Timestamps
{
    /// <summary><paramref name="span"/> in <paramref name="time"/>'s timestamp units.</summary>
    public static long ToTimestampTicks(this TimeProvider time, TimeSpan span) =>
        (long)(span.Ticks * (time.TimestampFrequency / (double)TimeSpan.TicksPerSecond));

    /// <summary>A timestamp difference in whole milliseconds (for logs).</summary>
    public static long ToMilliseconds(this TimeProvider time, long timestampTicks) =>
        (long)(timestampTicks * 1000.0 / time.TimestampFrequency);
}
