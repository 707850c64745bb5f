using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
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

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly SemaphoreSlim _lineArrived = new(0);

    private SupervisorProcess(Process process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output => string.Join('\n', _lines);

    public IReadOnlyList<string> Lines => [.. _lines];

    /// <summary>Starts <c>dotnet ZmqGame.Worker.Host.dll args…</c>, from <paramref name="dll"/> or the build output.</summary>
    public static SupervisorProcess Start(string? dll, params string[] args)
    {
        dll ??= Executables.Dll("ZmqGame.Worker.Host");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        info.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DOTNET_NOLOGO"] = "1";
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var under = new SupervisorProcess(process);
        process.OutputDataReceived += (_, e) => under.Add(e.Data);
        process.ErrorDataReceived += (_, e) => under.Add(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return under;
    }

    /// <summary>Pids of the children the supervisor started, by child id, from its "Child N (…) started: pid P" lines.</summary>
    public Dictionary<int, int> ChildPids() =>
        _lines.Select(l => ChildStartedLine().Match(l)).Where(m => m.Success)
            .ToDictionary(m => int.Parse(m.Groups[1].Value), m => int.Parse(m.Groups[2].Value));

    public int Count(string pattern)
    {
        var regex = new Regex(pattern);
        return _lines.Count(l => regex.IsMatch(l));
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

    public async Task<Match> WaitForLineAsync(string pattern, TimeSpan? timeout = null)
    {
        var regex = new Regex(pattern);
        var deadline = DateTime.UtcNow + (timeout ?? Patience);
        var seen = 0;
        while (true)
        {
            var lines = _lines.ToArray();
            for (; seen < lines.Length; seen++)
            {
                var match = regex.Match(lines[seen]);
                if (match.Success)
                {
                    return match;
                }
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                Assert.Fail($"no output line matching /{pattern}/ in time; output so far:\n{Output}");
            }

            if (_process.HasExited && _lines.Count == seen)
            {
                Assert.Fail($"supervisor exited ({_process.ExitCode}) before printing /{pattern}/; output:\n{Output}");
            }

            await _lineArrived.WaitAsync(left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1));
        }
    }

    public void Signal(int signal)
    {
        Assert.That(Send(_process.Id, signal), Is.True, $"kill({_process.Id}, {signal}) failed");
    }

    public async Task<int> WaitForExitAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Patience);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"supervisor did not exit in time; output:\n{Output}");
        }

        return _process.ExitCode;
    }

    /// <summary>Sends a signal to any process; false when it does not exist (any more).</summary>
    public static bool Send(int pid, int signal) => SysKill(pid, signal) == 0;

    /// <summary>Whether a process exists (signal 0 checks without sending anything).</summary>
    public static bool IsAlive(int pid) => SysKill(pid, 0) == 0;

    /// <summary>Waits until <paramref name="condition"/> holds, checking every 50 ms, failing after <see cref="Patience"/>.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what, Func<string>? context = null)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting until {what}\n{context?.Invoke()}");
            }

            await Task.Delay(50);
        }
    }

    public void Dispose()
    {
        // Killing the tree takes the children too; children of a supervisor that is already gone stop by
        // themselves (they watch their parent), so no pid is signalled that might have been reused.
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
        _lineArrived.Dispose();
    }

    private void Add(string? line)
    {
        if (line is not null)
        {
            _lines.Enqueue(line);
        }

        _lineArrived.Release();
    }

    [GeneratedRegex(@"Child (\d+) \(process slot \d+, \w+\) started: pid (\d+)")]
    private static partial Regex ChildStartedLine();

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SysKill(int pid, int signal);
}
