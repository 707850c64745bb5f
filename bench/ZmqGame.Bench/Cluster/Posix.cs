using System.Runtime.InteropServices;

namespace ZmqGame.Bench.Cluster;

/// <summary>kill(2), so that the failover bench times a signal from the system call itself (Linux signal numbers).</summary>
internal static class Posix
{
    public const int SigKill = 9;
    public const int SigStop = 19;

    /// <summary>Sends <paramref name="signal"/> to process <paramref name="pid"/>; 0 on success, -1 and errno otherwise.</summary>
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int Kill(int pid, int signal);
}
