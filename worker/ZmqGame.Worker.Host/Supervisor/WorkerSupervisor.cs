using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace ZmqGame.Worker.Host.Supervisor;

/// <summary>What became of a <see cref="WorkerSupervisor.ReloadAsync"/>.</summary>
public enum ReloadOutcome
{
    /// <summary>Every process slot now runs a worker process of the new build; the old ones drained.</summary>
    Completed,

    /// <summary>The new build did not become READY in time (or exited): it was stopped, the old processes keep serving.</summary>
    Failed,

    /// <summary>Another reload was running, or the supervisor is stopping: nothing was done.</summary>
    Ignored,
}

/// <summary>State of one process slot in <see cref="WorkerSupervisor.Snapshot"/>.</summary>
public enum ProcessSlotState
{
    /// <summary>A worker process runs (READY or still starting).</summary>
    Running,

    /// <summary>The last worker process crashed; waiting for the backoff delay or for the restarted one to be READY.</summary>
    Restarting,

    /// <summary>Too many crashes within the window: not restarted until the next reload.</summary>
    CrashLoop,

    /// <summary>The supervisor is stopping (or has stopped) this slot.</summary>
    Stopped,
}

/// <summary>One process slot as seen by <see cref="WorkerSupervisor.Snapshot"/>.</summary>
/// <param name="Slot">Process slot, 0 … Processes − 1.</param>
/// <param name="State">What the slot is doing.</param>
/// <param name="Child">Supervisor-wide id of its current worker process (0: none yet).</param>
/// <param name="Pid">Its pid (0: none).</param>
/// <param name="Ready">Every worker slot of the process has sent READY.</param>
/// <param name="StartedAt">When the current process was started.</param>
/// <param name="RecentCrashes">Crashes within the crash-loop window.</param>
public sealed record ChildStatus(int Slot, ProcessSlotState State, int Child, int Pid, bool Ready, DateTimeOffset? StartedAt, int RecentCrashes);

/// <summary>
/// Runs <see cref="SupervisorOptions.Processes"/> worker processes and keeps them running: restarts a crashed one with
/// exponential backoff and jitter (a Polly retry pipeline per process slot), stops restarting a slot in a crash loop,
/// drains them all on <see cref="StopAsync"/>, and replaces them with the build on disk on <see cref="ReloadAsync"/>
/// (new processes READY first, then the old ones drained one at a time).
/// </summary>
internal sealed class WorkerSupervisor : IAsyncDisposable
{
    private readonly SupervisorOptions _options;
    private readonly ChildCommand _command;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly IBrokerProbe? _probe;
    private readonly Lock _gate = new();
    private readonly ProcessSlot[] _slots;
    private readonly HashSet<ChildProcess> _live = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _reloadLock = new(1, 1);
    private Task<int>? _stopTask;
    private int _nextChildId;
    private int _started;

    public WorkerSupervisor(SupervisorOptions options, ChildCommand command, ILogger logger, TimeProvider? time = null, IBrokerProbe? probe = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _command = command;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _probe = probe;
        _slots = [.. Enumerable.Range(0, options.Processes).Select(i => new ProcessSlot(i, CreateRestartPipeline(i)))];
    }

    private enum Attempt
    {
        Ready,
        Crashed,
        CrashLoop,
        Stopped,
    }

    /// <summary>Starts one worker process per process slot and begins watching them.</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("The supervisor can be started once.");
        }

        SupervisorLog.Starting(_logger, _slots.Length, _command.ToString());
        foreach (var slot in _slots)
        {
            lock (_gate)
            {
                slot.LoopCts = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
                slot.Current = TryLaunch(slot, "start", slot.LoopCts.Token);
                var failed = slot.Current is null && !RecordCrash(slot, null, -1);
                slot.Loop = slot.State == ProcessSlotState.CrashLoop ? Task.CompletedTask : RunSlotAsync(slot, failed, slot.LoopCts.Token);
            }
        }
    }

    /// <summary>The process slots and their current worker processes.</summary>
    public IReadOnlyList<ChildStatus> Snapshot()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            return [.. _slots.Select(s => new ChildStatus(
                s.Index,
                s.State,
                s.Current?.Id ?? 0,
                s.Current?.Pid ?? 0,
                s.Current?.Ready.IsCompleted ?? false,
                s.Current?.StartedAt,
                s.Crashes.Count(c => now - c < _options.CrashLoopWindow)))];
        }
    }

    /// <summary>
    /// Rolling reload: starts one new worker process per process slot from the build now on disk, waits until all are
    /// READY (their READY lines, and the broker's <c>workers_registered</c> when a control endpoint is configured)
    /// within <see cref="SupervisorOptions.ReadyTimeout"/>, then drains and stops the old processes one at a time.
    /// If the new ones are not READY in time, they are stopped and the old ones keep serving.
    /// </summary>
    public async Task<ReloadOutcome> ReloadAsync(CancellationToken cancellationToken = default)
    {
        if (!await _reloadLock.WaitAsync(0, CancellationToken.None).ConfigureAwait(false))
        {
            SupervisorLog.ReloadIgnored(_logger, "a reload is already running");
            return ReloadOutcome.Ignored;
        }

        (int Count, TimeSpan Elapsed)? completed = null;
        try
        {
            if (_stopping.IsCancellationRequested || Volatile.Read(ref _started) == 0)
            {
                SupervisorLog.ReloadIgnored(_logger, "the supervisor is not running");
                return ReloadOutcome.Ignored;
            }

            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
            var started = _time.GetTimestamp();
            var (outcome, count) = await ReloadCoreAsync(linked.Token).ConfigureAwait(false);
            if (outcome == ReloadOutcome.Completed)
            {
                completed = (count, _time.GetElapsedTime(started));
            }

            return outcome;
        }
        catch (OperationCanceledException)
        {
            SupervisorLog.ReloadIgnored(_logger, "the supervisor is stopping");
            return ReloadOutcome.Ignored;
        }
        finally
        {
            _reloadLock.Release();

            // Said once the next reload may start: a SIGHUP sent on seeing this line starts one, it is not ignored.
            if (completed is { } done)
            {
                SupervisorLog.ReloadCompleted(_logger, done.Count, done.Elapsed);
            }
        }
    }

    /// <summary>
    /// Stops everything: no more restarts, SIGTERM to every worker process (each drains and exits), SIGKILL to those
    /// still running after <see cref="SupervisorOptions.DrainTimeout"/>. Returns how many had to be killed.
    /// </summary>
    public Task<int> StopAsync()
    {
        lock (_gate)
        {
            return _stopTask ??= StopCoreAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping.Dispose();
        _reloadLock.Dispose();
    }

    private async Task<int> StopCoreAsync()
    {
        ChildProcess[] children;
        Task[] loops;
        lock (_gate)
        {
            // Under the lock: no launch can slip in after this point (TryLaunch checks the token under the lock).
            _stopping.Cancel();
            children = [.. _live];
            loops = [.. _slots.Select(s => s.Loop ?? Task.CompletedTask)];
            foreach (var slot in _slots)
            {
                slot.State = ProcessSlotState.Stopped;
            }

            foreach (var child in children)
            {
                child.MarkStopRequested();
            }
        }

        SupervisorLog.Stopping(_logger, children.Length, _options.DrainTimeout);
        var drained = await Task.WhenAll(children.Select(c => c.StopAsync(_options.DrainTimeout, _time))).ConfigureAwait(false);
        await Task.WhenAll(loops).ConfigureAwait(false);
        var killed = drained.Count(d => !d);
        SupervisorLog.Stopped(_logger, killed);
        return killed;
    }

    private async Task<(ReloadOutcome Outcome, int Count)> ReloadCoreAsync(CancellationToken cancellationToken)
    {
        SupervisorLog.ReloadStarting(_logger, _slots.Length);
        var deadline = _time.GetUtcNow() + _options.ReadyTimeout;

        long baseline = 0;
        if (_probe is not null)
        {
            var registered = await AskBrokerAsync(deadline, cancellationToken).ConfigureAwait(false);
            if (registered is null)
            {
                SupervisorLog.ReloadFailed(_logger, $"the broker's control endpoint {_probe.Endpoint} did not answer within {_options.ReadyTimeout}");
                return (ReloadOutcome.Failed, 0);
            }

            baseline = registered.Value;
        }

        var candidates = new List<ChildProcess>();
        try
        {
            foreach (var slot in _slots)
            {
                ChildProcess child;
                lock (_gate)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    child = Launch(slot, "reload");
                }

                candidates.Add(child);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return (await AbandonReloadAsync(candidates, $"cannot start a worker process: {ex.Message}").ConfigureAwait(false), 0);
        }

        var failure = await WaitReadyAsync(candidates, baseline, deadline, cancellationToken).ConfigureAwait(false);
        if (failure is not null)
        {
            return (await AbandonReloadAsync(candidates, failure).ConfigureAwait(false), 0);
        }

        SupervisorLog.ReloadReady(_logger, candidates.Count, _probe is null ? string.Empty : $" and registered with the broker ({_probe.Endpoint})");
        foreach (var candidate in candidates)
        {
            var slot = _slots[candidate.Slot];
            var old = await AdoptAsync(slot, candidate).ConfigureAwait(false);
            if (old is not null)
            {
                await old.StopAsync(_options.DrainTimeout, _time).ConfigureAwait(false);
            }

            SupervisorLog.ReloadReplaced(_logger, slot.Index, candidate.Id, old?.Id ?? 0);
        }

        return (ReloadOutcome.Completed, candidates.Count);
    }

    /// <summary>Null when every candidate is READY (and registered with the broker, if it is asked), else why not.</summary>
    private async Task<string?> WaitReadyAsync(List<ChildProcess> candidates, long baseline, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        var allReady = Task.WhenAll(candidates.Select(c => c.Ready));
        var anyExit = Task.WhenAny(candidates.Select(c => c.Exited));
        var left = deadline - _time.GetUtcNow();
        if (left > TimeSpan.Zero)
        {
            using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var timeout = Task.Delay(left, _time, timer.Token);
            await Task.WhenAny(allReady, anyExit, timeout).ConfigureAwait(false);
            await timer.CancelAsync().ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }

        if (candidates.FirstOrDefault(c => c.Exited.IsCompleted) is { } exited)
        {
            return $"new child {exited.Id} (pid {exited.Pid}) exited with code {exited.Exited.Result} before it was READY";
        }

        if (!allReady.IsCompleted)
        {
            var notReady = candidates.Count(c => !c.Ready.IsCompleted);
            return $"{notReady} of {candidates.Count} new worker process(es) not READY within {_options.ReadyTimeout}";
        }

        if (_probe is null)
        {
            return null;
        }

        // READY lines say the workers sent READY; the broker's counter says it received them (a wrong broker
        // endpoint in the new build's settings passes the first check but not this one).
        var expected = candidates.Sum(c => c.WorkerSlots);
        long seen = 0;
        while (true)
        {
            var registered = await AskBrokerAsync(deadline, cancellationToken).ConfigureAwait(false);
            if (registered is { } now)
            {
                seen = now - baseline;
                if (seen >= expected)
                {
                    return null;
                }
            }

            if (candidates.FirstOrDefault(c => c.Exited.IsCompleted) is { } gone)
            {
                return $"new child {gone.Id} (pid {gone.Pid}) exited with code {gone.Exited.Result} before the broker had it READY";
            }

            if (_time.GetUtcNow() >= deadline)
            {
                return $"the broker at {_probe.Endpoint} registered {seen} of the {expected} new workers within {_options.ReadyTimeout}";
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<long?> AskBrokerAsync(DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        while (true)
        {
            var registered = await _probe!.WorkersRegisteredAsync(cancellationToken).ConfigureAwait(false);
            if (registered is not null)
            {
                return registered;
            }

            SupervisorLog.StatsUnavailable(_logger, _probe.Endpoint);
            if (_time.GetUtcNow() >= deadline)
            {
                return null;
            }
        }
    }

    private async Task<ReloadOutcome> AbandonReloadAsync(List<ChildProcess> candidates, string reason)
    {
        SupervisorLog.ReloadFailed(_logger, reason);
        await Task.WhenAll(candidates.Select(c => c.StopAsync(_options.DrainTimeout, _time))).ConfigureAwait(false);
        return ReloadOutcome.Failed;
    }

    /// <summary>Makes <paramref name="candidate"/> the slot's process; returns the old one (asked to stop, not yet signalled).</summary>
    private async Task<ChildProcess?> AdoptAsync(ProcessSlot slot, ChildProcess candidate)
    {
        Task? loop;
        lock (_gate)
        {
            slot.LoopCts?.Cancel();
            loop = slot.Loop;
        }

        if (loop is not null)
        {
            await loop.ConfigureAwait(false);
        }

        lock (_gate)
        {
            _stopping.Token.ThrowIfCancellationRequested();
            var old = slot.Current;
            old?.MarkStopRequested();
            slot.LoopCts?.Dispose();
            slot.LoopCts = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            slot.Current = candidate;
            slot.Crashes.Clear();
            slot.State = ProcessSlotState.Running;
            slot.Loop = RunSlotAsync(slot, startWithRestart: false, slot.LoopCts.Token);
            return old;
        }
    }

    /// <summary>Watches the slot's process; after a crash, restarts it (backoff) until READY, or gives up on a crash loop.</summary>
    private async Task RunSlotAsync(ProcessSlot slot, bool startWithRestart, CancellationToken cancellationToken)
    {
        try
        {
            var restart = startWithRestart;
            while (true)
            {
                if (!restart)
                {
                    ChildProcess child;
                    lock (_gate)
                    {
                        child = slot.Current!;
                    }

                    var code = await child.Exited.WaitAsync(cancellationToken).ConfigureAwait(false);
                    if (child.StopRequested || _stopping.IsCancellationRequested)
                    {
                        return;
                    }

                    if (RecordCrash(slot, child, code))
                    {
                        return;
                    }
                }

                restart = false;
                if (!await RestartAsync(slot, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping, or a reload took the slot over.
        }
    }

    /// <summary>One outage of a slot, as one Polly execution: back off, start a process, until one is READY.</summary>
    private async Task<bool> RestartAsync(ProcessSlot slot, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            slot.State = ProcessSlotState.Restarting;
        }

        // Attempt 0 stands for the crash that opened the outage, so Polly's backoff also comes before the first restart.
        var first = true;
        var outcome = await slot.Restart.ExecuteAsync(
            async token =>
            {
                if (first)
                {
                    first = false;
                    return Attempt.Crashed;
                }

                var child = TryLaunch(slot, "restart", token);
                if (child is null)
                {
                    return RecordCrash(slot, null, -1) ? Attempt.CrashLoop : Attempt.Crashed;
                }

                await Task.WhenAny(child.Ready, child.Exited).WaitAsync(token).ConfigureAwait(false);
                if (child.Ready.IsCompleted)
                {
                    lock (_gate)
                    {
                        slot.State = ProcessSlotState.Running;
                    }

                    return Attempt.Ready;
                }

                if (child.StopRequested || _stopping.IsCancellationRequested)
                {
                    return Attempt.Stopped;
                }

                return RecordCrash(slot, child, child.Exited.Result) ? Attempt.CrashLoop : Attempt.Crashed;
            },
            cancellationToken).ConfigureAwait(false);
        return outcome == Attempt.Ready;
    }

    /// <summary>Counts a crash of the slot; true (and an Error line) when that makes it a crash loop.</summary>
    private bool RecordCrash(ProcessSlot slot, ChildProcess? child, int exitCode)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            slot.Crashes.Enqueue(now);
            while (slot.Crashes.Count > 0 && now - slot.Crashes.Peek() >= _options.CrashLoopWindow)
            {
                slot.Crashes.Dequeue();
            }

            var crashes = slot.Crashes.Count;
            if (child is not null)
            {
                SupervisorLog.ChildCrashed(_logger, child.Id, slot.Index, child.Pid, exitCode, crashes, _options.CrashLoopWindow);
            }

            if (crashes < _options.CrashLoopMaxCrashes)
            {
                return false;
            }

            slot.State = ProcessSlotState.CrashLoop;
            SupervisorLog.CrashLoop(_logger, slot.Index, crashes, _options.CrashLoopWindow, _options.CrashLoopMaxCrashes, exitCode);
            return true;
        }
    }

    private ChildProcess? TryLaunch(ProcessSlot slot, string reason, CancellationToken cancellationToken)
    {
        try
        {
            lock (_gate)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var child = Launch(slot, reason);
                slot.Current = child;
                return child;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            SupervisorLog.StartFailed(_logger, ex, slot.Index);
            return null;
        }
    }

    /// <summary>Starts a worker process for <paramref name="slot"/>; call under the lock.</summary>
    private ChildProcess Launch(ProcessSlot slot, string reason)
    {
        _stopping.Token.ThrowIfCancellationRequested();
        var child = ChildProcess.Start(++_nextChildId, slot.Index, _command, _logger, _time.GetUtcNow());
        _live.Add(child);
        SupervisorLog.ChildStarted(_logger, child.Id, slot.Index, reason, child.Pid);
        _ = child.Exited.ContinueWith(
            _ =>
            {
                lock (_gate)
                {
                    _live.Remove(child);
                }

                child.Dispose();
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return child;
    }

    private ResiliencePipeline<Attempt> CreateRestartPipeline(int slot) =>
        new ResiliencePipelineBuilder<Attempt> { TimeProvider = _time }
            .AddRetry(new RetryStrategyOptions<Attempt>
            {
                ShouldHandle = static args => ValueTask.FromResult(args.Outcome.Exception is null && args.Outcome.Result == Attempt.Crashed),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                MaxRetryAttempts = int.MaxValue,
                Delay = _options.RestartDelayMin,
                MaxDelay = _options.RestartDelayMax,
                OnRetry = args =>
                {
                    SupervisorLog.RestartScheduled(_logger, slot, args.RetryDelay, args.AttemptNumber + 1);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();

    private sealed class ProcessSlot(int index, ResiliencePipeline<Attempt> restart)
    {
        public int Index { get; } = index;

        public ResiliencePipeline<Attempt> Restart { get; } = restart;

        public ChildProcess? Current { get; set; }

        public ProcessSlotState State { get; set; } = ProcessSlotState.Running;

        public Queue<DateTimeOffset> Crashes { get; } = new();

        public CancellationTokenSource? LoopCts { get; set; }

        public Task? Loop { get; set; }
    }
}
