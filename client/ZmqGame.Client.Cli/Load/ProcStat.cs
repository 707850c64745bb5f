using System.Globalization;

namespace ZmqGame.Client.Cli.Load;

/// <summary>CPU time of a process and host steal, read from Linux /proc. Elsewhere every read returns null.</summary>
internal static class ProcStat
{
    /// <summary>USER_HZ: the unit of /proc times. The kernel ABI fixes it at 100 on every mainstream architecture.</summary>
    public const double TicksPerSecond = 100;

    /// <summary>User and system CPU seconds of process <paramref name="pid"/>, all threads; null when unreadable.</summary>
    public static CpuTime? ReadProcess(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        return ParseProcessStat(text);
    }

    /// <summary>Parses a /proc/PID/stat line: utime and stime are fields 14 and 15 (the 12th and 13th after the command).</summary>
    public static CpuTime? ParseProcessStat(string text)
    {
        var close = text.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }

        var fields = text[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 13
            || !long.TryParse(fields[11], NumberStyles.Integer, CultureInfo.InvariantCulture, out var user)
            || !long.TryParse(fields[12], NumberStyles.Integer, CultureInfo.InvariantCulture, out var system))
        {
            return null;
        }

        return new CpuTime(user / TicksPerSecond, system / TicksPerSecond);
    }

    /// <summary>Seconds of CPU time the hypervisor stole from this machine, all CPUs (/proc/stat); null when unreadable.</summary>
    public static double? ReadSteal()
    {
        try
        {
            using var reader = new StreamReader("/proc/stat");
            var line = reader.ReadLine();
            var fields = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields is null || fields.Length < 9 || fields[0] != "cpu"
                || !long.TryParse(fields[8], NumberStyles.Integer, CultureInfo.InvariantCulture, out var steal))
            {
                return null;
            }

            return steal / TicksPerSecond;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

/// <summary>CPU seconds, user and system.</summary>
internal readonly record struct CpuTime(double User, double System)
{
    public double Total => User + System;

    public static CpuTime operator -(CpuTime a, CpuTime b) => new(a.User - b.User, a.System - b.System);
}
