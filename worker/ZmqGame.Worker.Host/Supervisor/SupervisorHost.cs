using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using NetMQ;
using ZmqGame.Hosting;

using ZmqGame.Trigger;

namespace ZmqGame.Worker.Host.Supervisor;

/// <summary>
/// The supervisor mode of the worker executable, selected by <c>--processes N</c> on the command line (never by a
/// setting in a file, which the children read too). It starts N children <c>ZmqGame.Worker.Host</c> with the same
/// arguments minus the supervisor's own, plus <c>--parent-pid</c>; it does not connect to the broker itself.
/// Signals: SIGTERM / SIGINT drain every child and exit; SIGHUP reloads (new build READY first, then old ones drained).
/// </summary>
internal static class SupervisorHost
{
    /// <summary>Selects supervisor mode; its value (optional) is the number of worker processes.</summary>
    public const string ProcessesSwitch = "--processes";

    /// <summary>The broker's control endpoint, for the reload's readiness check.</summary>
    public const string ControlSwitch = "--control";

    /// <summary>Where the supervisor takes reload/status commands from the trigger.</summary>
    public const string AdminSwitch = "--admin";

    /// <summary>Given to every child: the supervisor's pid (see <see cref="ParentWatch"/>).</summary>
    public const string ParentPidSwitch = "--parent-pid";

    private const string SupervisorPrefix = "--" + SupervisorOptions.SectionName + ":";

    /// <summary>True when the command line asks for supervisor mode.</summary>
    public static bool IsRequested(IEnumerable<string> args) =>
        args.Any(a => a.Equals(ProcessesSwitch, StringComparison.OrdinalIgnoreCase) || a.StartsWith(ProcessesSwitch + "=", StringComparison.OrdinalIgnoreCase));

    public static async Task<int> RunAsync(string[] args)
    {
        var (childArgs, processes, supervisorArgs) = SplitArguments(args);
        var options = new SupervisorOptions();
        IConfigurationRoot configuration;
        try
        {
            // The log format and levels are the children's: --log-format and --Logging:… reach them as worker options.
            var sources = new ConfigurationBuilder()
                .SetBasePath(AppContext.BaseDirectory)
                .AddJsonFile("appsettings.json", optional: true)
                .AddEnvironmentVariables()
                .AddCommandLine([.. childArgs], new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
                {
                    [LogFormat.Option] = LogFormat.Setting,
                })
                .AddCommandLine([.. supervisorArgs], new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
                {
                    [ControlSwitch] = $"{SupervisorOptions.SectionName}:{nameof(SupervisorOptions.Control)}",
                    [AdminSwitch] = $"{SupervisorOptions.SectionName}:{nameof(SupervisorOptions.Admin)}",
                });
            LogSetup.AddDefaultLevels(sources);
            configuration = sources.Build();
            ConfigurationCheck.Bind(configuration, SupervisorOptions.SectionName, options);
            if (processes is { } text)
            {
                options.Processes = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                    ? n
                    : throw new ArgumentException($"{ProcessesSwitch} takes a number of processes (was '{text}')");
            }

            options.Validate();

            // The children's settings, as they will read them (beside the build they run), before any of them starts:
            // a bad value is this one line and exit code 2, not a crash loop.
            var workerDirectory = string.IsNullOrWhiteSpace(options.WorkerPath)
                ? AppContext.BaseDirectory
                : Path.GetDirectoryName(Path.GetFullPath(options.WorkerPath))!;
            HostCommandLine.CheckWorkerSettings(childArgs, workerDirectory);
            _ = LogSetup.IsJson(configuration);
            LogConfigurationCheck.Check(AppContext.BaseDirectory);
        }
        catch (InvalidDataException ex)
        {
            await Console.Error.WriteLineAsync("error: " + ConfigurationCheck.Describe(ex)).ConfigureAwait(false);
            return 2;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            await Console.Error.WriteLineAsync("error: " + ex.Message).ConfigureAwait(false);
            return 2;
        }

        using var loggerFactory = LoggerFactory.Create(b =>
        {
            b.AddConfiguration(configuration.GetSection("Logging"));
            LogSetup.Configure(b, configuration, AppContext.BaseDirectory);
        });
        var logger = loggerFactory.CreateLogger("ZmqGame.Worker.Host.Supervisor");
        var command = ChildCommandFor(childArgs, options.WorkerPath);
        var curve = string.IsNullOrEmpty(options.ControlServerKey) ? null : CurveKeys.FromZ85(options.ControlServerKey, options.ControlSecretKey!);
        var probe = string.IsNullOrWhiteSpace(options.Control) ? null : new BrokerStatsProbe(options.Control, TimeSpan.FromSeconds(2), curve);
        var stop = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var supervisor = new WorkerSupervisor(options, command, logger, TimeProvider.System, probe);
        await using var supervisorScope = supervisor.ConfigureAwait(false);
        using (PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => OnStop(ctx, stop)))
        using (PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => OnStop(ctx, stop)))
        using (PosixSignalRegistration.Create(PosixSignal.SIGHUP, ctx =>
        {
            ctx.Cancel = true; // SIGHUP must not end the supervisor.
            SupervisorLog.SignalReceived(logger, "SIGHUP");
            _ = supervisor.ReloadAsync();
        }))
        {
            supervisor.Start();
            using var admin = string.IsNullOrWhiteSpace(options.Admin) ? null : new SupervisorAdmin(supervisor, options.Admin);
            if (admin is not null)
            {
                SupervisorLog.AdminListening(logger, admin.Endpoint);
            }

            var signal = await stop.Task.ConfigureAwait(false);
            SupervisorLog.SignalReceived(logger, signal);
            await supervisor.StopAsync().ConfigureAwait(false);
        }

        if (probe is not null || !string.IsNullOrWhiteSpace(options.Admin))
        {
            NetMQConfig.Cleanup(block: false);
        }

        return 0;
    }

    /// <summary>
    /// Splits the command line: the children get everything except <c>--processes [N]</c>, <c>--control X</c>,
    /// <c>--Supervisor:Key value</c> and an inherited <c>--parent-pid X</c>; the supervisor reads its own settings from
    /// those (and from the rest, harmlessly).
    /// </summary>
    internal static (List<string> Child, string? Processes, List<string> Supervisor) SplitArguments(IReadOnlyList<string> args)
    {
        var child = new List<string>();
        var supervisor = new List<string>();
        string? processes = null;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            var (name, inlineValue) = arg.IndexOf('=', StringComparison.Ordinal) is var eq and > 0 && arg.StartsWith("--", StringComparison.Ordinal)
                ? (arg[..eq], arg[(eq + 1)..])
                : (arg, null);
            if (name.Equals(ProcessesSwitch, StringComparison.OrdinalIgnoreCase))
            {
                // The value is optional: "--processes" alone means one per core.
                processes = inlineValue ?? (i + 1 < args.Count && !args[i + 1].StartsWith('-') ? args[++i] : null);
                continue;
            }

            var supervisorOnly = name.Equals(ControlSwitch, StringComparison.OrdinalIgnoreCase)
                || name.Equals(AdminSwitch, StringComparison.OrdinalIgnoreCase)
                || name.Equals(ParentPidSwitch, StringComparison.OrdinalIgnoreCase)
                || name.StartsWith(SupervisorPrefix, StringComparison.OrdinalIgnoreCase);
            var list = supervisorOnly ? supervisor : child;
            list.Add(arg);
            if (inlineValue is null && i + 1 < args.Count && name.StartsWith("--", StringComparison.Ordinal) && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                list.Add(args[++i]);
            }
        }

        return (child, processes, supervisor);
    }

    /// <summary>
    /// The command of a child: the same build, from disk at each start (so a reload runs the files now there):
    /// <c>dotnet ZmqGame.Worker.Host.dll …</c> when the supervisor runs under the dotnet host, else the apphost.
    /// </summary>
    internal static ChildCommand ChildCommandFor(IEnumerable<string> childArgs, string? workerPath = null)
    {
        var processPath = Environment.ProcessPath ?? "dotnet";
        var underDotnet = Path.GetFileNameWithoutExtension(processPath).Equals("dotnet", StringComparison.OrdinalIgnoreCase);
        var pid = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        List<string> arguments = [.. childArgs, ParentPidSwitch, pid];
        if (!string.IsNullOrWhiteSpace(workerPath))
        {
            var path = Path.GetFullPath(workerPath);
            return path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
                ? new ChildCommand(underDotnet ? processPath : "dotnet", [path, .. arguments])
                : new ChildCommand(path, arguments);
        }

        var dll = Path.Combine(AppContext.BaseDirectory, typeof(SupervisorHost).Assembly.GetName().Name + ".dll");
        return underDotnet ? new ChildCommand(processPath, [dll, .. arguments]) : new ChildCommand(processPath, arguments);
    }

    private static void OnStop(PosixSignalContext context, TaskCompletionSource<string> stop)
    {
        context.Cancel = true; // The supervisor ends by itself once its children have drained.
        stop.TrySetResult(context.Signal.ToString());
    }
}
