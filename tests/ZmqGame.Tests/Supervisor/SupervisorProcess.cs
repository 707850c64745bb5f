using System.Text.RegularExpressions;
using ZmqGame.Tests.Support;

namespace ZmqGame.Tests.Supervisor;

/// <summary>
/// The worker host in supervisor mode (<c>--processes N</c>) as its own process, started from the build output or
/// from a copy of it (reload tests replace files in the copy). Output lines are kept; tests wait on them.
/// </summary>
internal sealed partial class SupervisorProcess : IDisposable
{
    public const int SigHup = 1;
    public const int SigKill = 9;
    public const int SigTerm = 15;

    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(40);

    private readonly ProcessUnderTest _process;

    private SupervisorProcess(ProcessUnderTest process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output => _process.Output;

    public IReadOnlyList<string> Lines => _process.Lines;

    /// <summary>Starts <c>dotnet ZmqGame.Worker.Host.dll args…</c>, from <paramref name="dll"/> or the build output.</summary>
    public static SupervisorProcess Start(string? dll, params string[] args) =>
        new(ProcessUnderTest.StartDll(dll ?? Executables.Dll("ZmqGame.Worker.Host"), args));

    /// <summary>Pids of the children the supervisor started, by child id, from its "Child N (…) started: pid P" lines.</summary>
    public Dictionary<int, int> ChildPids() =>
        Lines.Select(l => ChildStartedLine().Match(l)).Where(m => m.Success)
            .ToDictionary(m => int.Parse(m.Groups[1].Value), m => int.Parse(m.Groups[2].Value));

    public int Count(string pattern)
    {
        var regex = new Regex(pattern);
        return Lines.Count(l => regex.IsMatch(l));
    }

    /// <summary>Index of the first line matching <paramref name="pattern"/>, or −1.</summary>
    public int IndexOf(string pattern)
    {
        var regex = new Regex(pattern);
        var lines = Lines;
        for (var i = 0; i < lines.Count; i++)
        {
            if (regex.IsMatch(lines[i]))
            {
                return i;
            }
        }

        return -1;
    }

    public Task<Match> WaitForLineAsync(string pattern, TimeSpan? timeout = null) =>
        _process.WaitForLineAsync(pattern, timeout ?? Patience);

    public void Signal(int signal) => _process.Signal(signal);

    public Task<int> WaitForExitAsync(TimeSpan? timeout = null) => _process.WaitForExitAsync(timeout ?? Patience);

    /// <summary>Sends a signal to any process; false when it does not exist (any more).</summary>
    public static bool Send(int pid, int signal) => ProcessUnderTest.Send(pid, signal);

    /// <summary>Whether a process exists (signal 0 checks without sending anything).</summary>
    public static bool IsAlive(int pid) => ProcessUnderTest.IsAlive(pid);

    /// <summary>Killing the tree takes the children too (children of a supervisor already gone stop by themselves).</summary>
    public void Dispose() => _process.Dispose();

    [GeneratedRegex(@"Child (\d+) \(process slot \d+, \w+\) started: pid (\d+)")]
    private static partial Regex ChildStartedLine();
}
