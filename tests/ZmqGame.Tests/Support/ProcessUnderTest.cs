using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace ZmqGame.Tests.Support;

/// <summary>
/// One of the real executables (broker, worker host, client CLI, trigger) started as its own
/// process with <c>dotnet NAME.dll</c>. Output lines are kept, and tests wait on them as readiness
/// signals (the log line that says a socket is bound or a worker is ready).
/// </summary>
internal sealed partial class ProcessUnderTest : IDisposable
{
    private const int SigTerm = 15;
    private const int SigKill = 9;

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly SemaphoreSlim _lineArrived = new(0);

    private ProcessUnderTest(Process process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Everything printed so far (stdout and stderr), one entry per line.</summary>
    public string Output => string.Join('\n', _lines);

    /// <summary>Everything printed so far, one entry per line.</summary>
    public IReadOnlyList<string> Lines => [.. _lines];

    /// <summary>Starts project <paramref name="project"/>'s executable (e.g. "ZmqGame.Broker") with arguments.</summary>
    public static ProcessUnderTest Start(string project, params string[] args) => StartDll(Executables.Dll(project), args);

    /// <summary>Starts <c>dotnet <paramref name="dll"/> args…</c> (a build output or a copy of one).</summary>
    public static ProcessUnderTest StartDll(string dll, params string[] args) => StartDll(dll, fileLimit: null, args);

    /// <summary>Starts <c>dotnet <paramref name="dll"/> args…</c> with <paramref name="environment"/> added to the environment.</summary>
    public static ProcessUnderTest StartDll(string dll, IReadOnlyDictionary<string, string> environment, params string[] args) =>
        StartDll(dll, fileLimit: null, args, environment);

    /// <summary>Starts project <paramref name="project"/>'s executable with at most <paramref name="fileLimit"/> open files (<c>ulimit -n</c>).</summary>
    public static ProcessUnderTest StartWithFileLimit(string project, int fileLimit, params string[] args) =>
        StartDll(Executables.Dll(project), fileLimit, args);

    private static ProcessUnderTest StartDll(string dll, int? fileLimit, string[] args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileLimit is null ? "dotnet" : "bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        if (fileLimit is { } limit)
        {
            // bash -c SCRIPT $0 $@: the limit, then dotnet's arguments.
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add("ulimit -n \"$0\" && exec dotnet \"$@\"");
            info.ArgumentList.Add(limit.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        info.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var under = new ProcessUnderTest(process);
        process.OutputDataReceived += (_, e) => under.Add(e.Data);
        process.ErrorDataReceived += (_, e) => under.Add(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return under;
    }

    /// <summary>Waits for an output line matching <paramref name="pattern"/> and returns its match.</summary>
    public async Task<Match> WaitForLineAsync(string pattern, TimeSpan? timeout = null)
    {
        var regex = new Regex(pattern);
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
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
                Assert.Fail($"process exited ({_process.ExitCode}) before printing /{pattern}/; output:\n{Output}");
            }

            await _lineArrived.WaitAsync(left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        }
    }

    /// <summary>Writes one line to the process's standard input.</summary>
    public void WriteLine(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
    }

    /// <summary>Closes the process's standard input (end of input).</summary>
    public void CloseInput() => _process.StandardInput.Close();

    /// <summary>SIGTERM: what a supervisor or `kill` sends for a graceful stop.</summary>
    public void Terminate() => Signal(SigTerm);

    /// <summary>SIGKILL: a crash, no chance to clean up.</summary>
    public void Kill() => Signal(SigKill);

    /// <summary>Sends a signal to any process; false when it does not exist (any more).</summary>
    public static bool Send(int pid, int signal) => SysKill(pid, signal) == 0;

    /// <summary>Whether a process exists (signal 0 checks without sending anything).</summary>
    public static bool IsAlive(int pid) => SysKill(pid, 0) == 0;

    public async Task<int> WaitForExitAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        try
        {
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"process did not exit in time; output:\n{Output}");
        }

        return _process.ExitCode;
    }

    public void Dispose()
    {
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

        try
        {
            _lineArrived.Release();
        }
        catch (ObjectDisposedException)
        {
            // Output that arrives after the test disposed this (a killed process's last lines): nobody waits for it.
        }
    }

    /// <summary>Sends <paramref name="signal"/> (kill(2) numbering) to the process.</summary>
    public void Signal(int signal)
    {
        if (!_process.HasExited && SysKill(_process.Id, signal) != 0)
        {
            Assert.Fail($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SysKill(int pid, int signal);
}

/// <summary>Finds the built executables of the solution's projects.</summary>
internal static class Executables
{
    private static readonly string Root = typeof(Executables).Assembly
        .GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
        .Cast<System.Reflection.AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepositoryRoot").Value!;

    /// <summary>The project's own build output (its appsettings.json and nlog.config sit beside it).</summary>
    public static string Dll(string project)
    {
        // Same configuration as this test assembly: …/bin/<Configuration>/net10.0/ or, with
        // --artifacts-path, <artifacts>/bin/<project>/<configuration>/.
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var (folder, assembly) = project switch
        {
            "ZmqGame.Broker" => ("broker", "ZmqGame.Broker"),
            "ZmqGame.Worker.Host" => ("worker", "ZmqGame.Worker.Host"),
            "ZmqGame.Client.Cli" => ("client", "client"),
            "ZmqGame.Trigger.Cli" => ("trigger", "trigger"),
            "ZmqGame.Unity.Runner" => ("client/unity/Consumer~", "ZmqGame.Unity.Runner"),
            "ZmqGame.Bench" => ("bench", "ZmqGame.Bench"),
            _ => throw new ArgumentException("unknown project " + project, nameof(project)),
        };
        string[] candidates =
        [
            Path.Combine(Root, folder, project, "bin", testBin.Parent!.Name, "net10.0", assembly + ".dll"),
            Path.Combine(testBin.Parent!.Parent!.FullName, project, testBin.Name, assembly + ".dll"),
        ];
        foreach (var candidate in candidates)
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"{assembly}.dll is not built (looked in {string.Join(", ", candidates)})");
    }
}
