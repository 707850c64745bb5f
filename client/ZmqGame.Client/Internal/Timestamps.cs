namespace ZmqGame.Client.Internal;

/// <summary>Conversions between <see cref="TimeSpan"/> and <see cref="TimeProvider.GetTimestamp"/> units.</summary>
internal static class Timestamps
{
    /// <summary><paramref name="span"/> in <paramref name="time"/>'s timestamp units.</summary>
    public static long ToTimestampTicks(this TimeProvider time, TimeSpan span) =>
        (long)(span.Ticks * (time.TimestampFrequency / (double)TimeSpan.TicksPerSecond));

    /// <summary>A timestamp difference as a <see cref="TimeSpan"/> (zero when negative).</summary>
    public static TimeSpan ToTimeSpan(this TimeProvider time, long timestampTicks) =>
        timestampTicks <= 0 ? TimeSpan.Zero : TimeSpan.FromTicks((long)(timestampTicks * ((double)TimeSpan.TicksPerSecond / time.TimestampFrequency)));

    /// <summary>A timestamp difference in whole milliseconds (for logs).</summary>
    public static long ToMilliseconds(this TimeProvider time, long timestampTicks) =>
        (long)(timestampTicks * 1000.0 / time.TimestampFrequency);
}
