using System.ComponentModel.DataAnnotations;

namespace ZmqGame.Worker.Host.Supervisor;

/// <summary>
/// Settings of the supervisor mode (<c>--processes N</c>), bound from the <c>Supervisor</c> configuration section
/// (appsettings.json, environment <c>Supervisor__DrainTimeout=…</c>, or <c>--Supervisor:DrainTimeout 00:00:20</c>).
/// </summary>
public sealed class SupervisorOptions
{
    /// <summary>Configuration section these options are bound from.</summary>
    public const string SectionName = "Supervisor";

    /// <summary>Worker processes to run. <c>--processes N</c>; default <see cref="Environment.ProcessorCount"/>.</summary>
    [Range(1, 256)]
    public int Processes { get; set; } = Environment.ProcessorCount;

    /// <summary>First delay before restarting a crashed worker; later ones grow exponentially with jitter. Default 500 ms.</summary>
    public TimeSpan RestartDelayMin { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Cap of the restart delay. Default 30 s.</summary>
    public TimeSpan RestartDelayMax { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A process slot whose workers crash this many times within <see cref="CrashLoopWindow"/> is no longer restarted. Default 5.</summary>
    [Range(1, 1000)]
    public int CrashLoopMaxCrashes { get; set; } = 5;

    /// <summary>See <see cref="CrashLoopMaxCrashes"/>. Default 1 min.</summary>
    public TimeSpan CrashLoopWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a reload waits for the new worker processes to be READY before it gives up and keeps the old ones. Default 30 s.</summary>
    public TimeSpan ReadyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a worker told to stop (SIGTERM) may take to finish its requests and exit; then it gets SIGKILL and the
    /// broker answers what it still held <c>worker lost</c>. Keep it above the workers' <c>Worker:ShutdownTimeout</c>
    /// (10 s by default). Default 20 s.
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// The broker's control endpoint (<c>--control</c>), optional. When set, a reload also asks the broker (stats) that the
    /// new workers registered before it stops the old ones; without it, the workers' own READY log lines are the signal.
    /// </summary>
    public string? Control { get; set; }

    /// <summary>
    /// The broker's CURVE public key (Z85), when its control endpoint requires CURVE; with <see cref="ControlSecretKey"/>,
    /// a trigger key pair on the broker's allow-list (<c>trigger keygen</c>). Both or neither.
    /// </summary>
    public string? ControlServerKey { get; set; }

    /// <summary>The secret key (Z85) of the trigger key pair the supervisor proves to a CURVE control endpoint.</summary>
    public string? ControlSecretKey { get; set; }

    /// <summary>
    /// The worker build the children run: a <c>.dll</c> (run with the same dotnet host) or an executable. Default: this
    /// build's own <c>ZmqGame.Worker.Host.dll</c>, with symbolic links resolved. For deploys that swap a symbolic link
    /// (<c>current → releases/v2</c>), set it to the path through the link so that a reload runs the new target.
    /// </summary>
    public string? WorkerPath { get; set; }

    /// <summary>
    /// Where the supervisor listens for <c>trigger workers reload|status --supervisor …</c> (a ROUTER). Unset by default:
    /// bind it to loopback (e.g. <c>tcp://127.0.0.1:5558</c>); anyone who can reach it can reload the workers.
    /// </summary>
    public string? Admin { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> listing every invalid setting.</summary>
    public void Validate()
    {
        var errors = new List<string>();
        if (Processes is < 1 or > 256)
        {
            errors.Add($"Processes must be between 1 and 256 (was {Processes})");
        }

        if (RestartDelayMin <= TimeSpan.Zero || RestartDelayMin > TimeSpan.FromHours(1))
        {
            errors.Add($"RestartDelayMin must be above zero and at most 1 h (was {RestartDelayMin})");
        }

        if (RestartDelayMax < RestartDelayMin || RestartDelayMax > TimeSpan.FromHours(1))
        {
            errors.Add($"RestartDelayMax must be between RestartDelayMin and 1 h (was {RestartDelayMax})");
        }

        if (CrashLoopMaxCrashes is < 1 or > 1000)
        {
            errors.Add($"CrashLoopMaxCrashes must be between 1 and 1000 (was {CrashLoopMaxCrashes})");
        }

        if (CrashLoopWindow <= TimeSpan.Zero || CrashLoopWindow > TimeSpan.FromDays(1))
        {
            errors.Add($"CrashLoopWindow must be above zero and at most 1 day (was {CrashLoopWindow})");
        }

        if (ReadyTimeout <= TimeSpan.Zero || ReadyTimeout > TimeSpan.FromHours(1))
        {
            errors.Add($"ReadyTimeout must be above zero and at most 1 h (was {ReadyTimeout})");
        }

        if (DrainTimeout < TimeSpan.Zero || DrainTimeout > TimeSpan.FromHours(1))
        {
            errors.Add($"DrainTimeout must be between 0 and 1 h (was {DrainTimeout})");
        }

        if (string.IsNullOrEmpty(ControlServerKey) != string.IsNullOrEmpty(ControlSecretKey))
        {
            errors.Add("ControlServerKey and ControlSecretKey go together (both or neither)");
        }
        else if (!string.IsNullOrEmpty(ControlServerKey))
        {
            try
            {
                _ = ZmqGame.Trigger.CurveKeys.FromZ85(ControlServerKey, ControlSecretKey!);
            }
            catch (ArgumentException ex)
            {
                errors.Add("ControlServerKey/ControlSecretKey: " + ex.Message);
            }
        }

        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid supervisor options: " + string.Join("; ", errors));
        }
    }
}
