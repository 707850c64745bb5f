using System.Runtime.InteropServices;

namespace ZmqGame.Worker.Host.Supervisor;

/// <summary>
/// The two libc calls the supervisor needs: <c>kill(2)</c> (.NET's <see cref="System.Diagnostics.Process.Kill()"/> only
/// sends SIGKILL; a graceful stop needs SIGTERM) and <c>getppid(2)</c> (a child notices that its supervisor is gone).
/// </summary>
internal static partial class Posix
{
    public const int SigKill = 9;
    public const int SigTerm = 15;

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; false when the process is already gone.</summary>
    public static bool Signal(int pid, int signal) => Kill(pid, signal) == 0;

    /// <summary>The parent's pid; becomes that of init (or a subreaper) once the parent has died.</summary>
    public static int ParentPid() => GetPpid();

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "getppid")]
    private static partial int GetPpid();
}
