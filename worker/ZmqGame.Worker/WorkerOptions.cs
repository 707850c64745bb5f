using System.ComponentModel.DataAnnotations;

namespace ZmqGame.Worker;

/// <summary>
/// Settings of a worker process. Bound from the <c>Worker</c> configuration section by
/// <see cref="WorkerApp.CreateBuilder"/>; every duration is a <see cref="TimeSpan"/>.
/// </summary>
public sealed class WorkerOptions
{
    /// <summary>Configuration section the generic host binds these options from.</summary>
    public const string SectionName = "Worker";

    /// <summary>
    /// Backend endpoint of the broker (its ROUTER for workers), or a comma-separated list of several brokers'
    /// (<c>tcp://b1:5556,tcp://b2:5556</c>): each slot then attaches to every one of them and serves whichever has
    /// work, still one request at a time. Default <c>tcp://localhost:5556</c>.
    /// </summary>
    [Required]
    public string Broker { get; set; } = "tcp://localhost:5556";

    /// <summary>
    /// Concurrent request slots per service when <see cref="WorkerApp.MapService"/> does not say otherwise.
    /// Each slot is its own DEALER socket, i.e. its own MDP worker, holding at most one request.
    /// Default <see cref="Environment.ProcessorCount"/>.
    /// </summary>
    [Range(1, 1024)]
    public int Slots { get; set; } = Environment.ProcessorCount;

    /// <summary>
    /// Build version this worker reports to the broker in READY (shown in broker stats while a
    /// rolling deploy mixes versions). Default: the entry assembly's informational version.
    /// </summary>
    public string Version { get; set; } = DefaultVersion();

    /// <summary>A slot sends HEARTBEAT when it has sent nothing for this long, busy or idle. Default 2.5 s.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromMilliseconds(2500);

    /// <summary>
    /// A slot that hears nothing from the broker for <see cref="HeartbeatInterval"/> × <see cref="Liveness"/>
    /// reconnects with a new socket. Default 3.
    /// </summary>
    [Range(1, 100)]
    public int Liveness { get; set; } = 3;

    /// <summary>First reconnect delay; later ones grow exponentially with jitter. Default 250 ms.</summary>
    public TimeSpan ReconnectDelayMin { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Cap of the reconnect delay. Default 10 s.</summary>
    public TimeSpan ReconnectDelayMax { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// On stop, how long slots may take to finish the request they hold. Requests still running after it are
    /// abandoned (their <see cref="RequestContext.RequestAborted"/> fires; the broker answers them <c>worker lost</c>).
    /// Default 10 s.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The broker's <c>MaxMessageSize</c>: a reply larger than this (its frames together) is not sent, since the broker
    /// would refuse it; the client gets <c>too large</c> with a text saying so instead. Default 1 MiB (the broker's
    /// default); at least 1024.
    /// </summary>
    public int MaxMessageSize { get; set; } = 1 << 20;

    /// <summary>
    /// Handlers, hooks and event handlers run on the worker's I/O thread (on ZmqGame's own transport), so one that
    /// completes without waiting is answered with no hand-off between threads. One that holds the thread longer than
    /// this is left running there while a fresh thread takes over the I/O (heartbeats go on); after three such takeovers
    /// its route runs on the thread pool from then on. A handler that awaits something goes on on the thread pool. Zero: every handler on
    /// the thread pool (so does NetMQ, always). Default 5 ms; at most 1 s.
    /// </summary>
    public TimeSpan InlineBudget { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Throws <see cref="ArgumentException"/> listing every invalid setting.</summary>
    public void Validate()
    {
        var errors = new List<string>();
        if (ZmqGame.Protocol.EndpointSyntax.ListProblem(Broker) is { } problem)
        {
            errors.Add($"Broker '{Broker}' {problem}");
        }

        if (MaxMessageSize < 1024)
        {
            errors.Add($"MaxMessageSize must be at least 1024 (was {MaxMessageSize})");
        }

        if (Slots is < 1 or > 1024)
        {
            errors.Add($"Slots must be between 1 and 1024 (was {Slots})");
        }

        if (HeartbeatInterval < TimeSpan.FromMilliseconds(10) || HeartbeatInterval > TimeSpan.FromMinutes(10))
        {
            errors.Add($"HeartbeatInterval must be between 10 ms and 10 min (was {HeartbeatInterval})");
        }

        if (Liveness is < 1 or > 100)
        {
            errors.Add($"Liveness must be between 1 and 100 (was {Liveness})");
        }

        if (ReconnectDelayMin <= TimeSpan.Zero || ReconnectDelayMin > TimeSpan.FromHours(1))
        {
            errors.Add($"ReconnectDelayMin must be above zero and at most 1 h (was {ReconnectDelayMin})");
        }

        if (ReconnectDelayMax < ReconnectDelayMin || ReconnectDelayMax > TimeSpan.FromHours(1))
        {
            errors.Add($"ReconnectDelayMax must be between ReconnectDelayMin and 1 h (was {ReconnectDelayMax})");
        }

        if (ShutdownTimeout < TimeSpan.Zero || ShutdownTimeout > TimeSpan.FromHours(1))
        {
            errors.Add($"ShutdownTimeout must be between 0 and 1 h (was {ShutdownTimeout})");
        }

        if (InlineBudget < TimeSpan.Zero || InlineBudget > TimeSpan.FromSeconds(1))
        {
            errors.Add($"InlineBudget must be between 0 and 1 s (was {InlineBudget})");
        }

        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid worker options: " + string.Join("; ", errors));
        }
    }

    internal WorkerOptions Clone() => (WorkerOptions)MemberwiseClone();

    private static string DefaultVersion()
    {
        var assembly = System.Reflection.Assembly.GetEntryAssembly();
        var informational = assembly?.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion;
        return informational ?? assembly?.GetName().Version?.ToString() ?? "0.0.0";
    }
}
