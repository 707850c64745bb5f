using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace ZmqGame.Worker.Host.Supervisor;

/// <summary>
/// One worker process run by the supervisor. Its stdout and stderr are forwarded to the supervisor's output, prefixed
/// with the child id (<see cref="ChildOutput"/>), and read for the readiness signal: the worker's "Worker started: … N slot(s)" line and one
/// "Slot i of service 'S' READY" line for every slot.
/// </summary>
internal sealed partial class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly ILogger _logger;
    private readonly ChildOutput _output;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly HashSet<(string Service, int Slot)> _readySlots = [];
    private readonly Lock _gate = new();
    private int _workerSlots = -1;
    private int _stopRequested;

    private ChildProcess(int id, int slot, Process process, ILogger logger, DateTimeOffset startedAt)
    {
        Id = id;
        Slot = slot;
        _process = process;
        _logger = logger;
        _output = new ChildOutput(id, logger, Console.Out, ZmqGame.Hosting.LogFormat.Json);
        StartedAt = startedAt;
    }

    /// <summary>Supervisor-wide number of this child (1, 2, …), the prefix of its forwarded output.</summary>
    public int Id { get; }

    /// <summary>The process slot (0 … Processes − 1) the child serves or is meant to take over.</summary>
    public int Slot { get; }

    public int Pid { get; private set; }

    public DateTimeOffset StartedAt { get; }

    /// <summary>Completes once every worker slot of the child has sent READY (by its log). Never faults.</summary>
    public Task Ready => _ready.Task;

    /// <summary>Completes with the exit code when the process has exited (128 + n after signal n).</summary>
    public Task<int> Exited => _exited.Task;

    /// <summary>The supervisor asked this child to stop: its exit is not a crash.</summary>
    public bool StopRequested => Volatile.Read(ref _stopRequested) != 0;

    /// <summary>Worker slots (MDP workers) the child runs, from its start line; −1 until known.</summary>
    public int WorkerSlots
    {
        get
        {
            lock (_gate)
            {
                return _workerSlots;
            }
        }
    }

    /// <summary>Starts the process. Throws when it cannot be started (missing executable, …).</summary>
    public static ChildProcess Start(int id, int slot, ChildCommand command, ILogger logger, DateTimeOffset now)
    {
        var info = new ProcessStartInfo(command.FileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in command.Arguments)
        {
            info.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = info };
        var child = new ChildProcess(id, slot, process, logger, now);
        process.OutputDataReceived += (_, e) => child.OnOutput(e.Data, error: false);
        process.ErrorDataReceived += (_, e) => child.OnOutput(e.Data, error: true);
        try
        {
            process.Start();
            child.Pid = process.Id;
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }
        catch
        {
            process.Dispose();
            throw;
        }

        _ = child.WatchAsync();
        return child;
    }

    /// <summary>Marks the child as asked to stop, so that its exit is never taken for a crash.</summary>
    public void MarkStopRequested() => Volatile.Write(ref _stopRequested, 1);

    /// <summary>
    /// Graceful stop: SIGTERM (the worker stops pulling, replies to what it holds, DISCONNECTs, exits 0); SIGKILL if it
    /// is still running after <paramref name="drainTimeout"/>. Returns false when it had to be killed.
    /// </summary>
    public async Task<bool> StopAsync(TimeSpan drainTimeout, TimeProvider time)
    {
        MarkStopRequested();
        if (Exited.IsCompleted)
        {
            return true;
        }

        Posix.Signal(Pid, Posix.SigTerm);
        try
        {
            await Exited.WaitAsync(drainTimeout, time).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            SupervisorLog.DrainTimedOut(_logger, Id, Slot, Pid, drainTimeout);
            Posix.Signal(Pid, Posix.SigKill);
            await Exited.ConfigureAwait(false);
            return false;
        }
    }

    public void Dispose() => _process.Dispose();

    private async Task WatchAsync()
    {
        // With asynchronous output reading, WaitForExitAsync also waits for the end of both streams,
        // so every line is forwarded before the exit is reported.
        await _process.WaitForExitAsync().ConfigureAwait(false);
        var code = _process.ExitCode;
        if (StopRequested)
        {
            SupervisorLog.ChildStopped(_logger, Id, Slot, Pid, code);
        }

        _exited.TrySetResult(code);
    }

    private void OnOutput(string? line, bool error)
    {
        if (line is null)
        {
            return;
        }

        _output.Forward(line, error);
        if (error)
        {
            return;
        }

        bool ready;
        lock (_gate)
        {
            if (_ready.Task.IsCompleted)
            {
                return;
            }

            if (StartedLine().Match(line) is { Success: true } started)
            {
                _workerSlots = int.Parse(started.Groups[1].ValueSpan, System.Globalization.CultureInfo.InvariantCulture);
            }
            else if (ReadyLine().Match(line) is { Success: true } readyLine)
            {
                _readySlots.Add((readyLine.Groups[2].Value, int.Parse(readyLine.Groups[1].ValueSpan, System.Globalization.CultureInfo.InvariantCulture)));
            }

            ready = _workerSlots > 0 && _readySlots.Count >= _workerSlots;
        }

        if (ready && _ready.TrySetResult())
        {
            SupervisorLog.ChildReady(_logger, Id, Slot, Pid, _workerSlots);
        }
    }

    // The worker library's log lines (event ids 1000 and 1001), whatever the layout around the message.
    [GeneratedRegex(@"Worker started: \d+ service\(s\), (\d+) slot\(s\)")]
    private static partial Regex StartedLine();

    [GeneratedRegex(@"Slot (\d+) of service '(.*)' READY at ")]
    private static partial Regex ReadyLine();
}

/// <summary>How to start a worker process: the executable (dotnet or the apphost) and its arguments.</summary>
internal sealed record ChildCommand(string FileName, IReadOnlyList<string> Arguments)
{
    public override string ToString() => string.Join(' ', [FileName, .. Arguments]);
}
