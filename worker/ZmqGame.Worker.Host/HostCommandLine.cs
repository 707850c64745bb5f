using System.Globalization;
using Microsoft.Extensions.Configuration;
using ZmqGame.Hosting;
using ZmqGame.Worker.Host.Supervisor;

namespace ZmqGame.Worker.Host;

/// <summary>
/// The worker host's command line: usage, and the check that runs before anything starts. An unknown option or a
/// value that is not of the option's kind is an <see cref="ArgumentException"/> naming it (the program prints it as one
/// line and exits 2). A <c>--Section:Key value</c> option sets any configuration key.
/// </summary>
internal static class HostCommandLine
{
    /// <summary>What <c>--help</c> prints.</summary>
    public const string Usage = """
        zmqgame-worker: the ZmqGame worker host (sample services echo, game, lobby)

        usage: ZmqGame.Worker.Host [--option value]...
               ZmqGame.Worker.Host --processes [N] [--control EP] [--admin EP] [worker options]...

          --broker EP[,EP]   the brokers' backends, comma-separated (default tcp://localhost:5556)
          --slots N          concurrent requests per service  (default: one per core)
          --service LIST     services to serve, comma-separated (default echo,game,lobby)
          --http URL         serve /metrics, /healthz and /readyz over HTTP, e.g.
                             http://127.0.0.1:9091 (port 0: a free one; default: off)
          --log-format F     log lines as text (default) or json: one JSON object per line
                             (also Logging:Format, ZMQGAME_LOG_FORMAT; docs/operations.md, "Logs")
          --processes [N]    supervisor: run N worker processes and keep them running
                             (default one per core; SIGHUP: rolling reload, SIGTERM: drain)
          --control EP       supervisor: the broker's control endpoint, for reload checks
          --admin EP         supervisor: where it takes reload/status from the trigger
          --probe URL        start nothing: GET URL (e.g. http://127.0.0.1:9091/healthz)
                             and exit 0 on a 2xx answer, else 1 (a container HEALTHCHECK)

        Every setting can also be set in appsettings.json (sections "Worker", "Supervisor"),
        as an environment variable (Worker__Broker=...) or as --Worker:Key value. A duration
        is 250ms, 5s, 1m or hh:mm:ss. An unknown option or a bad value is one line on stderr
        and exit code 2, in supervisor mode before any worker process starts.
        Conventions of every ZmqGame program: README.md, "Command-line conventions".
        """;

    /// <summary>The option that chooses the sample services, and the setting it sets.</summary>
    public const string ServiceSwitch = "--service";

    /// <summary>The option that turns the HTTP endpoint on (<c>Worker:Http:Url</c>).</summary>
    public const string HttpSwitch = "--http";

    /// <summary>The setting of the sample services, comma-separated.</summary>
    public const string ServicesKey = "Worker:Services";

    private static readonly Dictionary<string, bool> Numeric = new(StringComparer.OrdinalIgnoreCase)
    {
        ["--broker"] = false,
        ["--slots"] = true,
        ["--service"] = false,
        [HttpSwitch] = false,
        [LogFormat.Option] = false,
        [SupervisorHost.ControlSwitch] = false,
        [SupervisorHost.AdminSwitch] = false,
        [SupervisorHost.ParentPidSwitch] = true,
    };

    /// <summary>True when the command line asks for usage (<c>--help</c> or <c>-h</c>) instead of workers.</summary>
    public static bool IsHelp(string[] args) =>
        args.Any(a => a.Equals("--help", StringComparison.OrdinalIgnoreCase) || a.Equals("-h", StringComparison.Ordinal));

    /// <summary>Throws <see cref="ArgumentException"/> with a one-line message when an option or a value is wrong.</summary>
    public static void Check(string[] args)
    {
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith('-'))
            {
                throw new ArgumentException($"unexpected argument '{arg}' (see --help)");
            }

            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            var name = eq > 0 ? arg[..eq] : arg;
            string? value = eq > 0 ? arg[(eq + 1)..] : null;
            if (name.Equals(SupervisorHost.ProcessesSwitch, StringComparison.OrdinalIgnoreCase))
            {
                // The value is optional: "--processes" alone means one per core.
                value ??= i + 1 < args.Length && !args[i + 1].StartsWith('-') ? args[++i] : null;
                CheckNumber(name, value);
                continue;
            }

            var known = Numeric.TryGetValue(name, out var numeric);
            if (!known && !(name.StartsWith("--", StringComparison.Ordinal) && name.Contains(':', StringComparison.Ordinal)))
            {
                throw new ArgumentException($"unknown option {name} (see --help)");
            }

            value ??= i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value");
            if (numeric)
            {
                CheckNumber(name, value);
            }
        }
    }

    /// <summary>
    /// Checks the settings a worker process will run with, as it will read them: <paramref name="directory"/>'s
    /// appsettings.json, the environment and <paramref name="args"/> (a child's command line). The supervisor runs it
    /// before it starts any child, so that a bad value is its own one-line error, not a crash loop of children.
    /// </summary>
    /// <exception cref="InvalidOperationException">A value is not of its setting's kind.</exception>
    /// <exception cref="InvalidDataException">appsettings.json is not JSON.</exception>
    /// <exception cref="ArgumentException">A value is out of range, or a service is not a sample service.</exception>
    public static void CheckWorkerSettings(IReadOnlyList<string> args, string directory)
    {
        var configuration = new ConfigurationBuilder()
            .SetBasePath(directory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine([.. args], new Dictionary<string, string>(WorkerAppBuilder.SwitchMappings, StringComparer.OrdinalIgnoreCase)
            {
                [ServiceSwitch] = ServicesKey,
                [HttpSwitch] = "Worker:Http:Url",
            })
            .Build();
        ConfigurationCheck.Bind(configuration, WorkerOptions.SectionName, new WorkerOptions()).Validate();
        _ = LogSetup.IsJson(configuration);
        CheckServices(configuration);
        Http.WorkerHttp.CheckSupervised(configuration);
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the setting and its source when a service is not a sample service.</summary>
    public static void CheckServices(IConfiguration configuration)
    {
        var services = configuration[ServicesKey] ?? SampleServices.Default;
        var names = services.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var unknown = names.FirstOrDefault(n => n is not (SampleServices.Echo or SampleServices.Game or SampleServices.Lobby));
        if (names.Length == 0 || unknown is not null)
        {
            var problem = names.Length == 0 ? "names no service" : $"names '{unknown}', which is not a sample service";
            throw new ArgumentException(
                $"setting {ServicesKey} = '{services}' (from {ConfigurationCheck.SourceOf(configuration, ServicesKey)}) {problem} "
                + $"(known: {SampleServices.Echo}, {SampleServices.Game}, {SampleServices.Lobby})");
        }
    }

    private static void CheckNumber(string name, string? value)
    {
        if (value is not null && !int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            throw new ArgumentException($"{name}: '{value}' is not a whole number of 0 or more");
        }
    }
}
